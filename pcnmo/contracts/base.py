"""What a contract is made of: sources, tables, dialects and columns, and how values are kept.

The declarations themselves live one module per source beside this one; `pcnmo.contracts`
gathers them. This module holds only the types and the rules shared by every source.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """How a value is validated, and the DuckDB type it lands as in the raw table."""

    TEXT = "text"
    FREE_TEXT = "free_text"  # narrative typed by staff: NHS-number-like digit runs are redacted
    CODE = "code"  # one of `accepted`, compared case-insensitively, stored as delivered
    FLAG = "flag"  # yes/no in any of the usual spellings, stored as delivered
    INTEGER = "integer"
    DECIMAL = "decimal"
    MONEY = "money"  # pounds; DECIMAL so sums are exact
    DATE = "date"
    MONTH = "month"  # a reporting month, must equal the inbox month
    NHS_NUMBER = "nhs_number"  # modulus-11 checked, then replaced by a keyed hash
    SNOMED = "snomed"  # SNOMED CT or dm+d concept id
    PRACTICE_CODE = "practice_code"  # ODS GP practice / prescribing cost centre code
    PCN_CODE = "pcn_code"
    ODS_CODE = "ods_code"  # any other ODS organisation code
    BNF_CODE = "bnf_code"


DUCKDB_TYPES: Mapping[Kind, str] = {
    Kind.INTEGER: "BIGINT",
    Kind.DECIMAL: "DOUBLE",
    Kind.MONEY: "DECIMAL(18, 5)",
    Kind.DATE: "DATE",
    Kind.MONTH: "DATE",
}

FLAG_VALUES = ("Y", "N", "Yes", "No", "True", "False", "1", "0")

# Patterns are anchored by the loader. Practice codes are letter + 5 digits (A81001, Y00327);
# PCN codes are U + 5 digits; other ODS codes (trusts, sub-ICBs, ICBs) are 3-6 alphanumerics.
PATTERNS: Mapping[Kind, str] = {
    Kind.SNOMED: r"[1-9][0-9]{5,17}",
    Kind.PRACTICE_CODE: r"[A-Z][0-9]{5}",
    Kind.PCN_CODE: r"U[0-9]{5}",
    Kind.ODS_CODE: r"[A-Z0-9]{3,6}",
    Kind.BNF_CODE: r"[0-9]{2}[0-9A-Z]{7,13}",
}

PATTERN_HELP: Mapping[Kind, str] = {
    Kind.SNOMED: "a SNOMED CT / dm+d concept id (6-18 digits)",
    Kind.PRACTICE_CODE: "an ODS practice code (a letter and 5 digits, e.g. A81001)",
    Kind.PCN_CODE: "an ODS PCN code (U and 5 digits, e.g. U12345)",
    Kind.ODS_CODE: "an ODS organisation code (3-6 letters or digits)",
    Kind.BNF_CODE: "a BNF code (e.g. 0212000B0AAABAB)",
}


def normalise_label(value: str) -> str:
    """A label as compared: letter case and runs of white space ignored."""
    return " ".join(value.split()).upper()


def human_date_format(strptime_format: str) -> str:
    """`%d/%m/%Y` as a person writes it: `dd/mm/yyyy`."""
    for code, shown in (
        ("%d", "dd"),
        ("%m", "mm"),
        ("%Y", "yyyy"),
        ("%y", "yy"),
        ("%b", "Mon"),
        ("%H:%M:%S", "hh:mm:ss"),
    ):
        strptime_format = strptime_format.replace(code, shown)
    return strptime_format


@dataclass(frozen=True)
class Dialect:
    """One way a table can arrive: its file name, date spelling and (per column) headers."""

    name: str
    label: str
    file_pattern: str  # regex on the file name; named groups practice, pcn, yyyymm fill columns
    date_formats: tuple[str, ...]  # strptime formats; the first is the documented one
    example_file: str
    # Published without a header row: columns are found by `Column.position`. A first row that
    # is a header after all (an export "with headers") is recognised and skipped.
    headerless: bool = False
    # The header row may sit below title lines (an EMIS Web report's name and "Last Run" line):
    # it is looked for in this many first rows.
    header_search_rows: int = 1
    # Which publications and months are written in this layout (for the documentation).
    covers: str = ""

    def match(self, file_name: str) -> re.Match[str] | None:
        return re.fullmatch(self.file_pattern, file_name, flags=re.IGNORECASE)


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    description: str
    headers: Mapping[str, str] | str | None = None  # dialect -> header, or one header for all
    required: bool = True
    accepted: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    from_file_name: str | None = None  # value taken from this named group of the file name
    position: int | None = None  # 1-based column number, for files published without a header
    date_formats: tuple[str, ...] = ()  # overrides the dialect's formats for this column
    future_ok: bool = False  # dates may fall after the reporting month (planned end dates)
    # The date must not fall before the reporting month, unless the named date column of the
    # same row falls within it: a medication issue from an earlier month is accepted only as
    # the re-delivery that shows its repeat template ended this month.
    in_month_unless: str | None = None
    # Identifies or describes a person (a date of birth, say): tagged `pii` in dbt. NHS numbers
    # and free text always are; see `is_pii`.
    pii: bool = False
    # Other spellings of accepted values (the titles a publisher uses, say), mapped to the
    # accepted value they stand for: accepted too, and stored as that value.
    aliases: Mapping[str, str] = field(default_factory=dict)
    # A value that fails its check is blanked, and counted in the ingestion log, instead of
    # quarantining the row: for a descriptive column that must never cost a row its measures.
    blank_if_invalid: bool = False
    # A number column whose cells may carry their comparator and unit ('<1', '58 mL/min'): the
    # columns they belong in, which take them when they are empty or absent from the file.
    unit_column: str | None = None
    comparator_column: str | None = None
    # How far back a date can truly lie (a date of birth: 120 years). A two-digit year is
    # read in the century before the end of the reporting month; for a column with this set,
    # a two-digit year that fits two centuries within it is ambiguous and quarantined.
    max_years_back: int | None = None

    def __post_init__(self) -> None:
        # A yes/no column accepts the usual spellings; only a code column lists its own.
        if self.kind is Kind.FLAG and not self.accepted:
            object.__setattr__(self, "accepted", FLAG_VALUES)

    def header(self, dialect: str) -> str | None:
        if self.headers is None or isinstance(self.headers, str):
            return self.headers
        return self.headers.get(dialect)

    def canonical(self, value: str) -> str | None:
        """The accepted value `value` stands for (case and spacing ignored), if any."""
        wanted = normalise_label(value)
        for accepted in self.accepted:
            if normalise_label(accepted) == wanted:
                return accepted
        for alias, accepted in self.aliases.items():
            if normalise_label(alias) == wanted:
                return accepted
        return None

    @property
    def raw_name(self) -> str:
        """NHS numbers never land: the raw table holds the pseudonym instead."""
        return "patient_id" if self.kind is Kind.NHS_NUMBER else self.name

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES.get(self.kind, "VARCHAR")

    @property
    def is_pii(self) -> bool:
        """A pseudonym still identifies a patient, and staff type names into narratives."""
        return self.pii or self.kind in (Kind.NHS_NUMBER, Kind.FREE_TEXT)


@dataclass(frozen=True)
class Freshness:
    """How many days after the last load dbt source freshness warns, then errors."""

    warn_after_days: int
    error_after_days: int
    why: str  # the delivery rhythm behind the numbers, written beside them in the sources YAML


@dataclass(frozen=True)
class Source:
    """One supplier of raw tables: the schema `raw_<name>` and the dbt source of that name."""

    name: str
    description: str
    freshness: Freshness
    # Tables that can rightly be empty (a log with no entries yet) land no rows from an empty
    # file, so `max(_loaded_at)` cannot see it arrive: read freshness from the ingestion log.
    freshness_from_ingestion_log: bool = False


@dataclass(frozen=True)
class OutOfScope:
    """Rows of a national file that are never in scope, whatever the configuration."""

    pattern: str  # regex on the upper-cased value of the scope column
    what: str  # what such rows are, as the ingestion log says it


@dataclass(frozen=True)
class Search:
    """The search a practice builds in its clinical system to produce a table's file."""

    population: str  # whose rows
    date_range: str  # which dates, relative to the reporting month
    codes: str  # which entries (codelists), or what each flag means


