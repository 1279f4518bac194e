"""Monthly clinical extracts per practice, in each practice's clinical-system dialect.

The subject PCN's files carry the deliberate bad rows (see the package docstring); every one
is recorded in the summary against its file name so the loader's quarantine can be checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from pcnmo.contracts import (
    CLINICAL_EVENTS,
    DISCHARGES,
    MEDICATION_ISSUES,
    PATIENTS,
    TableContract,
)
from synthetic.clinical import NO_END, ClinicalRecord, as_days, latest_template_issues
from synthetic.config import GenerationSummary, Month
from synthetic.formulary import DRUGS
from synthetic.organisations import Practice
from synthetic.writer import fixed, write_csv

NAT = np.datetime64("NaT", "D")
# How each system spells the same coded values (both spellings are in the contracts).
SPELLING: Mapping[str, Mapping[str, str]] = {
    "emis": {
        "Male": "Male",
        "Female": "Female",
        "Y": "Yes",
        "N": "No",
        "Acute": "Acute",
        "Repeat": "Repeat",
        "Repeat Dispensing": "Repeat Dispensing",
    },
    "systmone": {
        "Male": "M",
        "Female": "F",
        "Y": "Y",
        "N": "N",
        "Acute": "A",
        "Repeat": "R",
        "Repeat Dispensing": "RD",
    },
}
IMPOSSIBLE_DATE = {"emis": "31/02/{year}", "systmone": "31-Feb-{year}"}


def file_name(table: TableContract, dialect: str, code: str, month: Month) -> str:
    """The file name the contract's dialect documents, for this practice and month."""
    example = table.dialect(dialect).example_file
    return example.replace("A12345", code).replace("202609", month.yyyymm)


def to_date(days: np.ndarray) -> np.ndarray:
    days = np.asarray(days, dtype=np.int64)
    return np.where(days >= NO_END, NAT, days.astype("datetime64[D]"))


def _spell(dialect: str, values: np.ndarray) -> np.ndarray:
    lookup = SPELLING[dialect]
    return np.array([lookup[v] for v in values], dtype=object)


def _flag(dialect: str, mask: np.ndarray) -> np.ndarray:
    return _spell(dialect, np.where(mask, "Y", "N"))


