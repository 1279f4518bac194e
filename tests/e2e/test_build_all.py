"""The whole monthly pipeline through Dagster, on a small synthetic ICB and on real public files.

Runs the same jobs the schedule and `make demo` run (`ingest_month` over a range of months,
then `build_warehouse`), into a throwaway data directory, and checks the outcome in the
warehouse itself rather than trusting the run status.
"""

import re
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pcnmo.contracts import CONTRACTS
from synthetic import SyntheticConfig, generate
from tests.ingestion.test_real_public_files import EPD_FILES, LIST_SIZE_FILES, ODS_FILES

pytestmark = pytest.mark.e2e

MONTHS = ["2025-04", "2025-05", "2025-06"]
TINY = SyntheticConfig(
    start_month=MONTHS[0], months=len(MONTHS), pcns=3, patients=2000, practices=2
)
NHS_LIKE = re.compile(r"(?<![0-9])[0-9]{10}(?![0-9])")


def _nhs_valid(digits: str) -> bool:
    """Modulus 11, written out again here so the test does not trust the code it tests."""
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return check != 10 and check == int(digits[9])


def _run(job_name: str, months: list[str] | None = None) -> dg.ExecuteInProcessResult:
    from dagster_project.definitions import defs

    tags = {}
    if months:
        tags = {
            "dagster/asset_partition_range_start": f"{min(months)}-01",
            "dagster/asset_partition_range_end": f"{max(months)}-01",
        }
    return (
        defs()
        .resolve_job_def(job_name)
        .execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), tags=tags, raise_on_error=False
        )
    )


def _failed_checks(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    evaluations = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    return {
        f"{'/'.join(c.asset_key.path)}:{c.check_name}": c.severity.value
        for c in evaluations
        if not c.passed
    }


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, dbt_manifest) -> Path:
    path = tmp_path_factory.mktemp("e2e") / "data"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PCNMO_DATA_DIR", str(path))
        env.setenv("PCNMO_DUCKDB_PATH", str(path / "warehouse" / "pcnmo.duckdb"))
        yield path


@pytest.fixture(scope="module")
def synthetic(data_dir):
    summary = generate(data_dir / "inbox", TINY)
    ingest = _run("ingest_month", MONTHS)
    build = _run("build_warehouse")
    return summary, ingest, build


@pytest.fixture(scope="module")
def report_outputs(data_dir, synthetic) -> list[Path]:
    """The report jobs run on the built marts for the last month and its quarter, as the
    sensor after a build runs them."""
    from dagster_project.definitions import defs

    for job_name, partition in (
        ("monthly_reports", "2025-06-01"),
        ("quarterly_return", "2025-04-01"),
    ):
        result = (
            defs()
            .resolve_job_def(job_name)
            .execute_in_process(
                instance=dg.DagsterInstance.ephemeral(),
                partition_key=partition,
                raise_on_error=False,
            )
        )
        assert result.success, job_name
    return sorted(p for p in (data_dir / "outputs").rglob("*") if p.is_file())


@pytest.fixture()
def warehouse(data_dir, synthetic):
    with duckdb.connect(str(data_dir / "warehouse" / "pcnmo.duckdb"), read_only=True) as conn:
        yield conn


def test_both_jobs_succeed_and_every_blocking_check_passes(synthetic):
    _, ingest, build = synthetic
    assert ingest.success and build.success
    failed = {**_failed_checks(ingest), **_failed_checks(build)}
    assert not {k: v for k, v in failed.items() if v == "ERROR"}


