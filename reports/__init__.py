"""Report builders: dashboard workbook, ICB quarterly return, SNOMED activity extract, and the
small-number suppression they share. A library: no Dagster here. The report builders take a
DuckDB connection (the caller opens the warehouse read-only); every output is written
atomically."""
