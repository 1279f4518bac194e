"""How every output shows a KPI: its unit in words, its precision, its figure as a number format
and as text, its RAG decided on the figure as shown, and which of the three kinds of empty it is.

One module, so the dashboard, the ICB return and the ICB comparator cannot disagree about a
figure. The facts come from the KPI's row of seed kpi_definitions (unit, direction, thresholds,
and the display precision where the seed declares one).
"""

from __future__ import annotations

from typing import Any

from xlsxwriter.format import Format

from reports.xlsx import Formats

UNIT_WORDS = {
    "percent": "per cent",
    "mean_per_smr": "actions per SMR",
    "rate_per_10000": "per 10,000 patients",
    "count": "count",
    "pounds_per_astro_pu": "pounds per ASTRO-PU",
    "ratio": "ratio to the ICB median",
}
# Decimal places shown when the seed does not declare display_decimals.
UNIT_DECIMALS = {
    "percent": 1,
    "mean_per_smr": 2,
    "rate_per_10000": 1,
    "count": 0,
    "pounds_per_astro_pu": 2,
    "ratio": 2,
}
DIRECTION_WORDS = {"higher_is_better": "higher is better", "lower_is_better": "lower is better"}
FAMILIES = {
    "clinical_activity": "Clinical activity",
    "prescribing_safety": "Prescribing safety",
    "cost": "Cost",
    "des_assurance": "DES assurance",
}

# The three kinds of empty (and 'ok'): a value; the source was delivered and nothing fell due
# (a zero denominator); the source is missing.
OK = "ok"
NOTHING_DUE = "nothing_due"
NO_DATA = "no_data"
STATUS_WORDS = {NOTHING_DUE: "nothing due", NO_DATA: "no data"}


def unit_words(definition: dict[str, Any]) -> str:
    unit = definition.get("unit") or ""
    return UNIT_WORDS.get(unit, unit.replace("_", " "))


def decimals(definition: dict[str, Any]) -> int:
    declared = definition.get("display_decimals")
    if declared not in (None, ""):
        return int(declared)
    return UNIT_DECIMALS.get(definition.get("unit") or "", 2)


def shown(value: float | None, definition: dict[str, Any]) -> float | None:
    """The value rounded to the precision it is shown at ('+ 0.0' turns -0.0 into 0.0, so a
    tiny negative change never shows as '-0.00')."""
    if value is None:
        return None
    return round(float(value), decimals(definition)) + 0.0


def status(row: dict[str, Any] | None) -> str:
    """ok, nothing_due or no_data for a fct_kpi_values row (None: no row at all)."""
    if row is None:
        return NO_DATA
    data_status = (row.get("data_status") or "").replace(" ", "_")
    if data_status == NO_DATA:
        return NO_DATA
    if data_status == NOTHING_DUE or row.get("value") is None:
        # A delivered source with a zero denominator: nothing fell due.
        return NOTHING_DUE
    return OK


def _threshold(definition: dict[str, Any], key: str) -> float | None:
    value = definition.get(key)
    return None if value in (None, "") else float(value)


def rag(value: float | None, definition: dict[str, Any]) -> str:
    """green / amber / red for a value AS SHOWN (already rounded), by the seed's thresholds
    (inclusive; direction from the seed); no_rag for a KPI without thresholds."""
    if value is None:
        return NO_DATA
    green = _threshold(definition, "rag_green_threshold")
    amber = _threshold(definition, "rag_amber_threshold")
    if green is None or amber is None:
        return "no_rag"
    if definition.get("direction") == "lower_is_better":
        return "green" if value <= green else "amber" if value <= amber else "red"
    return "green" if value >= green else "amber" if value >= amber else "red"


def shown_rag(row: dict[str, Any] | None, definition: dict[str, Any]) -> str:
    """The RAG of a KPI row as an output shows it: its status when empty, otherwise the rule
    applied to the rounded value."""
    row_status = status(row)
    if row_status != OK:
        return row_status
    return rag(shown(row["value"], definition), definition)


def value_format(formats: Formats, definition: dict[str, Any], **extra: Any) -> Format:
    places = decimals(definition)
    unit = definition.get("unit")
    if unit == "percent":
        return formats.number(places, suffix="%", **extra)
    if unit == "pounds_per_astro_pu":
        return formats.number(places, prefix="£", **extra)
    return formats.number(places, **extra)


def change_format(formats: Formats, definition: dict[str, Any], **extra: Any) -> Format:
    places = decimals(definition)
    unit = definition.get("unit")
    if unit == "percent":
        return formats.signed(places, suffix=" pp", **extra)
    if unit == "pounds_per_astro_pu":
        return formats.signed(places, prefix="£", **extra)
    return formats.signed(places, **extra)


def count_format(formats: Formats, value: float | None, **extra: Any) -> Format:
    """Whole numbers without decimals, a small fraction (a phased target of 57.7 SMRs) with
    one, a large one (pounds, weighted patients) rounded to the whole number."""
    if value is not None and not float(value).is_integer() and abs(value) < 100:
        return formats.number(1, **extra)
    return formats.number(0, **extra)


def value_text(value: float | str | None, definition: dict[str, Any]) -> str:
    """A figure for a sentence: '78.1%', '£1.23', '0.45 actions per SMR', '*'."""
    if value is None:
        return "no data"
    if isinstance(value, str):
        return value
    places = decimals(definition)
    unit = definition.get("unit")
    number = f"{float(value):,.{places}f}"
    if unit == "percent":
        return f"{number}%"
    if unit == "pounds_per_astro_pu":
        return f"£{number}"
    if unit in {"mean_per_smr", "rate_per_10000"}:
        return f"{number} {unit_words(definition)}"
    return number


def difference_text(difference: float, definition: dict[str, Any]) -> str:
    """A distance between two figures: '12.5 percentage points', '£0.12', '0.30'."""
    places = decimals(definition)
    unit = definition.get("unit")
    number = f"{abs(difference):,.{places}f}"
    if unit == "percent":
        return f"{number} percentage points"
    if unit == "pounds_per_astro_pu":
        return f"£{number}"
    return number


def is_better(change: float, definition: dict[str, Any]) -> bool:
    if definition.get("direction") == "lower_is_better":
        return change < 0
    return change > 0


def target_basis(row: dict[str, Any] | None) -> str:
    """'agreed' (a target the PCN agreed, seed pcn_targets), 'default' (the warehouse's
    default) or '' where the KPI has no target of either kind."""
    basis = (row or {}).get("target_basis")
    return str(basis) if basis else ""


def has_peer_comparator(definition: dict[str, Any]) -> bool:
    """The seed's peer_comparator (or, before it, has_peer_comparator) column."""
    if "peer_comparator" in definition:
        return bool(definition.get("peer_comparator"))
    return str(definition.get("has_peer_comparator")).lower() == "true"


def is_suppressed_kpi(definition: dict[str, Any]) -> bool:
    return str(definition.get("small_number_suppression")).lower() == "true"


def label(definition: dict[str, Any]) -> str:
    return f"{definition['kpi_id']} {definition['name']}"
