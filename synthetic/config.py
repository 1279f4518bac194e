"""Settings of one synthetic inbox, the summary a run hands back, and the reporting months."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from pcnmo.calendar import add_months, month_end


@dataclass(frozen=True)
class SyntheticConfig:
    seed: int = 20250401
    start_month: str = "2025-04"  # first reporting month, YYYY-MM
    months: int = 18
    pcns: int = 8  # PCNs in the synthetic ICB
    clinical_pcns: int = 1  # PCNs (from the first) that deliver clinical extracts and logs
    patients: int = 50_000  # list size of the subject (first) PCN
    practices: int = 6  # practices in the subject PCN

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", self.start_month):
            raise ValueError(f"start month {self.start_month!r} is not YYYY-MM")
        if self.months < 1 or self.pcns < 1 or self.practices < 1:
            raise ValueError("months, pcns and practices must be at least 1")
        if not 1 <= self.clinical_pcns <= self.pcns:
            raise ValueError("clinical PCNs must be between 1 and the number of PCNs")
        if self.patients < 100 * self.practices:
            raise ValueError("the subject PCN needs at least 100 patients per practice")


@dataclass
class GenerationSummary:
    inbox: str
    months: list[str]
    files: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows written, all months
    patients: int = 0  # distinct patients in the clinical extracts
    icb_list_size: int = 0  # registered patients across the ICB in the last month
    cohort: int = 0  # subject PCN: DES SMR cohort as the generator built it (first FY)
    smrs: dict[str, int] = field(default_factory=dict)  # financial year -> SMRs coded
    # file name -> reason -> rows deliberately broken (what the loader must quarantine)
    bad_rows: dict[str, dict[str, int]] = field(default_factory=dict)
    # Deliberate problems that are not bad rows (late log, overdue supervision, ...)
    imperfections: list[str] = field(default_factory=list)

    def add_rows(self, table: str, rows: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + rows
        self.files += 1

    def add_bad_row(self, file_name: str, reason: str) -> None:
        reasons = self.bad_rows.setdefault(file_name, {})
        reasons[reason] = reasons.get(reason, 0) + 1

    def text(self) -> str:
        lines = [
            f"inbox {self.inbox}: {len(self.months)} months "
            f"({self.months[0]} to {self.months[-1]}), {self.files} files",
            f"clinical patients {self.patients:,}; ICB list size {self.icb_list_size:,}; "
            f"subject PCN SMR cohort {self.cohort:,}",
            "SMRs coded: " + ", ".join(f"{fy} {n:,}" for fy, n in sorted(self.smrs.items())),
            "rows: " + ", ".join(f"{t} {n:,}" for t, n in sorted(self.rows.items())),
            "deliberately bad rows:",
            *(
                f"  {name}: " + ", ".join(f"{reason} x{n}" for reason, n in sorted(r.items()))
                for name, r in sorted(self.bad_rows.items())
            ),
            "other deliberate imperfections:",
            *(f"  {item}" for item in self.imperfections),
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class Month:
    """One reporting month: its inbox folder and its first and last day."""

    start: date

    @property
    def end(self) -> date:
        return month_end(self.start)

    @property
    def folder(self) -> str:
        return f"{self.start:%Y-%m}"

    @property
    def yyyymm(self) -> str:
        return f"{self.start:%Y%m}"

    @property
    def fy(self) -> str:
        """Financial year the month falls in, e.g. 2025/26."""
        year = self.start.year if self.start.month >= 4 else self.start.year - 1
        return f"{year}/{(year + 1) % 100:02d}"

    @property
    def first_day(self) -> np.datetime64:
        return np.datetime64(self.start, "D")

    @property
    def last_day(self) -> np.datetime64:
        return np.datetime64(self.end, "D")


def reporting_months(config: SyntheticConfig) -> list[Month]:
    year, month = (int(part) for part in config.start_month.split("-"))
    first = date(year, month, 1)
    return [Month(add_months(first, i)) for i in range(config.months)]
