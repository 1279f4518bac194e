"""Great Expectations suites: the second line of data quality, on what was loaded (raw tables,
`raw_suites`) and on what the outputs read (marts, `mart_suites`). Dagster-free."""
