"""Financial quarters and output paths: the return's period and folder, by hand."""

import datetime as dt
from pathlib import Path

import pytest

from pcnmo.calendar import financial_quarter
from reports import paths


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 4, 1), (dt.date(2026, 4, 1), dt.date(2026, 6, 30), "2026/27 Q1")),
        (dt.date(2026, 9, 30), (dt.date(2026, 7, 1), dt.date(2026, 9, 30), "2026/27 Q2")),
        (dt.date(2026, 12, 15), (dt.date(2026, 10, 1), dt.date(2026, 12, 31), "2026/27 Q3")),
        (dt.date(2027, 3, 31), (dt.date(2027, 1, 1), dt.date(2027, 3, 31), "2026/27 Q4")),
        (dt.date(2026, 1, 1), (dt.date(2026, 1, 1), dt.date(2026, 3, 31), "2025/26 Q4")),
    ],
)
def test_financial_quarters_run_april_to_march(day, expected):
    assert financial_quarter(day) == expected


def test_outputs_land_in_a_folder_per_pcn_and_period():
    root = Path("/data/outputs")
    month = dt.date(2026, 9, 1)
    assert paths.dashboard_path(root, "U90001", month) == Path(
        "/data/outputs/U90001/2026-09/U90001_2026-09_dashboard.xlsx"
    )
    assert paths.activity_extract_path(root, "U90001", month).parent == root / "U90001/2026-09"
    assert paths.icb_return_paths(root, "U90001", month) == (
        root / "U90001/2026-27-Q2/U90001_2026-27-Q2_icb_return.xlsx",
        root / "U90001/2026-27-Q2/U90001_2026-27-Q2_icb_return.csv",
    )


def test_the_schedule_asks_for_the_quarter_holding_the_month():
    from dagster_project.defs.automation import quarter_partition_key

    assert [
        quarter_partition_key(m) for m in ("2026-09-01", "2026-10-01", "2027-03-01", "2026-04-01")
    ] == ["2026-07-01", "2026-10-01", "2027-01-01", "2026-04-01"]


def test_the_quarter_in_progress_has_a_partition_for_its_draft_return():
    from dagster_project.defs.automation import report_requests
    from dagster_project.partitions import financial_quarter_partitions

    keys = financial_quarter_partitions.get_partition_keys(
        current_time=dt.datetime(2026, 11, 10, 6, 0)
    )
    assert keys[-2:] == ["2026-07-01", "2026-10-01"]
    requests = report_requests("2026-10-01", "run1")
    assert [(r.job_name, r.partition_key) for r in requests] == [
        ("monthly_reports", "2026-10-01"),
        ("quarterly_return", "2026-10-01"),
    ]
