"""Report builders: dashboard workbook, ICB quarterly return, SNOMED activity extract and the
published warehouse copy. A library: no Dagster here; every function takes a DuckDB connection
(opened read-only on the warehouse by the caller) and writes its files atomically."""
