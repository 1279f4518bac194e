"""Words for the codes the marts hold, so no output shows a bare letter or a snake_case status.

PINCER indicator names follow OpenSAFELY's implementation of the PRIMIS PINCER indicators
(opensafely/pincer-measures), which the PINCER mart implements; the other words are the marts'
accepted values written out.
"""

from __future__ import annotations

import datetime as dt
import re

PINCER_INDICATORS = {
    "A": "Age 65 or over, oral NSAID without gastroprotection",
    "B": "History of peptic ulcer, oral NSAID without gastroprotection",
    "C": "History of peptic ulcer, antiplatelet without gastroprotection",
    "D": "Oral anticoagulant with an oral NSAID",
    "E": "Oral anticoagulant with an antiplatelet, without gastroprotection",
    "F": "Aspirin with another antiplatelet, without gastroprotection",
    "G": "Asthma with a non-selective beta-blocker",
    "I": "Heart failure with an oral NSAID",
    "K": "eGFR below 45 with an oral NSAID",
    "AC": "Age 75 or over on an ACE inhibitor or loop diuretic, no renal or electrolyte test",
    "ME_FBC": "Methotrexate without a full blood count",
    "ME_LFT": "Methotrexate without a liver function test",
    "LI": "Lithium without a recent lithium level",
    "AM": "Amiodarone without a recent thyroid function test",
}
SEA_THEMES = {
    "prescribing_error": "Prescribing error",
    "dispensing_error": "Dispensing error",
    "monitoring": "Monitoring",
    "transfer_of_care": "Transfer of care",
    "communication": "Communication",
    "allergy": "Allergy",
    "controlled_drugs": "Controlled drugs",
    "other": "Other",
}
ALERT_STATUSES = {
    "closed_in_window": "Closed in time",
    "closed_late": "Closed late",
    "open_in_window": "Open, in time",
    "open_past_window": "Open past deadline",
    "not_applicable": "Not applicable",
}
DES_STATUSES = {
    "met": "Met",
    "partly_met": "Partly met",
    "not_met": "Not met",
    "no_data": "No data",
}
# Who asks for a DES evidence item: the contract itself, or the PCN or its ICB on top of it.
EVIDENCE_BASES = {
    "des_requirement": "DES requirement",
    "local_or_icb_assurance": "Local or ICB assurance",
}
LOAD_STATUSES = {"loaded": "Loaded", "missing": "Missing", "rejected": "Rejected"}
ACTIVITIES = {
    "structured_medication_review": "Structured medication review",
    "high_risk_drug_monitoring_review": "High-risk drug monitoring review",
    "medicines_reconciliation": "Medicines reconciliation",
    "deprescribing": "Deprescribing",
}
PERIOD_TYPES = {
    "month": "month",
    "quarter": "quarter",
    "financial_year_to_date": "year to date",
}


def words(mapping: dict[str, str], code: str | None) -> str:
    """The words for `code`, or the code made readable when the mapping does not know it."""
    if code is None:
        return ""
    return mapping.get(code, code.replace("_", " ").capitalize())


def pincer_indicator(code: str) -> str:
    return f"{code}: {words(PINCER_INDICATORS, code)}"


def source_table(source: str, table: str) -> str:
    """'local supervision log' for local.supervision_log."""
    return f"{source} {table}".replace("_", " ")


def long_date(day: object) -> str:
    """'3 August 2026' (UK order, no leading zero, on every platform)."""
    return f"{day.day} {day:%B %Y}"  # type: ignore[attr-defined]


# "(docs/domain.md section 2.5)", "; docs/domain.md section 3.1" and the like: pointers into
# the repository's documents, which a reader of an output cannot open.
_DOCUMENT_REFERENCE = re.compile(
    r"\s*\((?:see )?[\w/-]+\.md(?: sections? [\d.]*\d)?\)"
    r"|;\s*[\w/-]+\.md sections? [\d.]*\d"
    r"|\s*\b[\w/-]+\.md sections? [\d.]*\d;?"
)
# An absolute path: a slash-separated run of at least two segments from the root (or a drive).
_ABSOLUTE_PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:)?[/\\](?:[\w.@+-]+[/\\])+[\w.@+-]*")


def _relative(match: re.Match[str]) -> str:
    path = match.group(0).replace("\\", "/")
    parts = [p for p in path.split("/") if p]
    if "inbox" in parts:
        return "/".join(parts[parts.index("inbox") :])
    return parts[-1] if parts else path


_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _uk_date(match: re.Match[str]) -> str:
    year, month, day = (int(part) for part in match.groups())
    try:
        return f"{day} {dt.date(year, month, day):%b %Y}"
    except ValueError:
        return match.group(0)


def readable(text: str | None) -> str:
    """Text from the warehouse fit for an output: no references to documents the outputs do
    not carry, no absolute paths (a file is named from the inbox down, or by its name), and
    dates the UK way ('2026-09-30' becomes '30 Sep 2026')."""
    if not text:
        return ""
    text = _DOCUMENT_REFERENCE.sub("", str(text))
    text = _ABSOLUTE_PATH.sub(_relative, text)
    return _ISO_DATE.sub(_uk_date, text)
