"""The validation SQL generated from a contract: one expression per column to type its value,
the checks that quarantine a row, and the checked table every load writes from.

Each value is trimmed (`v_<column>`), then typed (`t_<column>`), then checked, each step once
per row; a failing row carries every reason and every failing column. The checks use the
macros of `ingestion.sql_macros`: NHS numbers are checked with modulus 11, every kept text
value and every value a message quotes passes `pcnmo_redact` (no NHS number is stored or
shown, whatever column it was typed into), SNOMED CT and dm+d ids must carry a valid Verhoeff
check digit, and a number field holding an NHS number is quarantined (masked), never stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from ingestion.duckdb_io import sql_text
from ingestion.inbox import Layout
from ingestion.staging import field_name
from pcnmo.calendar import month_end
from pcnmo.contracts import (
    PATTERN_HELP,
    PATTERNS,
    Column,
    Kind,
    TableContract,
    human_date_format,
    normalise_label,
)
from pcnmo.raw_rules import RawRule, RuleKind, raw_rules
from pcnmo.redaction import REDACTED

CHECKED_TABLE = "_pcnmo_checked"

_NUMBER_TYPES = {Kind.INTEGER: "bigint", Kind.DECIMAL: "double", Kind.MONEY: "decimal(18, 5)"}
# A comma in a number is a thousands separator only in thousands groups (1,234,567.5); '2,5'
# is a decimal comma, never read as 25.
_THOUSANDS = r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?"


def redacted_sql(value: str) -> str:
    """SQL: the text with every NHS number in it removed (`pcnmo.redaction.redact`)."""
    return f"pcnmo_redact({value})"


def number_text_sql(text: str) -> str:
    """SQL: a number's text without its thousands separators; NULL if it has a decimal comma."""
    return (
        f"case when not contains({text}, ',') then {text} "
        f"when regexp_full_match({text}, {sql_text(_THOUSANDS)}) then replace({text}, ',', '') "
        "end"
    )


@dataclass(frozen=True)
class ColumnSql:
    """SQL for one contract column.

    `value` is an expression over the staged fields (the literal `null` when the file does not
    carry the column) and `to_typed` types any text expression as the raw column. The checks
    refer to `v_<name>` and `t_<name>`, which `build_checked_table` computes once per row in an
    inner query: a date is parsed once, not once for each of its checks.
    """

    column: Column
    label: str  # what the person who made the file calls the column
    value: str  # trimmed text, NULL when empty
    to_typed: Callable[[str], str]  # text expression -> the value as it lands in the raw table
    checks: tuple[tuple[str, str], ...]  # (failing condition, message expression)
    # For a column whose bad values are blanked rather than quarantined: when that happens.
    blanked: str | None = None

    @property
    def present(self) -> bool:
        return self.value != "null"

    @property
    def value_ref(self) -> str:
        return f"v_{self.column.name}"

    @property
    def typed_ref(self) -> str:
        return f"t_{self.column.name}"

    @property
    def quoted_ref(self) -> str:
        return f"q_{self.column.name}"

    @property
    def redacted_ref(self) -> str:
        """The value with NHS numbers removed (`pcnmo_redact`), computed once per row."""
        return f"r_{self.column.name}"

    @property
    def typed(self) -> str:
        """The typed value computed from the staged fields."""
        return self.to_typed(f"({self.value})")

    @property
    def typed_from_ref(self) -> str:
        """The typed value computed from `v_<name>` (text from `r_<name>`: never an NHS
        number)."""
        text_kind = self.column.kind in (Kind.TEXT, Kind.FREE_TEXT)
        return self.to_typed(self.redacted_ref if text_kind else self.value_ref)


# A result cell that may carry its comparator and unit: '<1', '58 mL/min/1.73m2'.
_RESULT = r"^(<=|>=|<|>|=|~)?\s*([-+]?(?:[0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+))\s*(.*)$"
_RESULT_PARTS = {"comparator": 1, "number": 2, "unit": 3}


def _result_part(text: str, part: str) -> str:
    """SQL: one part of a result cell, NULL when the cell has none."""
    return f"nullif(trim(regexp_extract({text}, {sql_text(_RESULT)}, {_RESULT_PARTS[part]})), '')"


def _label_sql(text: str) -> str:
    """SQL: a label as `normalise_label` compares it (upper case, single spaces)."""
    return f"upper(regexp_replace({text}, '\\s+', ' ', 'g'))"


def _has_four_digit_year(text: str) -> str:
    return f"regexp_matches({text}, '[0-9]{{4}}')"


