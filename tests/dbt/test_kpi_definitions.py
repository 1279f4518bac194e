"""The KPI dictionary seed (seeds/kpi_definitions.csv) covers docs/design.md section 4 and is
coherent.

Read with the csv module, so these run without dbt; `dbt test --select kpi_definitions` checks
the same file's keys and enums once loaded.
"""

from __future__ import annotations

import csv
import re

import pytest
import yaml

from tests.dbt.dbt_runner import SEEDS_DIR

SEED = SEEDS_DIR / "kpi_definitions.csv"

COLUMNS = [
    "kpi_id",
    "family",
    "name",
    "definition",
    "numerator",
    "denominator",
    "value_kind",
    "unit",
    "display_decimals",
    "direction",
    "period_grain",
    "reported_for",
    "rag_green_threshold",
    "rag_amber_threshold",
    "threshold_rationale",
    "target_source",
    "peer_comparator",
    "source_data",
    "des_qof_iif_link",
    "small_number_suppression",
    "report_section",
    "component_model",
    "why_it_matters",
]
THRESHOLDS = ("rag_green_threshold", "rag_amber_threshold")
BOOLEANS = ("small_number_suppression",)
OPTIONAL = ("peer_comparator",)
TEXT_COLUMNS = [
    c for c in COLUMNS if c not in THRESHOLDS and c not in BOOLEANS and c not in OPTIONAL
]

# The unit each kind of value is published in, and the decimals the reports print it with.
UNIT_OF_VALUE_KIND = {
    "proportion": "percent",
    "percent_of_target": "percent",
    "score": "percent",
    "mean": "mean_per_smr",
    "count": "count",
    "rate_per_10000": "rate_per_10000",
    "pounds_per_astro_pu": "pounds_per_astro_pu",
    "ratio_to_peer": "ratio",
}
DECIMALS_OF_UNIT = {
    "percent": "1",
    "mean_per_smr": "2",
    "count": "0",
    "rate_per_10000": "1",
    "pounds_per_astro_pu": "2",
    "ratio": "2",
}

FAMILY_PREFIX = {
    "clinical_activity": "CA",
    "prescribing_safety": "PS",
    "cost": "CO",
    "des_assurance": "DA",
}

# The 16 KPIs of docs/design.md section 4, typed in by hand, each with the keywords
# (case-insensitive) that must each appear in the `name` of at least one KPI of that family.
# Where the dictionary splits a design KPI into several rows, every part is listed.
DESIGN_KPIS: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "clinical_activity",
        "SMRs completed YTD vs DES cohort target (cumulative and monthly, with trajectory)",
        ("SMRs completed year to date", "SMRs completed in the period"),
    ),
    (
        "clinical_activity",
        "HRD register patients with current monitoring (%)",
        ("current monitoring",),
    ),
    (
        "clinical_activity",
        "discharge medicines reconciliation within 7 days (%)",
        ("reconciled within 7 days",),
    ),
    ("clinical_activity", "deprescribing actions per SMR (mean)", ("deprescribing",)),
    (
        "clinical_activity",
        "LTC titration clinic throughput (HTN, T2DM, lipids, respiratory)",
        (
            "titration clinic throughput: hypertension",
            "titration clinic throughput: type 2 diabetes",
            "titration clinic throughput: lipids",
            "titration clinic throughput: respiratory",
        ),
    ),
    ("prescribing_safety", "MHRA Class 1/2 alert closure within window (%)", ("Class 1/2",)),
    ("prescribing_safety", "PINCER hazard interventions completed per quarter", ("PINCER",)),
    (
        "prescribing_safety",
        "SEAs raised, completed and themed (count + theme map)",
        ("SEAs raised", "SEAs completed"),
    ),
    (
        "prescribing_safety",
        "prescribing safety incident rate per 10,000 patients",
        ("safety incidents reported per 10,000",),
    ),
    (
        "prescribing_safety",
        "prescribing safety culture audit score (annual)",
        ("safety culture audit",),
    ),
    (
        "cost",
        "prescribing cost per weighted patient (ASTRO-PU) vs ICB peer median",
        ("cost per ASTRO-PU vs ICB peer median",),
    ),
    ("cost", "formulary first-line rate on new starts (%)", ("formulary first-line",)),
    ("cost", "switch programme completion against schedule (%)", ("switch programme",)),
    (
        "des_assurance",
        "supervision evidence currency for every ARRS role (%)",
        ("current supervision",),
    ),
    (
        "des_assurance",
        "scope of practice currency for every ARRS role (%)",
        ("scope of practice",),
    ),
    (
        "des_assurance",
        "cohort delivery against target, by cohort",
        (
            "cohort delivery: care home",
            "cohort delivery: learning disabilit",
            "cohort delivery: polypharmacy",
            "cohort delivery: at risk of medication errors",
            "cohort delivery: severe frailty",
            "cohort delivery: potentially addictive",
        ),
    ),
]


def _rows() -> list[dict[str, str]]:
    with SEED.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


ROWS = _rows()


def _ids(row: dict[str, str]) -> str:
    return row["kpi_id"]


