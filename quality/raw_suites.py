"""Great Expectations suites for the raw tables, from the rules in `pcnmo.raw_rules`.

The loader already quarantines values of the wrong type or spelling, row by row, and checks
the blocking rules on a month before it commits it. These suites are the second line, on what
was actually loaded for a month: identifiers are pseudonyms (never NHS numbers), keys are
unique, dates are in a sensible order, and amounts are in range. Expectations marked
`blocking` guard against data that would poison the marts or breach privacy; the rest warn.
A failure names the file and row of each failing row (`_source_file`, `_source_row`) and its
values with NHS numbers removed.

GX validates pandas DataFrames here: its SQL path does not work with DuckDB on this stack
(every expectation fails inside GX's SQLAlchemy engine). A frame holds only the columns the
suite reads and whole months up to about `CHUNK_ROWS` rows (`month_chunks`), so memory stays
flat however many months or patients a run loads; each chunk's outcome is split by month
(`split_by_month`). Keys are unique within a month, so no key check spans two chunks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import great_expectations as gx
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig

from pcnmo.contracts import TableContract
from pcnmo.raw_rules import RawRule, RuleKind, raw_rules
from pcnmo.redaction import redact

# Columns a raw table carries that say where each row came from.
ROW_ORIGIN = ("_month", "_source_file", "_source_row")
SHOWN = 5  # failing values and rows shown per expectation
# Rows per frame: one month of a whole ICB's medication issues (about 2.3 million rows) is one
# frame of its own; a PCN's 18 months fit in one or two.
CHUNK_ROWS = 1_000_000


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str
    blocking: bool
    success: bool
    unexpected_count: int
    examples: tuple[str, ...]  # failing values, NHS numbers removed
    # Every failing row, where the frame says where rows came from: its `ROW_ORIGIN` columns
    # and the values the expectation looked at.
    failing: tuple[Mapping[str, object], ...] = ()

    @property
    def failing_rows(self) -> tuple[str, ...]:
        """Where the first failing rows are: '<file> row <n>'."""
        return tuple(_where(row) for row in self.failing[:SHOWN])

    def for_month(self, month: dt.date) -> ExpectationOutcome:
        """This outcome for the rows of one month (of a frame with `_month`)."""
        failing = tuple(row for row in self.failing if _as_date(row.get("_month")) == month)
        values = [
            ", ".join(str(v) for k, v in row.items() if k not in ROW_ORIGIN) for row in failing
        ]
        return replace(
            self,
            success=not failing,
            unexpected_count=len(failing),
            examples=tuple(redact(v) for v in values[:SHOWN]),
            failing=failing,
        )


@dataclass(frozen=True)
class SuiteOutcome:
    table: str
    rows: int
    outcomes: tuple[ExpectationOutcome, ...]

    @property
    def blocking_failures(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(o for o in self.outcomes if o.blocking and not o.success)

    @property
    def warnings(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.blocking and not o.success)


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date() if value is not None else None


def split_by_month(outcome: SuiteOutcome, frame: pd.DataFrame) -> dict[dt.date, SuiteOutcome]:
    """One suite run over several months (one GX run, not one per month), as each month's
    own outcome: its rows, and its failing rows only."""
    # Counted on the column as it is, then each month converted: converting every row first
    # cost more than the suite itself (seconds for a million rows).
    rows = {_as_date(month): int(n) for month, n in frame["_month"].value_counts().items()}
    return {
        month: SuiteOutcome(
            outcome.table,
            int(rows.get(month, 0)),
            tuple(o.for_month(month) for o in outcome.outcomes),
        )
        for month in sorted(rows)
    }


def _expectation(rule: RawRule) -> gx.expectations.Expectation:
    meta = {"blocking": rule.blocking}
    column = rule.columns[0]
    if rule.kind is RuleKind.NOT_NULL:
        return gx.expectations.ExpectColumnValuesToNotBeNull(column=column, meta=meta)
    if rule.kind is RuleKind.MATCHES:
        return gx.expectations.ExpectColumnValuesToMatchRegex(
            column=column, regex=rule.regex, meta=meta
        )
    if rule.kind is RuleKind.BETWEEN:
        return gx.expectations.ExpectColumnValuesToBeBetween(
            column=column, min_value=rule.minimum, max_value=rule.maximum, meta=meta
        )
    if rule.kind is RuleKind.UNIQUE:
        return gx.expectations.ExpectCompoundColumnsToBeUnique(
            column_list=list(rule.columns), meta=meta
        )
    later, earlier = rule.columns
    return gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=later,
        column_B=earlier,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
        meta=meta,
    )


def expectations_for(table: TableContract) -> list[gx.expectations.Expectation]:
    """The table's rules (`pcnmo.raw_rules`) as Great Expectations."""
    return [_expectation(rule) for rule in raw_rules(table)]