def _two_digit_year_date(text: str, strptime_format: str, end: dt.date) -> str:
    """SQL: a date with a two-digit year, in the hundred years up to `end` (the end of the
    reporting month), whichever century strptime itself would have picked."""
    parsed = f"try_strptime({text}, {sql_text(strptime_format)})"
    # The latest year on or before end.year that ends in the same two digits.
    back = f"((({end.year} - year({parsed})) % 100 + 100) % 100)"
    moved = f"cast({parsed} as date) + to_years({end.year} - year({parsed}) - {back})"
    return f"(case when {moved} > date '{end}' then {moved} - to_years(100) else {moved} end)"


def _date_tries(text: str, date_formats: tuple[str, ...], end: dt.date) -> str:
    """SQL: the first of the formats that reads the text. A four-digit year is never read as
    a two-digit one, nor the other way round (strptime reads '45' as the year 45 with %Y)."""
    tries = []
    for strptime_format in date_formats:
        if "%y" in strptime_format:
            tries.append(
                f"case when not {_has_four_digit_year(text)} then "
                f"{_two_digit_year_date(text, strptime_format, end)} end"
            )
        else:
            tries.append(
                f"case when {_has_four_digit_year(text)} then "
                f"try_strptime({text}, {sql_text(strptime_format)}) end"
            )
    return f"coalesce({', '.join(tries)})"


def _typing(column: Column, date_formats: tuple[str, ...], month: dt.date) -> Callable[[str], str]:
    """How a trimmed text expression becomes the value the raw table holds."""
    kind = column.kind

    def typed(text: str) -> str:
        if kind in (Kind.DATE, Kind.MONTH):
            tries = _date_tries(text, date_formats, month_end(month))
            if kind is Kind.MONTH:
                return f"cast(date_trunc('month', {tries}) as date)"
            return f"cast({tries} as date)"
        if kind in _NUMBER_TYPES:
            if column.unit_column or column.comparator_column:
                text = f"coalesce({_result_part(text, 'number')}, {text})"
            return f"try_cast({number_text_sql(text)} as {_NUMBER_TYPES[kind]})"
        if kind is Kind.SNOMED:
            # Codes published as numbers can carry a trailing '.0'.
            return f"regexp_replace(upper({text}), '\\.0+$', '')"
        if kind in PATTERNS:
            return f"upper({text})"
        if kind is Kind.NHS_NUMBER:
            return f"pcnmo_nhs_number_digits({text})"
        # Text kinds are typed from their redacted value (`r_<column>`).
        if column.aliases:
            # A published spelling is stored as the value it stands for.
            spellings = {**{a: a for a in column.accepted}, **column.aliases}
            cases = " ".join(
                f"when {sql_text(normalise_label(s))} then {sql_text(v)}"
                for s, v in spellings.items()
            )
            return f"(case {_label_sql(text)} {cases} else {text} end)"
        return text

    return typed


