"""NHS numbers from the 999 test range on load: one synthetic person per practice, linked across
that practice's tables; a real number links one patient across practices.

A synthetic ICB larger than the 999 range (about 909,000 valid numbers) reuses it at different
practices (synthetic.population.number_blocks), so the loader must not merge two synthetic
people who share a test number at two practices.
"""

from __future__ import annotations

from ingestion.load import load_month
from pcnmo.contracts import PATIENTS, PINCER_ACTIONS
from tests.ingestion.conftest import (
    KEY,
    MONTH,
    assert_log_adds_up,
    emis_patient,
    query,
    write_extract,
)

TEST_NUMBER = "9990000026"  # valid: 999 000 002, check digit 6
REAL_FORMAT_NUMBER = "9434765919"  # the public worked example of the modulus-11 check


def _patient_ids(conn) -> dict[tuple[str, int], str]:
    rows = query(conn, "select practice_code, _source_row, patient_id from raw_clinical.patients")
    return {(r["practice_code"], r["_source_row"]): r["patient_id"] for r in rows}


def test_a_shared_test_number_is_two_people_and_a_real_number_one(conn, inbox, month_dir):
    for practice in ("A12345", "B23456"):
        write_extract(
            month_dir / f"EMIS_{practice}_patients_202609.csv",
            PATIENTS,
            "emis",
            [emis_patient(TEST_NUMBER), emis_patient(REAL_FORMAT_NUMBER)],
        )
    write_extract(
        month_dir / "pincer_actions_U12345_202609.csv",
        PINCER_ACTIONS,
        "local",
        [
            {
                "practice_code": "A12345",
                "nhs_number": "999 000 0026",
                "indicator": "A",
                "identified_date": "2026-09-03",
            }
        ],
    )

    load_month(conn, PATIENTS, MONTH, inbox, key=KEY)
    load_month(conn, PINCER_ACTIONS, MONTH, inbox, key=KEY)

    ids = _patient_ids(conn)  # rows 2 and 3: the test number, then the real one
    assert ids[("A12345", 2)] != ids[("B23456", 2)]
    assert ids[("A12345", 3)] == ids[("B23456", 3)]
    assert len(set(ids.values())) == 3
    [action] = query(conn, "select patient_id from raw_local.pincer_actions")
    assert action["patient_id"] == ids[("A12345", 2)]
    assert_log_adds_up(conn)
