"""What every raw table-month must satisfy once loaded, in one list for both lines of defence.

The loader enforces these rules before it commits a month (`ingestion.blocking`), and the Great
Expectations suites (`quality.raw_suites`) check them again on what landed, so the second line
checks exactly what the first enforced. A blocking rule guards against data that would poison
the marts or breach privacy; the others warn.

A blocking rule about a single row (a date of birth after the registration date, say) is also
a row check in the loader: the row is quarantined with its reason and the month loads. So a
month is only ever rejected as a whole for what no single row shows (two rows with one key).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pcnmo.contracts import Kind, TableContract

# The loader's keyed pseudonym: 'P' and 26 capital letters (see ingestion.nhs_number).
PSEUDONYM_REGEX = r"^P[A-Z2-7]{26}$"


class RuleKind(StrEnum):
    NOT_NULL = "not null"
    MATCHES = "matches"
    BETWEEN = "between"
    UNIQUE = "unique"
    ORDERED = "in order"


@dataclass(frozen=True)
class RawRule:
    kind: RuleKind
    columns: tuple[str, ...]  # raw column names; ORDERED: (later, earlier)
    blocking: bool
    regex: str | None = None
    minimum: float | None = None
    maximum: float | None = None

    @property
    def single_row(self) -> bool:
        return self.kind is not RuleKind.UNIQUE

    @property
    def name(self) -> str:
        """The rule in words, for messages and check metadata."""
        columns = ", ".join(self.columns)
        if self.kind is RuleKind.NOT_NULL:
            return f"{columns} is never empty"
        if self.kind is RuleKind.MATCHES:
            return f"{columns} is a pseudonym (never an NHS number)"
        if self.kind is RuleKind.BETWEEN:
            low = "" if self.minimum is None else f" >= {self.minimum:g}"
            high = "" if self.maximum is None else f" <= {self.maximum:g}"
            return f"{columns}{low}{' and' if low and high else ''}{high}"
        if self.kind is RuleKind.UNIQUE:
            return f"({columns}) is unique"
        later, earlier = self.columns
        return f"{later} is on or after {earlier}"


# Ordered pairs that must hold where both dates are present: (later, earlier, blocking).
DATE_ORDER: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "patients": (
        ("registration_date", "date_of_birth", True),
        ("deregistration_date", "registration_date", False),
    ),
    "discharges": (("document_received_date", "discharge_date", False),),
    "medication_issues": (("template_end_date", "template_start_date", False),),
    "safety_alerts": (("closed_date", "received_date", False),),
    "significant_events": (("completed_date", "raised_date", False),),
    "pincer_actions": (("action_date", "identified_date", False),),
    "epcn_members": (("relationship_end_date", "relationship_start_date", False),),
    "switch_programmes": (("planned_end_date", "start_date", False),),
}

# Columns that must never be negative where the contract gives no minimum.
NON_NEGATIVE = {"epd": ("items", "nic", "actual_cost")}


def raw_rules(table: TableContract) -> list[RawRule]:
    """Every rule on one month of `table`'s raw rows."""
    rules: list[RawRule] = []
    for column in table.columns:
        name = column.raw_name
        if column.required:
            rules.append(RawRule(RuleKind.NOT_NULL, (name,), blocking=True))
        if column.kind is Kind.NHS_NUMBER:
            rules.append(RawRule(RuleKind.MATCHES, (name,), blocking=True, regex=PSEUDONYM_REGEX))
        if column.minimum is not None or column.maximum is not None:
            rules.append(
                RawRule(
                    RuleKind.BETWEEN,
                    (name,),
                    blocking=False,
                    minimum=column.minimum,
                    maximum=column.maximum,
                )
            )
    for name in NON_NEGATIVE.get(table.name, ()):
        rules.append(RawRule(RuleKind.BETWEEN, (name,), blocking=False, minimum=0))
    if table.key:
        # Keys are unique within a delivery month; snapshots repeat them month after month.
        key = tuple(table.column(k).raw_name for k in table.key)
        rules.append(RawRule(RuleKind.UNIQUE, (*key, "_month"), blocking=True))
    for later, earlier, blocking in DATE_ORDER.get(table.name, ()):
        rules.append(RawRule(RuleKind.ORDERED, (later, earlier), blocking=blocking))
    return rules
