import datetime as dt
import gc
import weakref

import pandas as pd

from pcnmo.contracts import PATIENTS, SAFETY_ALERTS
from quality.raw_suites import month_chunks, split_by_month, suite_columns, validate

PSEUDONYM = "P" + "A" * 26
OTHER = "P" + "B" * 26
SEPTEMBER = dt.date(2026, 9, 1)
OCTOBER = dt.date(2026, 10, 1)


def _patients(**overrides) -> pd.DataFrame:
    row = {
        "practice_code": "Z01001",
        "patient_id": PSEUDONYM,
        "date_of_birth": dt.date(1950, 1, 1),
        "sex": "F",
        "registration_date": dt.date(2000, 1, 1),
        "deregistration_date": None,
        "date_of_death": None,
        "is_care_home_resident": "N",
        "efi_score": 0.2,
        "has_learning_disability": "N",
        "is_end_of_life": "N",
        "_month": SEPTEMBER,
    }
    row.update(overrides)
    return pd.DataFrame([row])


def _failed(outcome, blocking: bool) -> set[str]:
    failures = outcome.blocking_failures if blocking else outcome.warnings
    return {f"{o.expectation}:{o.column}" for o in failures}


def test_clean_rows_pass_every_expectation():
    outcome = validate(PATIENTS, _patients())
    assert outcome.rows == 1
    assert not outcome.blocking_failures and not outcome.warnings


def test_an_nhs_number_where_a_pseudonym_belongs_blocks_and_is_shown_masked():
    outcome = validate(PATIENTS, _patients(patient_id="943 476 5919"))
    assert "expect_column_values_to_match_regex:patient_id" in _failed(outcome, blocking=True)
    [failure] = [o for o in outcome.blocking_failures if o.column == "patient_id"]
    assert failure.examples == ("[number removed]",)
    assert not any("5919" in e for o in outcome.outcomes for e in o.examples)


def test_a_failure_names_the_file_and_row_of_each_failing_row():
    frame = pd.concat(
        [_patients(), _patients(sex=None, patient_id=OTHER)], ignore_index=True
    ).assign(_source_file="EMIS_Z01001_patients_202609.csv", _source_row=[2, 3])
    [failure] = validate(PATIENTS, frame).blocking_failures
    assert (failure.column, failure.unexpected_count) == ("sex", 1)
    assert failure.failing_rows == ("EMIS_Z01001_patients_202609.csv row 3",)


def test_the_same_patient_twice_in_one_month_blocks_but_not_across_months():
    same_month = pd.concat([_patients(), _patients()])
    assert any(
        "compound_columns_to_be_unique" in o.expectation
        for o in validate(PATIENTS, same_month).blocking_failures
    )
    two_months = pd.concat([_patients(), _patients(_month=OCTOBER)])
    assert not validate(PATIENTS, two_months).blocking_failures


def test_registration_before_birth_blocks_and_a_missing_required_value_blocks():
    outcome = validate(PATIENTS, _patients(registration_date=dt.date(1949, 1, 1)))
    assert "expect_column_pair_values_a_to_be_greater_than_b:registration_date, date_of_birth" in (
        _failed(outcome, blocking=True)
    )
    outcome = validate(PATIENTS, _patients(sex=None, patient_id=OTHER))
    assert "expect_column_values_to_not_be_null:sex" in _failed(outcome, blocking=True)


def test_an_alert_closed_before_it_arrived_only_warns():
    alert = pd.DataFrame(
        [
            {
                "pcn_code": "U90001",
                "alert_reference": "NatPSA/2026/001",
                "alert_title": "Valproate",
                "alert_type": "NatPSA",
                "practice_code": "Z01001",
                "received_date": dt.date(2026, 9, 10),
                "deadline_date": None,
                "triage_outcome": "Applicable",
                "patients_affected": 3,
                "action_taken": "Reviewed",
                "closed_date": dt.date(2026, 9, 1),
                "_month": SEPTEMBER,
            }
        ]
    )
    outcome = validate(SAFETY_ALERTS, alert)
    assert not outcome.blocking_failures
    assert _failed(outcome, blocking=False) == {
        "expect_column_pair_values_a_to_be_greater_than_b:closed_date, received_date"
    }


def test_one_run_over_two_months_gives_each_month_its_own_result():
    frame = pd.concat(
        [_patients(), _patients(_month=OCTOBER, sex=None, patient_id=OTHER)], ignore_index=True
    ).assign(_source_file=["EMIS_Z01001_patients_202609.csv", "EMIS_Z01001_patients_202610.csv"])
    frame["_source_row"] = [2, 5]
    months = split_by_month(validate(PATIENTS, frame), frame)

    assert set(months) == {SEPTEMBER, OCTOBER}
    assert months[SEPTEMBER].rows == 1 and not months[SEPTEMBER].blocking_failures
    [failure] = months[OCTOBER].blocking_failures
    assert (failure.column, failure.unexpected_count) == ("sex", 1)
    assert failure.failing_rows == ("EMIS_Z01001_patients_202610.csv row 5",)


def test_months_are_grouped_whole_into_frames_of_at_most_so_many_rows():
    counts = [("2025-04", 400), ("2025-05", 500), ("2025-06", 300), ("2025-07", 1200)]
    assert month_chunks(counts, max_rows=1000) == [
        ("2025-04", "2025-05"),
        ("2025-06", "2025-06"),
        ("2025-07", "2025-07"),  # larger than a frame: a frame of its own
    ]
    assert month_chunks([], max_rows=1000) == []


def test_a_suite_reads_only_the_columns_its_expectations_name():
    columns = suite_columns(PATIENTS)
    assert columns[-1] == "_month"  # the key is unique per month
    assert "patient_id" in columns and "registration_date" in columns
    assert "date_of_death" not in columns  # nothing checks it in the raw table


def test_a_validated_frame_is_not_kept_alive_by_great_expectations():
    # GX's context kept the last frame it validated: a suite over many months of a whole
    # ICB's medication issues (2.3M rows a month) held two months at once, and more and
    # more memory as it went. Memory is only bounded if the frame goes with the run.
    frame = _patients()
    watched = weakref.ref(frame)
    outcome = validate(PATIENTS, frame)
    del frame
    gc.collect()
    assert outcome.rows == 1
    assert watched() is None
