"""The blocking rules, checked on a month's rows inside the load's transaction: a month that
breaks one is rolled back, and the message names the rule, the files and the rows."""

from __future__ import annotations

import datetime as dt

import pytest

from ingestion.blocking import check_blocking_rules
from ingestion.duckdb_io import transaction
from ingestion.inbox import FileRejected
from ingestion.validation_sql import blocking_row_rules
from pcnmo.contracts import CONTRACTS, PATIENTS, Kind
from pcnmo.raw_rules import RuleKind, raw_rules

SEPTEMBER = dt.date(2026, 9, 1)
PSEUDONYM = "P" + "A" * 26


def _patient(conn, file_name: str, row: int, patient_id: str = PSEUDONYM, month=SEPTEMBER):
    conn.execute(
        "insert into raw_clinical.patients (practice_code, patient_id, date_of_birth, sex, "
        "registration_date, is_care_home_resident, has_learning_disability, is_end_of_life, "
        "_month, _source_file, _source_row, _dialect, _loaded_at) values "
        "('A12345', ?, date '1950-01-01', 'F', date '2001-01-01', 'N', 'N', 'N', ?, ?, ?, "
        "'emis', now())",
        [patient_id, month, file_name, row],
    )


def test_a_month_with_one_key_twice_is_rolled_back_naming_rule_files_and_rows(conn):
    _patient(conn, "EMIS_A12345_patients_202608.csv", 2, month=dt.date(2026, 8, 1))
    with pytest.raises(FileRejected) as caught, transaction(conn):
        _patient(conn, "EMIS_A12345_patients_202609.csv", 2)
        _patient(conn, "emis_a12345_patients_202609.csv", 7)
        check_blocking_rules(conn, PATIENTS, SEPTEMBER)

    message = str(caught.value)
    assert "'(practice_code, patient_id, _month) is unique'" in message
    assert "in 2 row(s)" in message
    assert "EMIS_A12345_patients_202609.csv row 2; emis_a12345_patients_202609.csv row 7" in message
    months = conn.execute("select _month from raw_clinical.patients").fetchall()
    assert months == [(dt.date(2026, 8, 1),)]  # September rolled back, August untouched


def test_an_nhs_number_where_a_pseudonym_belongs_blocks_the_month(conn):
    with pytest.raises(FileRejected, match="patient_id is a pseudonym"), transaction(conn):
        _patient(conn, "EMIS_A12345_patients_202609.csv", 2, patient_id="9434765919")
        check_blocking_rules(conn, PATIENTS, SEPTEMBER)


def test_a_clean_month_passes(conn):
    _patient(conn, "EMIS_A12345_patients_202609.csv", 2)
    check_blocking_rules(conn, PATIENTS, SEPTEMBER)


@pytest.mark.parametrize("table", CONTRACTS, ids=lambda t: t.qualified_name)
def test_every_blocking_rule_about_one_row_is_enforced_row_by_row(table):
    """So only what no single row shows can reject a whole month."""
    for rule in raw_rules(table):
        if not rule.blocking or not rule.single_row:
            continue
        if rule.kind is RuleKind.NOT_NULL:
            assert any(c.raw_name == rule.columns[0] and c.required for c in table.columns)
        elif rule.kind is RuleKind.MATCHES:
            assert any(
                c.raw_name == rule.columns[0] and c.kind is Kind.NHS_NUMBER for c in table.columns
            )
        else:
            assert rule in blocking_row_rules(table), rule