@dataclass(frozen=True)
class TableContract:
    source: str
    name: str
    description: str  # starts with the grain
    delivered_by: str
    dialects: tuple[Dialect, ...]
    columns: tuple[Column, ...]
    # Natural key for duplicate detection; empty means "an exact repeat of an earlier row".
    # None switches the check off (the EPD legitimately repeats practice x presentation).
    key: tuple[str, ...] | None = ()
    formats: tuple[str, ...] = ("csv",)
    encodings: tuple[str, ...] = ("utf-8",)
    sheet: str | None = None  # xlsx sheet to read
    # National files carry every organisation in England: keep only practices in scope.
    scope_column: str | None = None
    never_in_scope: OutOfScope | None = None  # counted out of scope, never loaded
    snapshot: bool = False  # each delivery is the whole log to date, not just the month
    single_file: bool = False  # published once a month: a second file would double count
    # Where `key` is empty or None: the columns staging identifies a row by (dbt tests them not
    # null on the raw table).
    row_identity: tuple[str, ...] = ()
    freshness: Freshness | None = None  # overrides the source's, for a slower delivery
    search: Search | None = None  # for a clinical extract: the search that produces it

    @property
    def headerless(self) -> bool:
        """Every layout is published without a header row."""
        return all(d.headerless for d in self.dialects)

    @property
    def raw_schema(self) -> str:
        return f"raw_{self.source}"

    @property
    def qualified_name(self) -> str:
        return f"{self.raw_schema}.{self.name}"

    @property
    def asset_key(self) -> tuple[str, str]:
        return (self.source, self.name)

    @property
    def identifying_columns(self) -> tuple[str, ...]:
        """Raw names of the columns a row is identified by: the key, else `row_identity`."""
        return tuple(self.column(name).raw_name for name in self.key or self.row_identity)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.qualified_name} has no column {name!r}")

    def dialect(self, name: str) -> Dialect:
        for dialect in self.dialects:
            if dialect.name == name:
                return dialect
        raise KeyError(f"{self.qualified_name} has no dialect {name!r}")


# Metadata every raw table carries, in this order, after the contract's own columns.
RAW_METADATA_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("_month", "DATE", "Reporting month (first day) of the inbox folder the row was loaded from."),
    ("_source_file", "VARCHAR", "Name of the delivered file."),
    ("_source_row", "BIGINT", "Row number in the delivered file (the header is row 1)."),
    ("_dialect", "VARCHAR", "Which layout the file was read as (e.g. emis, systmone)."),
    ("_loaded_at", "TIMESTAMP", "When the row was loaded (UTC)."),
)