def _threshold(row: dict[str, str], column: str) -> float | None:
    value = row[column].strip()
    return float(value) if value else None


def test_columns_are_in_the_agreed_order():
    with SEED.open(newline="", encoding="utf-8") as f:
        assert next(csv.reader(f)) == COLUMNS


def test_seed_yaml_types_and_describes_every_column_in_order():
    seeds = yaml.safe_load((SEEDS_DIR / "_seeds.yml").read_text())["seeds"]
    (entry,) = [s for s in seeds if s["name"] == "kpi_definitions"]
    assert list(entry["config"]["column_types"]) == COLUMNS
    assert [c["name"] for c in entry["columns"]] == COLUMNS
    assert entry["description"].startswith("One row per KPI")


def test_design_list_has_all_sixteen_kpis():
    assert len(DESIGN_KPIS) == 16


@pytest.mark.parametrize(
    ("family", "design_kpi", "keywords"), DESIGN_KPIS, ids=[k[1] for k in DESIGN_KPIS]
)
def test_every_design_kpi_has_a_row_in_its_family(family, design_kpi, keywords):
    names = [row["name"].lower() for row in ROWS if row["family"] == family]
    missing = [k for k in keywords if not any(k.lower() in name for name in names)]
    assert not missing, f"{design_kpi}: no {family} KPI named like {missing}"


def test_every_family_has_at_least_one_kpi():
    assert {row["family"] for row in ROWS} == set(FAMILY_PREFIX)


def test_ids_are_unique_and_carry_their_family_prefix():
    ids = [row["kpi_id"] for row in ROWS]
    assert len(ids) == len(set(ids))
    for row in ROWS:
        assert re.fullmatch(rf"{FAMILY_PREFIX[row['family']]}\d{{2}}", row["kpi_id"]), row


@pytest.mark.parametrize("row", ROWS, ids=_ids)
def test_text_fields_are_filled_in(row):
    empty = [c for c in TEXT_COLUMNS if not row[c].strip()]
    assert not empty


@pytest.mark.parametrize("row", ROWS, ids=_ids)
def test_definition_says_more_than_the_name(row):
    def words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower())

    definition, name = words(row["definition"]), words(row["name"])
    assert definition != name
    assert len(definition) >= len(name) + 8, "a definition should explain, not restate"


@pytest.mark.parametrize("row", ROWS, ids=_ids)
def test_booleans_are_true_or_false(row):
    assert {row[c] for c in BOOLEANS} <= {"true", "false"}


@pytest.mark.parametrize("row", ROWS, ids=_ids)
def test_thresholds_are_both_set_or_both_blank(row):
    green, amber = (_threshold(row, c) for c in THRESHOLDS)
    assert (green is None) == (amber is None)


@pytest.mark.parametrize("row", ROWS, ids=_ids)
def test_thresholds_agree_with_direction(row):
    green, amber = (_threshold(row, c) for c in THRESHOLDS)
    if green is None:
        return
    if row["direction"] == "higher_is_better":
        assert green >= amber
    else:  # lower_is_better; on_target thresholds are distances from the target
        assert green <= amber


@pytest.mark.parametrize("row", [r for r in ROWS if r["unit"] == "percent"], ids=_ids)
def test_percent_thresholds_lie_between_0_and_100(row):
    for column in THRESHOLDS:
        value = _threshold(row, column)
        assert value is None or 0 <= value <= 100


def test_most_kpis_carry_a_rag():
    without = [row["kpi_id"] for row in ROWS if not row["rag_green_threshold"].strip()]
    assert len(without) <= len(ROWS) // 5, f"too many KPIs without RAG: {without}"


def test_only_cost_per_astro_pu_has_a_peer_comparator():
    with_peer = [row for row in ROWS if row["peer_comparator"]]
    assert with_peer
    assert all(row["family"] == "cost" and "ASTRO-PU" in row["name"] for row in with_peer)
    assert {row["peer_comparator"] for row in with_peer} == {"icb_peer_median"}


@pytest.mark.parametrize("row", ROWS, ids=_ids)
def test_value_kind_fits_the_unit_and_decimals(row):
    assert UNIT_OF_VALUE_KIND[row["value_kind"]] == row["unit"]
    assert row["display_decimals"] == DECIMALS_OF_UNIT[row["unit"]]


@pytest.mark.parametrize("row", ROWS, ids=_ids)
def test_target_kpis_are_percent_of_target(row):
    """Every KPI measured against a local target or a schedule may run over 100%."""
    if row["denominator"].startswith("Local target"):
        assert row["value_kind"] == "percent_of_target"


def test_target_denominators_name_the_local_targets_seed():
    """SMR, cohort and clinic targets are local (no national SMR target since April 2023)."""
    targeted = [row for row in ROWS if row["denominator"].startswith("Local target")]
    assert {"CA01", "CA02", "DA03"} <= {row["kpi_id"] for row in targeted}
    for row in targeted:
        assert "pcn_targets" in row["target_source"], row["kpi_id"]
        assert "pcn_targets" in row["source_data"], row["kpi_id"]
