"""`dbt build` of the seeds and staging models on a small hand-written raw warehouse.

The raw tables are created exactly as ingestion creates them (`ensure_schema`) and filled with:
* scenario rows written out below: both clinical dialects, a re-delivered event, two snapshots
  of a log and of an ODS register;
* one row per label every contract accepts, in mixed case, so each staging accepted_values
  and not_null test sees every spelling the loader lets through.
One build serves the whole module (dbt invocations cost seconds); the tests then read the
staged views.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingestion.duckdb_io import ensure_schema
from pcnmo.contracts import (
    CONTRACTS,
    FLAG_VALUES,
    RAW_METADATA_COLUMNS,
    Kind,
    TableContract,
)
from tests.dbt.dbt_runner import DbtInvocation, build_selection, failed_nodes

AUGUST = date(2026, 8, 1)
SEPTEMBER = date(2026, 9, 1)
LOADED_AT = datetime(2026, 10, 2, 9, 30)

Row = dict[str, Any]


def delivered(
    file_name: str, month: date, dialect: str, *rows: Row, first_row: int = 2
) -> list[Row]:
    """Stamp rows with the metadata ingestion writes for one delivered file."""
    return [
        {
            **row,
            "_month": month,
            "_source_file": file_name,
            "_source_row": number,
            "_dialect": dialect,
            "_loaded_at": LOADED_AT,
        }
        for number, row in enumerate(rows, start=first_row)
    ]


SCENARIO: dict[tuple[str, str], list[Row]] = {
    ("clinical", "patients"): [
        *delivered(
            "EMIS_A81001_patients_202608.csv",
            AUGUST,
            "emis",
            {
                "practice_code": "A81001",
                "patient_id": "p1",
                "date_of_birth": date(1940, 5, 1),
                "sex": "Male",
                "registration_date": date(2001, 1, 1),
                "is_care_home_resident": "Yes",
                "has_learning_disability": "No",
                "is_end_of_life": "N",
            },
        ),
        *delivered(
            "EMIS_A81001_patients_202609.csv",
            SEPTEMBER,
            "emis",
            {
                "practice_code": "A81001",
                "patient_id": "p1",
                "date_of_birth": date(1940, 5, 1),
                "sex": "Male",
                "registration_date": date(2001, 1, 1),
                "is_care_home_resident": "Yes",
                "has_learning_disability": "No",
                "is_end_of_life": "N",
            },
            {
                "practice_code": "A81001",
                "patient_id": "p2",
                "date_of_birth": date(1975, 2, 3),
                "sex": "Female",
                "registration_date": date(2010, 6, 1),
                "is_care_home_resident": "TRUE",
                "has_learning_disability": "false",
                "is_end_of_life": "0",
            },
        ),
        *delivered(
            "S1_B82001_patients_202609.csv",
            SEPTEMBER,
            "systmone",
            {
                "practice_code": "B82001",
                "patient_id": "p3",
                "date_of_birth": date(1950, 7, 8),
                "sex": "M",
                "registration_date": date(1999, 9, 9),
                "is_care_home_resident": "y",
                "has_learning_disability": "1",
                "is_end_of_life": "n",
            },
            {
                "practice_code": "B82001",
                "patient_id": "p4",
                "date_of_birth": date(2020, 1, 1),
                "sex": "U",
                "registration_date": date(2020, 1, 2),
                "is_care_home_resident": "N",
                "has_learning_disability": "N",
                "is_end_of_life": "N",
            },
        ),
    ],
    ("clinical", "events"): [
        *delivered(
            "EMIS_A81001_events_202608.csv",
            AUGUST,
            "emis",
            {
                "practice_code": "A81001",
                "patient_id": "p1",
                "snomed_code": "1239511000000100",
                "term": "Structured medication review",
                "event_date": date(2026, 8, 20),
            },
            {
                "practice_code": "A81001",
                "patient_id": "p1",
                "snomed_code": "1011481000000105",
                "event_date": date(2026, 8, 21),
                "value": 50.0,
                "value_unit": "mL/min/1.73m2",
            },
        ),
        *delivered(
            "EMIS_A81001_events_202609.csv",
            SEPTEMBER,
            "emis",
            # August's review, delivered again with the role filled in.
            {
                "practice_code": "A81001",
                "patient_id": "p1",
                "snomed_code": "1239511000000100",
                "term": "Structured medication review",
                "event_date": date(2026, 8, 20),
                "recorded_by_role": "Clinical Pharmacist",
            },
            {
                "practice_code": "A81001",
                "patient_id": "p2",
                "snomed_code": "1239511000000100",
                "event_date": date(2026, 9, 5),
            },
        ),
    ],
    ("clinical", "medication_issues"): [
        *delivered(
            "EMIS_A81001_medication_issues_202609.csv",
            SEPTEMBER,
            "emis",
            {
                "practice_code": "A81001",
                "patient_id": "p1",
                "dmd_code": "39113611000001102",
                "bnf_code": "0212000b0aaabab",
                "drug_name": "Atorvastatin 20mg tablets",
                "issue_date": date(2026, 9, 1),
                "issue_type": "Repeat Dispensing",
            },
        ),
        *delivered(
            "S1_B82001_medication_issues_202609.csv",
            SEPTEMBER,
            "systmone",
            {
                "practice_code": "B82001",
                "patient_id": "p3",
                "dmd_code": "39113611000001102",
                "drug_name": "Atorvastatin 20mg tablets",
                "issue_date": date(2026, 9, 2),
                "issue_type": "RD",
            },
            {
                "practice_code": "B82001",
                "patient_id": "p3",
                "dmd_code": "322236009",
                "drug_name": "Paracetamol 500mg tablets",
                "issue_date": date(2026, 9, 2),
                "issue_type": "a",
            },
        ),
    ],
    ("clinical", "discharges"): [
        # Delivered in August, then again in September with the letter's filing date corrected.
        row
        for month, received in ((AUGUST, date(2026, 8, 30)), (SEPTEMBER, date(2026, 8, 31)))
        for row in delivered(
            f"EMIS_A81001_discharges_{month:%Y%m}.csv",
            month,
            "emis",
            {
                "practice_code": "A81001",
                "patient_id": "p1",
                "discharge_date": date(2026, 8, 28),
                "document_received_date": received,
                "provider_code": "rxx",
            },
        )
    ],
    ("nhsbsa", "epd"): delivered(
        "EPD_SNOMED_202609.csv",
        SEPTEMBER,
        "epd_snomed",
        *(
            {
                "year_month": SEPTEMBER,
                "practice_code": "A81001",
                "practice_name": "THE SURGERY",
                "bnf_code": "0212000B0AAABAB",
                "bnf_description": "Atorvastatin 20mg tablets",
                "quantity": quantity,
                "items": 2,
                "nic": Decimal("1.50"),
                "actual_cost": Decimal("1.40"),
            }
            for quantity in (28.0, 56.0)
        ),
    ),
    ("nhsd", "gp_list_sizes"): delivered(
        "gp-reg-pat-prac-quin-age.csv",
        SEPTEMBER,
        "quinary",
        {
            "extract_date": date(2026, 9, 1),
            "org_type": "GP",
            "org_code": "A81001",
            "sex": "MALE",
            "age_group": "0_4",
            "number_of_patients": 120,
        },
        {
            "extract_date": date(2026, 9, 1),
            "org_type": "GP",
            "org_code": "A81001",
            "sex": "ALL",
            "age_group": "ALL",
            "number_of_patients": 9000,
        },
        {
            "extract_date": date(2026, 9, 1),
            "org_type": "PCN",
            "org_code": "U11111",
            "sex": "ALL",
            "age_group": "ALL",
            "number_of_patients": 50000,
        },
    ),
    ("ods", "epcn_pcns"): [
        *delivered(
            "ePCN.xlsx",
            AUGUST,
            "xlsx",
            {"pcn_code": "U11111", "pcn_name": "OLD NAME PCN", "open_date": date(2019, 7, 1)},
            {"pcn_code": "U99999", "pcn_name": "MERGED PCN", "open_date": date(2019, 7, 1)},
        ),
        *delivered(
            "ePCN.xlsx",
            SEPTEMBER,
            "xlsx",
            {"pcn_code": "U11111", "pcn_name": "NEW NAME PCN", "open_date": date(2019, 7, 1)},
        ),
    ],
    ("local", "safety_alerts"): [
        *delivered(
            "safety_alerts_U11111_202608.csv",
            AUGUST,
            "local",
            {
                "pcn_code": "U11111",
                "alert_reference": "NatPSA/2026/001/MHRA",
                "alert_title": "Valproate",
                "alert_type": "NatPSA",
                "practice_code": "A81001",
                "received_date": date(2026, 8, 3),
                "triage_outcome": "Pending",
            },
            {
                "pcn_code": "U11111",
                "alert_reference": "EL (26)A/02",
                "alert_title": "Recall entered in error",
                "alert_type": "MHRA Class 2",
                "practice_code": "A81001",
                "received_date": date(2026, 8, 4),
                "triage_outcome": "Pending",
            },
        ),
        *delivered(
            "safety_alerts_U11111_202609.xlsx",
            SEPTEMBER,
            "local",
            {
                "pcn_code": "U11111",
                "alert_reference": "NatPSA/2026/001/MHRA",
                "alert_title": "Valproate",
                "alert_type": "natpsa",
                "practice_code": "A81001",
                "received_date": date(2026, 8, 3),
                "triage_outcome": "APPLICABLE",
                "closed_date": date(2026, 9, 10),
            },
        ),
        *delivered(
            "safety_alerts_U22222_202608.csv",
            AUGUST,
            "local",
            {
                "pcn_code": "U22222",
                "alert_reference": "EL (26)A/01",
                "alert_title": "Class 1 recall",
                "alert_type": "MHRA Class 1",
                "practice_code": "B82001",
                "received_date": date(2026, 8, 1),
                "triage_outcome": "Not applicable",
            },
        ),
    ],
}


def _vary_case(label: str, i: int) -> str:
    return (label, label.lower(), label.upper())[i % 3]


def _value(column_kind: Kind, name: str, accepted: tuple[str, ...], i: int) -> Any:
    if accepted:
        return _vary_case(accepted[i % len(accepted)], i)
    return {
        Kind.PRACTICE_CODE: f"G{i:05d}",
        Kind.PCN_CODE: f"U{70000 + i}",
        Kind.ODS_CODE: f"ODS{i:03d}",
        Kind.NHS_NUMBER: f"pseudonym-{i}",
        Kind.SNOMED: str(100000 + i),
        Kind.BNF_CODE: "0212000B0AAABAB",
        Kind.DATE: date(2026, 1, 1) + timedelta(days=i),
        Kind.MONTH: SEPTEMBER,
        Kind.INTEGER: i,
        Kind.DECIMAL: 0.5,
        Kind.MONEY: Decimal("1.25"),
        Kind.FLAG: _vary_case(FLAG_VALUES[i % len(FLAG_VALUES)], i),
    }.get(column_kind, f"{name} {i}")


def every_label_rows(table: TableContract) -> list[Row]:
    """One row per accepted label (and flag spelling) of the table, keys distinct per row."""
    count = max(
        [3]
        + [len(column.accepted) for column in table.columns]
        + [len(FLAG_VALUES) for column in table.columns if column.kind is Kind.FLAG]
    )
    rows = [
        {
            column.raw_name: _value(column.kind, column.raw_name, column.accepted, i)
            for column in table.columns
        }
        for i in range(count)
    ]
    if table.name == "gp_list_sizes":  # staging keeps practices only
        for row in rows:
            row["org_type"] = "GP"
    # An ODS release is one file per month (staging keeps only the newest file), so these rows
    # join the scenario's September file there; elsewhere they are a file of their own.
    dialect = table.dialects[0]
    file_name = dialect.example_file if table.source == "ods" else f"every_label_{table.name}.csv"
    return delivered(file_name, SEPTEMBER, dialect.name, *rows, first_row=100)


def insert(conn: duckdb.DuckDBPyConnection, table: TableContract, rows: list[Row]) -> None:
    columns = [column.raw_name for column in table.columns]
    columns += [name for name, _, _ in RAW_METADATA_COLUMNS]
    for row in rows:
        unknown = set(row) - set(columns)
        assert not unknown, f"{table.qualified_name} has no column(s) {unknown}"
    placeholders = ", ".join("?" for _ in columns)
    conn.executemany(
        f"insert into {table.qualified_name} ({', '.join(columns)}) values ({placeholders})",
        [[row.get(column) for column in columns] for row in rows],
    )


def write_raw_warehouse(database: Path, raw: dict[tuple[str, str], list[Row]]) -> None:
    """A new warehouse holding the raw tables in `raw` (keyed by source and table), the
    others empty: the hand-written scenarios of the dbt build tests."""
    with duckdb.connect(str(database)) as conn:
        ensure_schema(conn)
        for table in CONTRACTS:
            if table.asset_key in raw:
                insert(conn, table, raw[table.asset_key])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[DbtInvocation, Path]:
    work_dir = tmp_path_factory.mktemp("dbt_build")
    database = work_dir / "warehouse.duckdb"
    with duckdb.connect(str(database)) as conn:
        ensure_schema(conn)
        for table in CONTRACTS:
            insert(conn, table, SCENARIO.get(table.asset_key, []) + every_label_rows(table))
    invocation = build_selection(
        "staging",
        "resource_type:seed",
        duckdb_path=database,
        work_dir=work_dir,
    )
    return invocation, database


def rows(conn: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return conn.execute(sql).fetchall()


def test_build_runs_seeds_models_data_tests_and_unit_tests_green(built):
    invocation, _ = built
    assert invocation.returncode == 0, invocation.output
    assert not failed_nodes(invocation), invocation.output
    results = invocation.artifact("run_results.json")["results"]
    kinds = {r["unique_id"].split(".")[0] for r in results}
    assert {"seed", "model", "test", "unit_test"} <= kinds


def test_every_staging_model_has_rows(warehouse):
    views = rows(
        warehouse,
        "select table_name from information_schema.tables where table_schema = 'staging'",
    )
    assert len(views) == len(CONTRACTS)
    for (view,) in views:
        assert rows(warehouse, f"select count(*) from staging.{view}")[0][0] > 0, view


def test_staged_columns_are_exactly_the_documented_columns(built, warehouse):
    invocation, _ = built
    manifest = invocation.artifact("manifest.json")
    offenders = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] != "staging":
            continue
        actual = [
            name
            for (name,) in rows(
                warehouse,
                "select column_name from information_schema.columns "
                f"where table_schema = 'staging' and table_name = '{node['name']}' "
                "order by ordinal_position",
            )
        ]
        if actual != list(node["columns"]):
            offenders.append(f"{node['name']}: built {actual}, documented {list(node['columns'])}")
    assert not offenders, "\n".join(offenders)


def test_patients_keep_every_monthly_snapshot_with_sex_and_flags_normalised(warehouse):
    staged = rows(
        warehouse,
        """
        select practice_code, patient_id, snapshot_month, sex,
            is_care_home_resident, has_learning_disability, is_end_of_life, source_dialect
        from staging.stg_clinical__patients
        where practice_code in ('A81001', 'B82001')
        order by practice_code, patient_id, snapshot_month
        """,
    )
    assert staged == [
        ("A81001", "p1", AUGUST, "M", True, False, False, "emis"),
        ("A81001", "p1", SEPTEMBER, "M", True, False, False, "emis"),
        ("A81001", "p2", SEPTEMBER, "F", True, False, False, "emis"),
        ("B82001", "p3", SEPTEMBER, "M", True, True, False, "systmone"),
        ("B82001", "p4", SEPTEMBER, "U", False, False, False, "systmone"),
    ]


def test_redelivered_event_is_kept_once_from_the_latest_delivery(warehouse):
    staged = rows(
        warehouse,
        """
        select patient_id, snomed_code, event_date, recorded_by_role, delivery_month,
            source_file_name
        from staging.stg_clinical__events
        where practice_code = 'A81001'
        order by patient_id, event_date
        """,
    )
    assert staged == [
        (
            "p1",
            "1239511000000100",
            date(2026, 8, 20),
            "Clinical Pharmacist",
            SEPTEMBER,
            "EMIS_A81001_events_202609.csv",
        ),
        (
            "p1",
            "1011481000000105",
            date(2026, 8, 21),
            None,
            AUGUST,
            "EMIS_A81001_events_202608.csv",
        ),
        (
            "p2",
            "1239511000000100",
            date(2026, 9, 5),
            None,
            SEPTEMBER,
            "EMIS_A81001_events_202609.csv",
        ),
    ]


def test_redelivered_discharge_is_kept_once_from_the_latest_delivery(warehouse):
    staged = rows(
        warehouse,
        """
        select patient_id, document_received_date, provider_code, delivery_month
        from staging.stg_clinical__discharges
        where practice_code = 'A81001'
        """,
    )
    assert staged == [("p1", date(2026, 8, 31), "RXX", SEPTEMBER)]


def test_issue_types_of_both_dialects_are_normalised(warehouse):
    staged = rows(
        warehouse,
        """
        select practice_code, drug_name, issue_type, bnf_code
        from staging.stg_clinical__medication_issues
        where practice_code in ('A81001', 'B82001')
        order by practice_code, drug_name
        """,
    )
    assert staged == [
        ("A81001", "Atorvastatin 20mg tablets", "repeat_dispensing", "0212000B0AAABAB"),
        ("B82001", "Atorvastatin 20mg tablets", "repeat_dispensing", None),
        ("B82001", "Paracetamol 500mg tablets", "acute", None),
    ]


def test_every_epd_row_is_kept(warehouse):
    staged = rows(
        warehouse,
        """
        select count(*), count(distinct prescription_id), sum(items)
        from staging.stg_nhsbsa__prescriptions
        where practice_code = 'A81001'
        """,
    )
    assert staged == [(2, 2, 4)]


def test_list_sizes_keep_practice_rows_only(warehouse):
    staged = rows(
        warehouse,
        """
        select practice_code, extract_month, sex, age_band, number_of_patients
        from staging.stg_nhsd__list_sizes
        where practice_code in ('A81001', 'U11111')
        order by number_of_patients
        """,
    )
    assert staged == [
        ("A81001", SEPTEMBER, "M", "0_4", 120),
        ("A81001", SEPTEMBER, "ALL", "ALL", 9000),
    ]


def test_ods_register_keeps_only_the_latest_release(warehouse):
    assert rows(warehouse, "select distinct snapshot_month from staging.stg_ods__pcns") == [
        (SEPTEMBER,)
    ]
    staged = rows(
        warehouse,
        """
        select pcn_code, pcn_name
        from staging.stg_ods__pcns
        where pcn_code in ('U11111', 'U99999')
        """,
    )
    assert staged == [("U11111", "NEW NAME PCN")]


def test_local_log_keeps_the_latest_snapshot_of_each_pcn(warehouse):
    staged = rows(
        warehouse,
        """
        select pcn_code, alert_reference, alert_type, triage_outcome, closed_date, snapshot_month
        from staging.stg_local__safety_alerts
        where pcn_code in ('U11111', 'U22222')
        order by pcn_code
        """,
    )
    assert staged == [
        (
            "U11111",
            "NatPSA/2026/001/MHRA",
            "natpsa",
            "applicable",
            date(2026, 9, 10),
            SEPTEMBER,
        ),
        ("U22222", "EL (26)A/01", "mhra_class_1", "not_applicable", None, AUGUST),
    ]


def test_alert_types_join_the_alert_class_windows_seed(warehouse):
    unmatched = rows(
        warehouse,
        """
        select distinct alerts.alert_type
        from staging.stg_local__safety_alerts as alerts
        left join seeds.alert_class_windows as windows
            on alerts.alert_type = windows.alert_type
        where windows.alert_type is null
        """,
    )
    assert unmatched == []


def test_list_size_bands_map_onto_astro_pu_weights(warehouse):
    unmatched = rows(
        warehouse,
        """
        select list_sizes.age_band, list_sizes.sex
        from staging.stg_nhsd__list_sizes as list_sizes
        left join seeds.list_size_age_bands as bands
            on list_sizes.age_band = bands.age_band
        left join seeds.astro_pu_weights as weights
            on bands.astro_pu_age_band = weights.astro_pu_age_band
            and list_sizes.sex = weights.sex
        where list_sizes.sex <> 'ALL' and list_sizes.age_band <> 'ALL'
            and weights.cost_weight is null
        """,
    )
    assert unmatched == []
