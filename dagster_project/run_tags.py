"""Run tags the pipeline's jobs pass on to the warehouse build."""

# The first month an ingestion run loaded (a partition key, YYYY-MM-01): the build computes
# the incremental patient-month models from that month on (dbt var `rebuild_from`).
REBUILD_FROM_TAG = "pcnmo/rebuild_from"
# "true": the build computes every incremental model over every month (`dbt --full-refresh`).
FULL_REFRESH_TAG = "pcnmo/full_refresh"
