"""The reporting month (every raw asset and check is partitioned by it) and the financial
quarter (the ICB return).

Partitions start at the first month the pipeline knows (`pcnmo.settings.first_month`: the
setting, else the oldest month folder in the inbox), read when the definitions load, so the
UI shows the months a PCN has rather than every month since NHSBSA's first release. Add an
older month folder (or set `PCNMO_FIRST_MONTH`) and reload the definitions to backfill it.
"""

import datetime as dt

import dagster as dg

from pcnmo import settings
from pcnmo.calendar import financial_quarter

FIRST_MONTH = settings.first_month(settings.paths()).isoformat()

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
