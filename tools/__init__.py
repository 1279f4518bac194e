"""Developer and operator tools at the top of the dependency graph: the `pcnmo` command line,
the benchmark, `make render` and the generators of files kept in the repository. Nothing in
the project imports them."""
