"""The reporting month: every raw asset and check is partitioned by it."""

import dagster as dg

# The first month NHSBSA published prescribing data in the EPD layout: nothing any source here
# holds is older, so any history a PCN or ICB has can be backfilled.
FIRST_MONTH = "2014-01-01"

monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=FIRST_MONTH)
