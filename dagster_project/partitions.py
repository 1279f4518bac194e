"""The reporting month (every raw asset and check is partitioned by it) and the financial
quarter (the ICB return)."""

import datetime as dt

import dagster as dg

from pcnmo.calendar import financial_quarter

# The first month NHSBSA published prescribing data in the EPD layout: nothing any source here
# holds is older, so any history a PCN or ICB has can be backfilled.
FIRST_MONTH = "2014-01-01"

monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=FIRST_MONTH)

# NHS financial quarters (April-June, July-September, October-December, January-March); a
# key is the quarter's first day. The first key is the financial quarter holding FIRST_MONTH.
FIRST_FINANCIAL_QUARTER = financial_quarter(dt.date.fromisoformat(FIRST_MONTH))[0].isoformat()

financial_quarter_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1,4,7,10 *",
    start=FIRST_FINANCIAL_QUARTER,
    fmt="%Y-%m-%d",
    # The quarter in progress is a partition too: the return is drafted every month and is
    # final once the quarter's last month is in.
    end_offset=1,
)
