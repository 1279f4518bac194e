"""Report builders: dashboard workbook, ICB quarterly return, SNOMED activity extract, the
published warehouse copy and `python -m reports.render`. A library: no Dagster here. The report
builders take a DuckDB connection (the caller opens the warehouse read-only); every output is
written atomically."""