def test_every_raw_table_and_staging_model_holds_every_generated_month(warehouse):
    late_log = ("local", "supervision_log", "2025-06")  # the generator holds this one back
    for table in CONTRACTS:
        loaded = {
            m.strftime("%Y-%m")
            for (m,) in warehouse.execute(
                "select distinct month from pipeline.ingestion_log "
                "where source = ? and table_name = ? and status = 'loaded'",
                [table.source, table.name],
            ).fetchall()
        }
        expected = {m for m in MONTHS if (table.source, table.name, m) != late_log}
        assert loaded == expected, table.qualified_name
        if table.snapshot:
            continue  # a log can be delivered empty (no SEA raised yet)
        with_rows = {
            m.strftime("%Y-%m")
            for (m,) in warehouse.execute(
                f"select distinct _month from {table.qualified_name}"
            ).fetchall()
        }
        assert with_rows == expected, table.qualified_name
    staged = {
        name
        for (name,) in warehouse.execute(
            "select table_name from information_schema.tables where table_schema = 'staging'"
        ).fetchall()
    }
    assert len(staged) == len(CONTRACTS)
    for name in staged:
        if name.startswith("stg_local__safety_"):
            continue  # a quiet PCN may have no incidents or audits yet
        assert warehouse.execute(f"select count(*) from staging.{name}").fetchall()[0][0], name


def test_ingestion_log_adds_up_and_matches_the_raw_tables(warehouse):
    unbalanced = warehouse.execute(
        "select file_name from pipeline.ingestion_log "
        "where rows_in <> rows_loaded + rows_quarantined + rows_out_of_scope"
    ).fetchall()
    assert not unbalanced
    for table in CONTRACTS:
        logged = dict(
            warehouse.execute(
                "select file_name, sum(rows_loaded) from pipeline.ingestion_log "
                "where source = ? and table_name = ? and status = 'loaded' group by 1",
                [table.source, table.name],
            ).fetchall()
        )
        landed = dict(
            warehouse.execute(
                f"select _source_file, count(*) from {table.qualified_name} group by 1"
            ).fetchall()
        )
        assert {f: n for f, n in logged.items() if n} == landed, table.qualified_name


def test_exactly_the_injected_bad_rows_are_quarantined(warehouse, synthetic):
    summary = synthetic[0]
    expected = {name: sum(reasons.values()) for name, reasons in summary.bad_rows.items()}
    quarantined = dict(
        warehouse.execute(
            "select file_name, count(*) from pipeline.quarantine group by 1"
        ).fetchall()
    )
    assert quarantined == expected


def test_no_nhs_number_reaches_any_table_of_the_warehouse(warehouse):
    text_columns = warehouse.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog')"
    ).fetchall()
    assert text_columns
    found = []
    for schema, table, column in text_columns:
        values = warehouse.execute(
            f'select distinct "{column}" from "{schema}"."{table}" '
            f"where regexp_matches(\"{column}\", '[0-9]{{10}}')"
        ).fetchall()
        for (value,) in values:
            found += [
                f"{schema}.{table}.{column}" for d in NHS_LIKE.findall(value) if _nhs_valid(d)
            ]
    assert not found


def test_the_nhs_number_typed_into_a_sea_summary_is_redacted(warehouse):
    summaries = [
        s
        for (s,) in warehouse.execute(
            "select summary from raw_local.significant_events where summary is not null"
        ).fetchall()
    ]
    assert any("[number removed]" in s for s in summaries)


def test_rerunning_a_month_leaves_every_count_unchanged(data_dir, synthetic):
    path = str(data_dir / "warehouse" / "pcnmo.duckdb")
    count_sql = " union all ".join(
        f"select '{t.qualified_name}', count(*) from {t.qualified_name}" for t in CONTRACTS
    )
    with duckdb.connect(path, read_only=True) as conn:
        before = conn.execute(count_sql).fetchall()
        log_before = conn.execute("select count(*) from pipeline.ingestion_log").fetchall()
    assert _run("ingest_month", MONTHS[1:2]).success
    with duckdb.connect(path, read_only=True) as conn:
        assert conn.execute(count_sql).fetchall() == before
        assert conn.execute("select count(*) from pipeline.ingestion_log").fetchall() == log_before


def test_checks_flag_the_late_log_and_the_quarantined_rows(synthetic):
    failed = _failed_checks(synthetic[1])
    assert failed.get("local/supervision_log:delivered_and_clean") == "WARN"
    for table in ("events", "patients", "medication_issues"):
        assert failed.get(f"clinical/{table}:delivered_and_clean") == "WARN"
    assert "clinical/discharges:delivered_and_clean" not in failed


