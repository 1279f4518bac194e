"""Where each output lands: a folder per PCN and period under the outputs directory.

outputs/<PCN>/<YYYY-MM>/<PCN>_<YYYY-MM>_dashboard.xlsx
outputs/<PCN>/<YYYY-MM>/<PCN>_<YYYY-MM>_snomed_activity.csv
outputs/<PCN>/<YYYY-YY-Qn>/<PCN>_<YYYY-YY-Qn>_icb_return.xlsx (and .csv)
outputs/<ICB>/<YYYY-MM or YYYY-YY-Qn>/<ICB>_<period>_pcn_comparator.xlsx
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pcnmo.calendar import financial_quarter


def month_folder(outputs: Path, pcn_code: str, month: dt.date) -> Path:
    return outputs / pcn_code / f"{month:%Y-%m}"


def dashboard_path(outputs: Path, pcn_code: str, month: dt.date) -> Path:
    return month_folder(outputs, pcn_code, month) / f"{pcn_code}_{month:%Y-%m}_dashboard.xlsx"


def activity_extract_path(outputs: Path, pcn_code: str, month: dt.date) -> Path:
    name = f"{pcn_code}_{month:%Y-%m}_snomed_activity.csv"
    return month_folder(outputs, pcn_code, month) / name


def quarter_slug(day: dt.date) -> str:
    """'2026-27-Q2' for any day of financial quarter 2 of 2026/27."""
    return financial_quarter(day)[2].replace("/", "-").replace(" ", "-")


def icb_return_paths(outputs: Path, pcn_code: str, day: dt.date) -> tuple[Path, Path]:
    slug = quarter_slug(day)
    stem = outputs / pcn_code / slug / f"{pcn_code}_{slug}_icb_return"
    return stem.with_suffix(".xlsx"), stem.with_suffix(".csv")


def comparator_path(outputs: Path, icb_code: str, period_slug: str) -> Path:
    """The ICB's comparator for a month ('2026-09') or a quarter ('2026-27-Q2')."""
    return outputs / icb_code / period_slug / f"{icb_code}_{period_slug}_pcn_comparator.xlsx"