def suite_columns(table: TableContract) -> list[str]:
    """The columns the table's suite reads, in table order (`_month` last, when a key uses it)."""
    read: set[str] = set()
    for expectation in expectations_for(table):
        for name in ("column", "column_A", "column_B"):
            if value := getattr(expectation, name, None):
                read.add(value)
        read.update(getattr(expectation, "column_list", None) or ())
    ordered = [c.raw_name for c in table.columns if c.raw_name in read]
    return ordered + (["_month"] if "_month" in read else [])


def month_chunks(row_counts: Iterable[tuple[object, int]], max_rows: int = CHUNK_ROWS) -> list:
    """(first month, last month) of consecutive whole months of at most `max_rows` rows (a
    month larger than that is a chunk of its own). `row_counts` is (month, rows), in order."""
    chunks: list[tuple[object, object]] = []
    first = last = None
    rows = 0
    for month, count in row_counts:
        if first is not None and rows + count > max_rows:
            chunks.append((first, last))
            first, rows = None, 0
        if first is None:
            first = month
        last, rows = month, rows + count
    if first is not None:
        chunks.append((first, last))
    return chunks


def _context() -> gx.data_context.AbstractDataContext:
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def validate(table: TableContract, frame: pd.DataFrame) -> SuiteOutcome:
    """Run the table's suite over one month of its raw rows."""
    return run_suite(table.qualified_name, frame, expectations_for(table))


def _where(row: Mapping[str, object]) -> str:
    file_name = redact(str(row.get("_source_file", "")))
    return f"{file_name} row {row.get('_source_row')}"


def run_suite(
    name: str, frame: pd.DataFrame, expectations: list[gx.expectations.Expectation]
) -> SuiteOutcome:
    """Validate `frame` against `expectations` in a throwaway context.

    Each expectation's meta says whether it is `blocking` and may name its `scope` (the rows a
    row_condition selects, in words) for the report. Failing values are shown with NHS numbers
    removed (a value in the wrong column may be one).
    """
    context = _context()
    batch_definition = (
        context.data_sources.add_pandas("pcnmo")
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe("frame")
    )
    suite = gx.ExpectationSuite(name=f"{name}_suite")
    for expectation in expectations:
        suite.add_expectation(expectation)
    result_format: dict = {"result_format": "SUMMARY", "partial_unexpected_count": SHOWN}
    origin = [column for column in ROW_ORIGIN if column in frame.columns]
    if "_source_row" in origin:
        result_format = {
            "result_format": "COMPLETE",
            "unexpected_index_column_names": origin,
            "partial_unexpected_count": SHOWN,
        }
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, result_format=result_format)
    outcomes = []
    for item in result.results:
        config = item.expectation_config
        kwargs = config.kwargs
        column = kwargs.get("column") or ", ".join(
            kwargs.get("column_list") or [kwargs.get("column_A", ""), kwargs.get("column_B", "")]
        )
        scope = config.meta.get("scope")
        if scope:
            column = f"{column} ({scope})"
        unexpected = item.result.get("partial_unexpected_list") or []
        rows = item.result.get("unexpected_index_list") or []
        outcomes.append(
            ExpectationOutcome(
                expectation=config.type,
                column=column,
                blocking=bool(config.meta.get("blocking")),
                success=bool(item.success),
                unexpected_count=int(item.result.get("unexpected_count") or 0),
                examples=tuple(redact(str(v)) for v in unexpected[:SHOWN]),
                failing=tuple(r for r in rows if isinstance(r, dict)),
            )
        )
    # GX's context would keep the frame (through the data source) until the next suite ran:
    # two months of a whole ICB's medication issues in memory at once, and more as it went.
    context.data_sources.delete("pcnmo")
    return SuiteOutcome(name, len(frame), tuple(outcomes))