def column_sql(
    column: Column,
    layout: Layout,
    month: dt.date,
    check_future: bool,
    table: TableContract | None = None,
) -> ColumnSql:
    dialect = layout.dialect
    if column.from_file_name:
        source = sql_text(layout.file_values[column.name])
        label = f"{column.name} (from the file name)"
    elif column.name in layout.positions:
        source = f"nullif(trim({field_name(layout.positions[column.name])}), '')"
        label = column.header(dialect.name) or f"column {column.position}"
    else:
        absent = f"cast(null as {column.duckdb_type})"
        derived = _part_of_result(column, layout, table) or absent
        return ColumnSql(column, column.name, "null", lambda _: derived, ())
    value = f"v_{column.name}"
    typed = f"t_{column.name}"

    # An NHS number in the wrong column (swapped columns are a classic) must not reach the
    # quarantine through the message that says the value is wrong.
    quoted = f"q_{column.name}"  # computed once per row by build_checked_table

    def says(text: str) -> str:
        """SQL for the message "<label> '<value>'<text>" (the value cut to 60 characters)."""
        return f"{sql_text(label + ' ')} || {quoted} || {sql_text(text)}"

    checks: list[tuple[str, str]] = []
    if column.required:
        checks.append((f"{value} is null", sql_text(f"{label} is empty")))
    kind = column.kind
    formats = column.date_formats or dialect.date_formats
    if kind in (Kind.DATE, Kind.MONTH):
        shown = " or ".join(human_date_format(f) for f in formats[:2])
        not_a_date = says(f" is not a date ({shown})")
        checks.append((f"{value} is not null and {typed} is null", not_a_date))
        checks.append((f"{typed} < date '1880-01-01'", says(" is before 1880")))
        if kind is Kind.MONTH:
            checks.append(
                (
                    f"{typed} <> date '{month.isoformat()}'",
                    says(f" is not the inbox month {month:%Y-%m}"),
                )
            )
        elif check_future and not column.future_ok:
            end = month_end(month)
            checks.append(
                (
                    f"{typed} > date '{end.isoformat()}'",
                    says(f" is after the end of the reporting month ({end})"),
                )
            )
        if kind is Kind.DATE and column.max_years_back:
            checks.append(_two_digit_year_check(column, month, says))
        if kind is Kind.DATE and column.in_month_unless:
            # Earlier dates only on a row whose other date falls in the month (a repeat
            # template ended this month, shown on its latest issue from an earlier month).
            start, end = month.isoformat(), month_end(month).isoformat()
            other = column.in_month_unless
            other_label = other
            if table is not None:
                other_label = table.column(other).header(dialect.name) or other
            early = f"{typed} < date '{start}'"
            if other in layout.positions:
                early += (
                    f" and not coalesce(t_{other} between date '{start}' and date '{end}', false)"
                )
            checks.append(
                (
                    early,
                    says(
                        f" is before the reporting month {month:%Y-%m} and {other_label} "
                        "is not in that month"
                    ),
                )
            )
    elif kind in _NUMBER_TYPES:
        noun = "a whole number" if kind is Kind.INTEGER else "a number"
        checks.append(
            (
                f"{value} is not null and pcnmo_number_holds_nhs_number({value})",
                sql_text(f"{label} holds what looks like an NHS number, not {noun}"),
            )
        )
        decimal_comma = f"contains({value}, ',') and {number_text_sql(value)} is null"
        checks.append(
            (
                f"{value} is not null and {decimal_comma}",
                says(
                    " has a comma that is not a thousands separator: write decimals with a "
                    "point (2.5, not 2,5)"
                ),
            )
        )
        checks.append(
            (
                f"{value} is not null and {typed} is null and not ({decimal_comma})",
                says(f" is not {noun}"),
            )
        )
        if column.minimum is not None:
            checks.append((f"{typed} < {column.minimum}", says(f" is below {column.minimum:g}")))
        if column.maximum is not None:
            checks.append((f"{typed} > {column.maximum}", says(f" is above {column.maximum:g}")))
        checks += _result_checks(column, layout, table, label, value)
    elif kind in (Kind.CODE, Kind.FLAG):
        spellings = sorted({normalise_label(s) for s in (*column.accepted, *column.aliases)})
        accepted = ", ".join(sql_text(s) for s in spellings)
        allowed = ", ".join(column.accepted)
        also = " (or a published title docs/extracts.md lists)" if column.aliases else ""
        checks.append(
            (
                f"{value} is not null and {_label_sql(value)} not in ({accepted})",
                says(f" is not one of: {allowed}{also}"),
            )
        )
    elif kind is Kind.SNOMED:
        checks.append(
            (
                f"{value} is not null and not pcnmo_snomed_concept_is_valid({typed})",
                says(
                    f" is not {PATTERN_HELP[kind]} with a valid check digit (an id Excel "
                    "rounded, cut short or mistyped fails it)"
                ),
            )
        )
    elif kind in PATTERNS:
        checks.append(
            (
                f"{value} is not null "
                f"and not regexp_full_match({typed}, {sql_text(PATTERNS[kind])})",
                says(f" is not {PATTERN_HELP[kind]}"),
            )
        )
        # A BNF code can be ten digits: an NHS number must not pass for one.
        checks.append(
            (
                f"{value} is not null and r_{column.name} <> {value}",
                sql_text(f"{label} holds what looks like an NHS number"),
            )
        )
    elif kind is Kind.NHS_NUMBER:
        checks.append(
            (
                f"{value} is not null and not pcnmo_nhs_number_is_valid({typed})",
                sql_text(
                    f"{label} is not a valid NHS number (10 digits passing the modulus-11 check)"
                ),
            )
        )
    to_typed = _typing(column, formats, month)
    from_result = _part_of_result(column, layout, table)
    if from_result:
        own_typing = to_typed

        def to_typed(text: str) -> str:
            return f"coalesce({own_typing(text)}, {from_result})"

    if column.blank_if_invalid:
        # Each check says when the value is bad: then it is blanked, the row kept.
        blanked = " or ".join(f"({condition})" for condition, _ in checks)
        return ColumnSql(column, label, source, to_typed, (), blanked or None)
    return ColumnSql(column, label, source, to_typed, tuple(checks))


