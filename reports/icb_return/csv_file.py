"""The return's long CSV, for machines: one row per organisation x KPI, with the KPI's name,
unit and target, numeric columns that hold only numbers (a suppressed figure is empty, and
`suppressed` says so), and the status that tells an empty 'nothing due' from 'no data'."""

from __future__ import annotations

import csv
import io

from reports import kpis
from reports.icb_return.rows import ReturnRow
from reports.names import PERIOD_TYPES, words
from reports.suppression import SUPPRESSED

COLUMNS = (
    "organisation_type",
    "organisation_code",
    "organisation_name",
    "quarter",
    "period_id",
    "period_type",
    "kpi_id",
    "kpi_name",
    "unit",
    "numerator",
    "denominator",
    "value",
    "target",
    "target_basis",
    "rag",
    "status",
    "suppressed",
)


def _number(value: object) -> str:
    if value is None or value == SUPPRESSED:
        return ""
    number = float(value)  # type: ignore[arg-type]
    if number.is_integer():
        return str(int(number))
    return f"{number:.4f}".rstrip("0").rstrip(".")


def return_csv(rows: list[ReturnRow], quarter_label: str) -> str:
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.org_type,
                r.org_code,
                r.org_name,
                quarter_label,
                r.period_id,
                words(PERIOD_TYPES, r.period_type),
                r.kpi_id,
                r.definition["name"],
                kpis.unit_words(r.definition),
                _number(r.numerator),
                _number(r.denominator),
                _number(r.value),
                _number(r.target),
                r.target_basis,
                r.rag if r.rag in {"green", "amber", "red"} else "",
                kpis.STATUS_WORDS.get(r.status, "ok"),
                "true" if r.suppressed else "false",
            ]
        )
    return output.getvalue()
