"""`dbt build` of the prescribing safety marts and KPIs on a small hand-written raw warehouse.

Reuses the two practices and two months of test_smr_cohort_build (March and April 2026, a
financial-year boundary; P1 in PCN U11111 throughout, P2 moving from U11111 to U22222 on 1
April) and adds the Lead Pharmacists' safety logs, all delivered in April: U11111's logs hold
both practices' history, U22222's only P2's April alerts and incidents (no SEA register or
audit log, so P2's April SEA and audit KPIs have no data). The expected figures are worked out
here, by hand or with the calendar-day rule written in Python, not read back from the SQL. The
README's analyst query "practices with open alerts past their window" is run as written.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.dbt.dbt_runner import DbtInvocation, failed_nodes, run_dbt
from tests.dbt.published import published
from tests.dbt.test_smr_cohort_build import APRIL, MARCH, ODS_ROWS, patient_rows, query
from tests.dbt.test_staging_build import Row, delivered, write_raw_warehouse

# The tests of the models upstream of the KPI mart run in their own build tests (staging,
# core, SMR): here only the unit tests of this family (models/*/prescribing_safety) and
# the data tests of the safety and KPI models run, which keeps the build short.
OTHER_FAMILIES = ("staging", "intermediate/core", "intermediate/clinical_activity")
OTHER_FAMILIES += ("marts/core", "marts/clinical_activity")
UPSTREAM_TESTS = (
    *(f"test_type:unit,path:models/{folder}" for folder in OTHER_FAMILIES),
    *(f"test_type:data,path:models/{folder}" for folder in OTHER_FAMILIES),
    "test_type:unit,path:models/intermediate/kpis/_int_kpis__models.yml",
    "test_type:unit,path:models/marts/kpis",
)
LOG_MONTH_END = date(2026, 4, 30)  # status of open alerts and SEAs is judged on this day
WINDOW_DAYS = {"MHRA Class 1": 0, "MHRA Class 2": 2, "MHRA Class 3": 5, "MHRA Class 4": 5}
LIST_SIZE = {"P1": 6000, "P2": 2400}

# (pcn log, reference, class, practice, received, NatPSA deadline, triage, closed)
ALERTS = [
    # Class 2 received Monday 2 March: closed on day 2 (in window) at P1, day 3 (late) at P2.
    (
        "U11111",
        "EL (26)A/01",
        "MHRA Class 2",
        "P1",
        date(2026, 3, 2),
        None,
        "Applicable",
        date(2026, 3, 4),
    ),
    (
        "U11111",
        "EL (26)A/01",
        "MHRA Class 2",
        "P2",
        date(2026, 3, 2),
        None,
        "Applicable",
        date(2026, 3, 5),
    ),
    # NatPSA closed on its own deadline at P1; not applicable at P2 (out of PS01).
    (
        "U11111",
        "NatPSA/2026/001/MHRA",
        "NatPSA",
        "P1",
        date(2026, 3, 10),
        date(2026, 4, 10),
        "Applicable",
        date(2026, 4, 10),
    ),
    (
        "U11111",
        "NatPSA/2026/001/MHRA",
        "NatPSA",
        "P2",
        date(2026, 3, 10),
        date(2026, 4, 10),
        "Not applicable",
        date(2026, 3, 10),
    ),
    # Class 3: closed on day 5 at P1; never closed at P2 (open past its window on 30 April).
    (
        "U11111",
        "EL (26)A/02",
        "MHRA Class 3",
        "P1",
        date(2026, 3, 20),
        None,
        "Applicable",
        date(2026, 3, 25),
    ),
    ("U11111", "EL (26)A/02", "MHRA Class 3", "P2", date(2026, 3, 20), None, "Applicable", None),
    # Class 4 received 27 April, due 2 May: open inside its window, in no denominator yet.
    ("U11111", "EL (26)A/03", "MHRA Class 4", "P1", date(2026, 4, 27), None, "Applicable", None),
    # Company-led recalls have no window: not in fct_safety_alerts.
    ("U11111", "CL 26/01", "Company-led", "P1", date(2026, 4, 1), None, "Applicable", None),
    # P2 in April is U22222's: a Class 1 closed the next day (late).
    (
        "U22222",
        "EL (26)A/04",
        "MHRA Class 1",
        "P2",
        date(2026, 4, 14),
        None,
        "Applicable",
        date(2026, 4, 15),
    ),
]

# (reference, practice, theme, raised, completed); 90-day window, register as at 30 April.
SEAS = [
    ("SEA-1", "P1", "Prescribing error", date(2026, 3, 2), date(2026, 4, 20)),
    ("SEA-2", "P2", "Prescribing error", date(2026, 3, 5), None),  # open, due 3 June
    ("SEA-3", "P1", "Allergy", date(2026, 4, 10), date(2026, 4, 12)),
]

# (pcn log, reference, practice, reported, harm level)
INCIDENTS = [
    ("U11111", "INC-1", "P1", date(2026, 3, 10), "Moderate harm"),
    ("U11111", "INC-2", "P2", date(2026, 3, 15), "No harm"),
    ("U22222", "INC-3", "P2", date(2026, 4, 2), "Severe harm"),
    ("U22222", "INC-4", "P2", date(2026, 4, 20), "Low harm"),
]

# (practice, audit date, tool, score, max score): P2's audit is out of the 12-month window
# ending 30 April 2026 but inside the one ending 31 March.
AUDITS = [
    ("P1", date(2025, 11, 15), "PC-SafeQuest", 4.2, 5),
    ("P2", date(2025, 4, 20), "MaPSaF", 3.0, 5),
]

OPEN_ALERTS_PAST_WINDOW_SQL = """
select
    alerts.pcn_code,
    alerts.practice_code,
    practices.practice_name,
    count(*) as open_alerts_past_window,
    max(alerts.days_past_window) as most_days_past_window,
    string_agg(
        alerts.alert_reference || ' (' || alerts.alert_class || ', due '
        || alerts.deadline_date || ')',
        '; ' order by alerts.deadline_date
    ) as alerts