def _result_column(
    column: Column, layout: Layout, table: TableContract | None
) -> tuple[Column, str] | None:
    """The number column whose cells may carry this column's part ('unit' or 'comparator'),
    if the file has that column."""
    for other in table.columns if table is not None else ():
        if other.name not in layout.positions:
            continue
        if other.unit_column == column.name:
            return other, "unit"
        if other.comparator_column == column.name:
            return other, "comparator"
    return None


def _part_of_result(column: Column, layout: Layout, table: TableContract | None) -> str | None:
    """SQL: the unit or comparator a result cell carries, for the column it belongs in."""
    found = _result_column(column, layout, table)
    if found is None:
        return None
    result, part = found
    return _result_part(f"v_{result.name}", part)


def _result_checks(
    column: Column, layout: Layout, table: TableContract | None, label: str, value: str
) -> list[tuple[str, str]]:
    """A result cell whose unit or comparator disagrees with the column that holds them."""
    checks = []
    parts = (("unit", column.unit_column), ("comparator", column.comparator_column))
    for part, other_name in parts:
        if table is None or other_name is None or other_name not in layout.positions:
            continue
        other = table.column(other_name)
        other_label = other.header(layout.dialect.name) or other_name
        carried = _result_part(value, part)
        stated = f"v_{other_name}"
        quote = "''''"
        carries = sql_text(f"' carries the {part} '")
        but = sql_text(f"', but {other_label} says '")
        message = (
            f"{sql_text(label + ' ')} || {quote} || left(r_{column.name}, 60) || "
            f"{carries} || {redacted_sql(carried)} || {but} || r_{other_name} || {quote}"
        )
        condition = (
            f"{carried} is not null and {stated} is not null "
            f"and upper({carried}) <> upper({stated})"
        )
        checks.append((condition, message))
    return checks


def _two_digit_year_check(
    column: Column, month: dt.date, says: Callable[[str], str]
) -> tuple[str, str]:
    """A two-digit year that fits two centuries within the column's reach (a date of birth
    '01-Jan-10': 1910 or 2010?) cannot be settled: the row is quarantined."""
    value, typed = f"v_{column.name}", f"t_{column.name}"
    end = month_end(month)
    return (
        f"{typed} is not null and not {_has_four_digit_year(value)} "
        f"and {typed} - to_years(100) >= date '{end}' - to_years({column.max_years_back})",
        says(" has a two-digit year that could be either century: write the year in full"),
    )


def blanked_column(column: Column) -> str:
    """The checked table's column holding the values of `column` that were blanked."""
    return f"_blanked_{column.name}"


def _landed(column: ColumnSql) -> str:
    if not column.present:
        return column.typed
    if column.blanked:
        return f"case when {column.blanked} then null else {column.typed_ref} end"
    return column.typed_ref


def _quoted(redacted_ref: str) -> str:
    """SQL: the redacted value in single quotes, cut to 60 characters (what a message may
    show of it)."""
    return f"'''' || left({redacted_ref}, 60) || ''''"


def _row_rule_failures(
    table: TableContract, columns: list[ColumnSql]
) -> list[tuple[str, str, str]]:
    """Blocking rules about one row (`pcnmo.raw_rules`) quarantine that row, not the month."""
    present = {c.column.raw_name: c for c in columns if c.present}
    failures = []
    for rule in blocking_row_rules(table):
        if not all(name in present for name in rule.columns):
            continue
        later, earlier = (present[name] for name in rule.columns)
        message = (
            f"{sql_text(later.label + ' ')} || {later.quoted_ref} || "
            f"{sql_text(' is before ' + earlier.label + ' ')} || {earlier.quoted_ref}"
        )
        condition = f"{later.typed_ref} < {earlier.typed_ref}"
        failures.append((condition, message, f"{later.label}, {earlier.label}"))
    return failures


def blocking_row_rules(table: TableContract) -> list[RawRule]:
    """The blocking rules about one row that the row validation enforces itself. The other
    blocking single-row rules hold by construction: required columns are checked as such, and
    NHS numbers are replaced by pseudonyms."""
    return [r for r in raw_rules(table) if r.blocking and r.kind is RuleKind.ORDERED]


