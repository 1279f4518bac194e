"""The reporting month: every raw asset and check is partitioned by it."""

import dagster as dg

# SMRs began in October 2020; a PCN backfilling its whole DES history starts at FY 2020/21.
FIRST_MONTH = "2020-04-01"

monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=FIRST_MONTH)