from marts.fct_safety_alerts as alerts
left join marts.dim_practices as practices
    on alerts.practice_code = practices.practice_code
where alerts.status = 'open_past_window'
group by alerts.pcn_code, alerts.practice_code, practices.practice_name
order by most_days_past_window desc, alerts.practice_code
"""


def log_rows(table: str, pcn: str, rows: list[Row]) -> list[Row]:
    return delivered(f"{table}_{pcn}_202604.csv", APRIL, "local", *rows)


def raw_rows() -> dict[tuple[str, str], list[Row]]:
    alerts = [
        row
        for pcn in ("U11111", "U22222")
        for row in log_rows(
            "safety_alerts",
            pcn,
            [
                {
                    "pcn_code": pcn,
                    "alert_reference": reference,
                    "alert_title": f"{kind}: test alert",
                    "alert_type": kind,
                    "practice_code": practice,
                    "received_date": received,
                    "deadline_date": deadline,
                    "triage_outcome": triage,
                    "closed_date": closed,
                }
                for log, reference, kind, practice, received, deadline, triage, closed in ALERTS
                if log == pcn
            ],
        )
    ]
    incidents = [
        row
        for pcn in ("U11111", "U22222")
        for row in log_rows(
            "safety_incidents",
            pcn,
            [
                {
                    "pcn_code": pcn,
                    "incident_reference": reference,
                    "practice_code": practice,
                    "incident_date": reported,
                    "reported_date": reported,
                    "category": "Prescribing",
                    "harm_level": harm,
                }
                for log, reference, practice, reported, harm in INCIDENTS
                if log == pcn
            ],
        )
    ]
    seas = log_rows(
        "significant_events",
        "U11111",
        [
            {
                "pcn_code": "U11111",
                "sea_reference": reference,
                "practice_code": practice,
                "event_date": raised,
                "raised_date": raised,
                "theme": theme,
                "completed_date": completed,
            }
            for reference, practice, theme, raised, completed in SEAS
        ],
    )
    audits = log_rows(
        "safety_culture_audits",
        "U11111",
        [
            {
                "pcn_code": "U11111",
                "practice_code": practice,
                "audit_date": audited,
                "tool": tool,
                "respondents": 12,
                "score": score,
                "max_score": maximum,
            }
            for practice, audited, tool, score, maximum in AUDITS
        ],
    )
    list_sizes = [
        row
        for month in (MARCH, APRIL)
        for row in delivered(
            "gp-reg-pat-prac-quin-age.csv",
            month,
            "quinary",
            *(
                {
                    "extract_date": month,
                    "org_type": "GP",
                    "org_code": practice,
                    "sex": "ALL",
                    "age_group": "ALL",
                    "number_of_patients": size,
                }
                for practice, size in LIST_SIZE.items()
            ),
        )
    ]
    return {
        ("clinical", "patients"): patient_rows(),
        ("local", "safety_alerts"): alerts,
        ("local", "significant_events"): seas,
        ("local", "safety_incidents"): incidents,
        ("local", "safety_culture_audits"): audits,
        ("nhsd", "gp_list_sizes"): list_sizes,
        **ODS_ROWS,
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[DbtInvocation, Path]:
    work_dir = tmp_path_factory.mktemp("dbt_safety_build")
    database = work_dir / "warehouse.duckdb"
    raw = raw_rows()
    write_raw_warehouse(database, raw)
    invocation = run_dbt(
        "build",
        "--select",
        "+fct_kpi_values",
        "+fct_safety_alerts",
        "+fct_significant_event_themes",
        "+dim_practices",
        "--exclude",
        *UPSTREAM_TESTS,
        "--indirect-selection",
        "cautious",
        duckdb_path=database,
        work_dir=work_dir,
    )
    return invocation, database


def expected_status(
    kind: str, received: date, deadline: date | None, triage: str, closed: date | None
) -> tuple[str, date]:
    """The closure rule in calendar days, written independently of the SQL."""
    due = deadline if kind == "NatPSA" else received + timedelta(days=WINDOW_DAYS[kind])
    if triage == "Not applicable":
        return "not_applicable", due
    if closed is not None:
        return ("closed_in_window" if closed <= due else "closed_late"), due
    return ("open_past_window" if due < LOG_MONTH_END else "open_in_window"), due


def kpi(conn: duckdb.DuckDBPyConnection, kpi_id: str) -> dict[tuple[str, str], tuple]:
    """(org_code, period_id) -> (numerator, denominator, value) for rows with data ('ok' or
    'nothing due': the log was delivered)."""
    return {
        (org_code, period_id): (numerator, denominator, value)
        for org_code, period_id, numerator, denominator, value in query(
            conn,
            f"""
            select org_code, period_id, numerator, denominator, value
            from marts.fct_kpi_values
            where kpi_id = '{kpi_id}' and data_status != 'no data'
            """,
        )
    }


def test_build_of_safety_models_and_their_tests_is_green(built):
    invocation, _ = built
    assert invocation.returncode == 0, invocation.output
    assert not failed_nodes(invocation), invocation.output


def test_fct_safety_alerts_statuses_follow_the_calendar_day_rule(warehouse):
    built_rows = {
        (practice, reference): (status, deadline)
        for practice, reference, status, deadline in query(
            warehouse,
            "select practice_code, alert_reference, status, deadline_date "
            "from marts.fct_safety_alerts",
        )
    }
    expected = {
        (practice, reference): expected_status(kind, received, deadline, triage, closed)
        for _, reference, kind, practice, received, deadline, triage, closed in ALERTS
        if kind != "Company-led"
    }
    assert built_rows == expected
    # Every status is exercised, so the comparison above covers each rule.
    assert {status for status, _ in expected.values()} == {
        "closed_in_window",
        "closed_late",
        "open_in_window",
        "open_past_window",
        "not_applicable",
    }


def test_ps01_and_ps02_count_alerts_by_deadline(warehouse):
    ps01, ps02 = kpi(warehouse, "PS01"), kpi(warehouse, "PS02")
    # March, U11111: the Class 2 is due 4 March, closed on time at P1 and a day late at P2;
    # the NatPSA is due 10 April, so it belongs to April (not applicable at P2).
    assert ps01[("P1", "month_2026-03-31")][:2] == (1, 1)
    assert ps01[("P2", "month_2026-03-31")][:2] == (0, 1)
    assert ps01[("U11111", "month_2026-03-31")] == (1, 2, published(100 * 1 / 2, 1))
    # April: P1 closed the NatPSA on its deadline (U11111 1 of 1); P2, now U22222's, closed a
    # Class 1 due 14 April a day late.
    assert ps01[("U11111", "month_2026-04-30")] == (1, 1, 100)
    assert ps01[("U22222", "month_2026-04-30")] == (0, 1, 0)
    # PS02, March: the Class 3 due 25 March, closed that day at P1, never at P2.
    assert ps02[("U11111", "month_2026-03-31")] == (1, 2, 50)
    # April: P2's Class 3 was still open at 1 April, so it counts against April too, in the
    # PCN P2 belongs to then; P1's Class 4 (due 2 May) is not due yet: nothing due.
    assert ps02[("U22222", "month_2026-04-30")] == (0, 1, 0)
    assert ps02[("U11111", "month_2026-04-30")] == (0, 0, None)
    assert status(warehouse, "PS02", "U11111", "month_2026-04-30") == "nothing due"
    # The year to date to April holds only April; the quarter to March only March here.
    assert ps01[("U22222", "financial_year_to_date_2026-04-30")] == (0, 1, 0)
    assert ps02[("U11111", "quarter_2026-03-31")] == (1, 2, 50)
    # The April-June quarter ends after the logs (April): no data rather than a partial figure.
    assert ("U11111", "quarter_2026-06-30") not in ps01


def status(conn: duckdb.DuckDBPyConnection, kpi_id: str, org_code: str, period_id: str) -> str:
    (row,) = query(
        conn,
        f"""
        select data_status from marts.fct_kpi_values
        where kpi_id = '{kpi_id}' and org_code = '{org_code}' and period_id = '{period_id}'
        """,
    )
    return row[0]


def test_sea_kpis_and_theme_mart(warehouse):
    ps04, ps05 = kpi(warehouse, "PS04"), kpi(warehouse, "PS05")
    assert ps04[("U11111", "month_2026-03-31")][:2] == (2, None)
    assert ps04[("U11111", "month_2026-04-30")][:2] == (1, None)
    # SEA-2 is open but not yet 90 days old: out of PS05 until 3 June.
    assert ps05[("U11111", "month_2026-03-31")] == (1, 1, 100)
    # U22222 delivered no SEA register: P2's April SEA figures are missing, not zero.
    assert ("U22222", "month_2026-04-30") not in ps04
    themes = query(
        warehouse,
        "select period_id, theme, events_raised, events_completed, events_open "
        "from marts.fct_significant_event_themes where pcn_code = 'U11111' order by theme",
    )
    assert themes == [
        ("quarter_2026-03-31", "allergy", 0, 0, 0),
        ("quarter_2026-03-31", "prescribing_error", 2, 1, 1),
    ]


def test_incident_rates_are_per_10000_patient_years_and_follow_the_pcn_change(warehouse):
    ps06, ps07 = kpi(warehouse, "PS06"), kpi(warehouse, "PS07")
    march_patient_years = (LIST_SIZE["P1"] + LIST_SIZE["P2"]) / 12
    assert ps06[("U11111", "month_2026-03-31")] == pytest.approx(
        (2, march_patient_years, published(10_000 * 2 / march_patient_years, 1))
    )
    # The year to date ending 31 March holds only March here: the same figures.
    assert ps06[("U11111", "financial_year_to_date_2026-03-31")] == pytest.approx(
        ps06[("U11111", "month_2026-03-31")]
    )
    # April: P2's incidents and patients go to U22222, P1's (none) to U11111.
    p2_april = LIST_SIZE["P2"] / 12
    assert ps06[("U22222", "month_2026-04-30")] == pytest.approx(
        (2, p2_april, published(10_000 * 2 / p2_april, 1))
    )
    assert ps07[("U22222", "month_2026-04-30")] == pytest.approx(
        (1, p2_april, published(10_000 / p2_april, 1))
    )
    assert ps06[("U11111", "month_2026-04-30")][0] == 0
    assert ps07[("U11111", "month_2026-03-31")][0] == 1


def test_ps08_uses_each_practices_latest_audit_in_the_last_12_months(warehouse):
    ps08 = kpi(warehouse, "PS08")
    assert ps08[("U11111", "month_2026-03-31")] == pytest.approx((7.2, 10, 72))
    # By 30 April P2's April 2025 audit is more than 12 months old (and P2 is in U22222).
    assert ps08[("U11111", "month_2026-04-30")] == pytest.approx((4.2, 5, 84))
    assert ("P2", "month_2026-04-30") not in ps08


def test_analyst_query_lists_practices_with_open_alerts_past_their_window(warehouse):
    (row,) = query(warehouse, OPEN_ALERTS_PAST_WINDOW_SQL)
    # Class 3 received 20 March, due 25 March, still open on 30 April: 36 days past.
    assert row[:2] == ("U11111", "P2")
    assert row[3:] == (1, 36, "EL (26)A/02 (MHRA Class 3, due 2026-03-25)")