def build_checked_table(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    columns: list[ColumnSql],
    stage: str,
) -> None:
    """Build the checked table: typed values, failure reasons and the failing column names."""
    failures: list[tuple[str, str, str]] = []  # (condition, message, label)
    for col in columns:
        failures += [(cond, msg, col.label) for cond, msg in col.checks]
    failures += _row_rule_failures(table, columns)
    present = [c for c in columns if c.present]
    if table.key is not None:
        key_cols = [c for c in present if not table.key or c.column.name in table.key]
        partition = ", ".join(
            c.typed_ref if c.column.kind is Kind.NHS_NUMBER else f"upper({c.value_ref})"
            for c in key_cols
        )
        # Columns from the file name are the same on every row of a file: naming them adds
        # nothing to "duplicate of row N (same NHS Number)".
        named = [c.label for c in key_cols if not c.column.from_file_name]
        if table.key and named:
            what, failed_columns = "same " + ", ".join(named), ", ".join(named)
        else:
            what, failed_columns = "identical row", "(whole row)"
        first_row = f"first_value(_row) over (partition by {partition} order by _row)"
        failures.append(
            (
                "_first_row <> _row",
                f"{sql_text('duplicate of row ')} || _first_row || {sql_text(f' ({what})')}",
                failed_columns,
            )
        )
    else:
        first_row = "_row"
    # Each value is trimmed, then redacted, typed and quoted for messages, then checked, each
    # step once per row; the reason and the failed-column list refer to each check's result
    # (`_c<n>`) instead of evaluating it again.
    conditions = ", ".join(f"({cond}) as _c{n}" for n, (cond, _, _) in enumerate(failures))
    # The reason and the failing columns are spelt out only for the rare row that fails a
    # check (a file is mostly clean, and building them for every row cost more than the checks).
    reason = (
        "case when _failing then nullif(concat_ws('; ', "
        + ", ".join(f"case when _c{n} then {msg} end" for n, (_, msg, _) in enumerate(failures))
        + "), '') end"
        if failures
        else "cast(null as varchar)"
    )
    # Every failing column once, in the order of the file (a value can fail two checks).
    labels = (
        "["
        + ", ".join(
            f"case when _c{n} then {sql_text(label)} end"
            for n, (_, _, label) in enumerate(failures)
        )
        + "]"
    )
    failed = (
        f"case when _failing then array_to_string(list_filter({labels}, lambda label, i: "
        f"label is not null and list_position({labels}, label) = i), ', ') end"
        if failures
        else "''"
    )
    values = ", ".join(f"{c.value} as {c.value_ref}" for c in present) or "1 as _nothing"
    redacted = "".join(f", {redacted_sql(c.value_ref)} as {c.redacted_ref}" for c in present)
    typed_refs = "".join(
        f", {c.typed_from_ref} as {c.typed_ref}, {_quoted(c.redacted_ref)} as {c.quoted_ref}"
        for c in present
    )
    landed = ", ".join(f"{_landed(c)} as {c.column.name}" for c in columns)
    # The text of each value blanked instead of quarantined (NHS numbers removed), to count
    # and show in the log.
    blanked = "".join(
        f", case when {c.blanked} then {c.redacted_ref} end as {blanked_column(c.column)}"
        for c in present
        if c.blanked
    )
    checks = " or ".join(f"_c{n}" for n in range(len(failures)))
    failing = f"coalesce({checks}, false)" if failures else "false"
    record = f"case when _failing then {record_json_sql(columns)} end"
    conn.execute(
        f"create or replace temp table {CHECKED_TABLE} as "
        f"select _row, {landed}, {reason} as _reason, {failed} as _failed, "
        f"{record} as _record{blanked} from ("
        f"select *, {failing} as _failing from ("
        f"select *{', ' + conditions if conditions else ''} from ("
        f"select *, {first_row} as _first_row from ("
        f"select *{typed_refs} from ("
        f"select *{redacted} from ("
        f"select _row, {values} from {stage}))))))"
    )


def record_json_sql(columns: list[ColumnSql]) -> str:
    """The delivered row as JSON for the quarantine, nothing in it showing an NHS number: the
    NHS number column keeps its last three digits; a number field holding one shows only that
    it was removed; every other value is redacted (`r_<column>`), except a valid SNOMED CT or
    dm+d id (often ten digits, never mangled: its Verhoeff check digit says it is an id)."""
    parts = []
    for col in columns:
        if not col.present:
            continue
        value, kind = col.value_ref, col.column.kind
        if kind is Kind.NHS_NUMBER:
            digits = f"regexp_replace({value}, '[^0-9]', '', 'g')"
            shown = f"repeat('*', greatest(length({digits}) - 3, 0)) || right({digits}, 3)"
        elif kind in _NUMBER_TYPES:
            shown = (
                f"case when pcnmo_number_holds_nhs_number({value}) "
                f"then {sql_text(REDACTED)} else {value} end"
            )
        elif kind is Kind.SNOMED:
            shown = (
                f"case when pcnmo_snomed_concept_is_valid({value}) then {value} "
                f"else {col.redacted_ref} end"
            )
        else:
            shown = col.redacted_ref
        parts.append(f"{sql_text(col.label)}, {shown}")
    return "json_object(" + ", ".join(parts) + ")" if parts else "'{}'"