def broken_nhs_number(number: str) -> str:
    """The same number with its check digit changed, so modulus 11 fails."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


class ClinicalWriter:
    def __init__(self, inbox: Path, record: ClinicalRecord, summary: GenerationSummary) -> None:
        self.inbox = inbox
        self.record = record
        self.summary = summary
        self.drug_vmp = np.array([d.vmp for d in DRUGS], dtype=object)
        self.drug_bnf = np.array([d.bnf_code for d in DRUGS], dtype=object)
        self.drug_name = np.array([d.name for d in DRUGS], dtype=object)
        self.latest_issue = latest_template_issues(record.issues, len(record.templates.patient))
        self.exit_day = as_days(record.pop.exit, np.datetime64(NO_END, "D"))

    def _write(
        self,
        table: TableContract,
        practice: Practice,
        month: Month,
        data: dict[str, object],
        defects: Mapping[int, tuple[str, str, str]] | None = None,
        duplicate: int | None = None,
    ) -> None:
        """Write one file; `defects` maps row -> (column, bad text, quarantine reason)."""
        name = file_name(table, practice.dialect, practice.code, month)
        rows = len(next(v for v in data.values() if not isinstance(v, str)))
        corrupt, dupes = {}, []
        for row, (column, text, reason) in (defects or {}).items():
            if row < rows:
                corrupt[row] = {column: text}
                self.summary.add_bad_row(name, reason)
        if duplicate is not None and duplicate < rows:
            dupes.append(duplicate)
            self.summary.add_bad_row(name, "exact duplicate row")
        written = write_csv(
            self.inbox / month.folder / name,
            table,
            practice.dialect,
            data,
            corrupt=corrupt,
            duplicate=dupes,
        )
        self.summary.add_rows(f"clinical.{table.name}", written)

    def patients(self, practice: Practice, month: Month, broken_row: int | None) -> None:
        pop = self.record.pop
        last = month.last_day
        window_start = last - np.timedelta64(364, "D")
        mask = (pop.practice == practice.index) & (pop.reg <= last) & ~(pop.exit < window_start)
        exit_day = pop.exit[mask]
        died = pop.died[mask]
        shown = exit_day <= last
        end_of_life = pop.end_of_life[mask] | (
            died & ((exit_day - last) <= np.timedelta64(180, "D"))
        )
        data = {
            "nhs_number": pop.nhs[mask],
            "date_of_birth": pop.dob[mask],
            "sex": _spell(practice.dialect, np.where(pop.female[mask], "Female", "Male")),
            "registration_date": pop.reg[mask],
            "deregistration_date": np.where(shown & ~died, exit_day, NAT),
            "date_of_death": np.where(shown & died, exit_day, NAT),
            "is_care_home_resident": _flag(practice.dialect, pop.care_home[mask]),
            "efi_score": fixed(pop.efi[mask], 2),
            "has_learning_disability": _flag(practice.dialect, pop.learning_disability[mask]),
            "is_end_of_life": _flag(practice.dialect, end_of_life),
        }
        defects = None
        if broken_row is not None:
            number = str(data["nhs_number"][broken_row])
            defects = {
                broken_row: ("nhs_number", broken_nhs_number(number), "NHS number fails modulus 11")
            }
        self._write(PATIENTS, practice, month, data, defects)

    def events(self, practice: Practice, month: Month, inject: bool) -> None:
        ev = self.record.events
        lo, hi = np.searchsorted(
            ev["day"], [month.first_day.astype(np.int64), month.last_day.astype(np.int64) + 1]
        )
        rows = np.arange(lo, hi)
        rows = rows[self.record.pop.practice[ev["patient"][rows]] == practice.index]
        data = {
            "nhs_number": self.record.pop.nhs[ev["patient"][rows]],
            "snomed_code": ev["snomed"][rows],
            "term": ev["term"][rows],
            "event_date": to_date(ev["day"][rows]),
            "value": ev["value"][rows],
            "value_comparator": ev["comparator"][rows],
            "value_unit": ev["unit"][rows],
            "recorded_by_role": ev["role"][rows],
        }
        defects = {3: ("snomed_code", "XaBVJ", "SNOMED code is not numeric")} if inject else None
        self._write(CLINICAL_EVENTS, practice, month, data, defects, 5 if inject else None)

    def medication_issues(self, practice: Practice, month: Month, inject: bool) -> None:
        issues = self.record.issues
        templates = self.record.templates
        lo, hi = np.searchsorted(
            issues["day"], [month.first_day.astype(np.int64), month.last_day.astype(np.int64) + 1]
        )
        rows = np.arange(lo, hi)
        rows = rows[self.record.pop.practice[issues["patient"][rows]] == practice.index]
        rows = np.r_[rows, self._ended_template_issues(practice, month)]
        drug = issues["drug"][rows]
        template = issues["template"][rows]
        repeat = template >= 0
        t = np.where(repeat, template, 0)
        ended = repeat & (templates.end[t] <= month.last_day.astype(np.int64))
        data = {
            "nhs_number": self.record.pop.nhs[issues["patient"][rows]],
            "dmd_code": self.drug_vmp[drug],
            "bnf_code": self.drug_bnf[drug],
            "drug_name": self.drug_name[drug],
            "issue_date": to_date(issues["day"][rows]),
            "issue_type": _spell(practice.dialect, issues["kind"][rows]),
            "quantity": issues["quantity"][rows],
            "template_start_date": np.where(repeat, to_date(templates.start[t]), NAT),
            "template_end_date": np.where(ended, to_date(templates.end[t]), NAT),
            "stop_reason": np.where(ended, templates.reason[t], ""),
        }
        defects = None
        if inject:
            number = str(data["nhs_number"][2])
            defects = {
                2: ("nhs_number", broken_nhs_number(number), "NHS number fails modulus 11"),
                4: (
                    "issue_date",
                    IMPOSSIBLE_DATE[practice.dialect].format(year=month.start.year),
                    "impossible date",
                ),
            }
        self._write(MEDICATION_ISSUES, practice, month, data, defects)

    def _ended_template_issues(self, practice: Practice, month: Month) -> np.ndarray:
        """The search's second part: for each repeat template ended during the month (the
        patient still registered), its latest issue when that is dated in an earlier month.
        Templates with an issue in the month already show their end on that issue."""
        templates = self.record.templates
        first, last = month.first_day.astype(np.int64), month.last_day.astype(np.int64)
        ended = np.flatnonzero(
            (templates.end >= first)
            & (templates.end <= last)
            & (self.record.pop.practice[templates.patient] == practice.index)
            & (self.exit_day[templates.patient] > templates.end)
        )
        latest = self.latest_issue[ended]
        latest = latest[latest >= 0]
        return np.sort(latest[self.record.issues["day"][latest] < first])

    def discharges(self, practice: Practice, month: Month) -> None:
        letters = self.record.discharges
        lo, hi = np.searchsorted(
            letters["received"],
            [month.first_day.astype(np.int64), month.last_day.astype(np.int64) + 1],
        )
        rows = np.arange(lo, hi)
        rows = rows[self.record.pop.practice[letters["patient"][rows]] == practice.index]
        data = {
            "nhs_number": self.record.pop.nhs[letters["patient"][rows]],
            "admission_date": to_date(letters["admission"][rows]),
            "discharge_date": to_date(letters["discharge"][rows]),
            "document_received_date": to_date(letters["received"][rows]),
            "provider_code": letters["provider"][rows],
        }
        self._write(DISCHARGES, practice, month, data)


def write_clinical_extracts(
    inbox: Path,
    record: ClinicalRecord,
    practices: list[Practice],
    months: list[Month],
    inject: bool,
    summary: GenerationSummary,
) -> None:
    """Every practice's four extracts for every month.

    With `inject`, the first EMIS practice's events in the second month get a non-numeric
    SNOMED code and a duplicated row, the first SystmOne practice's (else the same
    practice's) medication issues that month get a broken NHS number and an impossible date,
    and the first practice's patients in the third month get a broken NHS number.
    """
    writer = ClinicalWriter(inbox, record, summary)
    emis = next((p for p in practices if p.dialect == "emis"), practices[0])
    systmone = next((p for p in practices if p.dialect == "systmone"), emis)
    second, third = min(1, len(months) - 1), min(2, len(months) - 1)
    for m, month in enumerate(months):
        for practice in practices:
            writer.patients(
                practice, month, 7 if inject and m == third and practice is emis else None
            )
            writer.events(practice, month, inject and m == second and practice is emis)
            writer.medication_issues(
                practice, month, inject and m == second and practice is systmone
            )
            writer.discharges(practice, month)