def test_an_inbox_of_only_real_public_files_loads_and_says_what_is_missing(
    tmp_path, dbt_manifest, monkeypatch
):
    data = tmp_path / "data"
    monkeypatch.setenv("PCNMO_DATA_DIR", str(data))
    monkeypatch.setenv("PCNMO_DUCKDB_PATH", str(data / "warehouse" / "pcnmo.duckdb"))
    for month in ("2017-09", "2017-10"):
        inbox_month = data / "inbox" / month
        inbox_month.mkdir(parents=True)
        shutil.copy(EPD_FILES / f"EPD_{month.replace('-', '')}.csv", inbox_month)
        shutil.copy(LIST_SIZE_FILES / month / "gp-reg-pat-prac-quin-age.csv", inbox_month)
        shutil.copy(ODS_FILES / "2017-08" / "epraccur.csv", inbox_month)
    ingest = _run("ingest_month", ["2017-09", "2017-10"])
    assert ingest.success
    build = _run("build_warehouse")
    assert build.success
    with duckdb.connect(str(data / "warehouse" / "pcnmo.duckdb"), read_only=True) as conn:
        practices = conn.execute(
            "select count(distinct practice_code) from staging.stg_nhsbsa__prescriptions"
        ).fetchall()[0][0]
        missing = dict(
            conn.execute(
                "select source || '.' || table_name, count(*) from pipeline.ingestion_log "
                "where status = 'missing' group by 1"
            ).fetchall()
        )
        messages = [
            m
            for (m,) in conn.execute(
                "select message from pipeline.ingestion_log where status = 'missing'"
            ).fetchall()
        ]
    assert practices == 4
    assert missing["clinical.patients"] == 2 and missing["local.workforce"] == 2
    assert "nhsbsa.epd" not in missing
    assert all("no raw_" in m and "expected names like" in m for m in messages)


def test_every_sql_example_in_the_readme_runs_and_returns_rows(warehouse):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    examples = re.findall(r"```sql\n(.*?)```", readme, flags=re.DOTALL)
    assert examples, "the README shows analysts no SQL"
    for sql in examples:
        assert warehouse.execute(sql).fetchall(), sql


def test_the_report_jobs_write_every_output_from_the_built_marts(report_outputs, warehouse):
    from tests.reports.output_scan import all_text, csv_rows, leaks, overflowing_cells

    pcns = [
        r[0]
        for r in warehouse.execute(
            "select pcn_code from marts.dim_pcns where has_clinical_extracts order by 1"
        ).fetchall()
    ]
    names = {p.name for p in report_outputs}
    for pcn in pcns:
        assert {
            f"{pcn}_2025-06_dashboard.xlsx",
            f"{pcn}_2025-06_snomed_activity.csv",
            f"{pcn}_2025-26-Q1_icb_return.xlsx",
            f"{pcn}_2025-26-Q1_icb_return.csv",
        } <= names
    comparators = [p for p in report_outputs if p.name.endswith("_pcn_comparator.xlsx")]
    assert {p.name.split("_", 1)[1] for p in comparators} == {
        "2025-06_pcn_comparator.xlsx",
        "2025-26-Q1_pcn_comparator.xlsx",
    }
    for path in report_outputs:
        if path.suffix == ".xlsx":
            assert overflowing_cells(path) == [], path.name
        assert leaks(all_text(path)) == [], path.name
    returns = [p for p in report_outputs if p.name.endswith("_icb_return.csv")]
    rows = csv_rows(returns[0])
    assert rows and {"kpi_name", "unit", "target", "suppressed"} <= set(rows[0])
    # Every PCN of the ICB is in its comparator, the ones without clinical extracts too.
    import openpyxl

    overview = openpyxl.load_workbook(comparators[0])["Overview"]
    header = next(r for r in overview.iter_rows(values_only=True) if r[0] == "KPI")
    shown = {str(h).split()[0] for h in header[2:] if h}
    icb_pcns = {
        r[0]
        for r in warehouse.execute("select pcn_code from marts.dim_pcns where is_open").fetchall()
    }
    assert shown and shown <= icb_pcns and set(pcns) <= shown
