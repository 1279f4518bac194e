"""The clinical record of a PCN: repeat templates, issues, coded events and discharges.

The simulation runs over the whole window (a year before the first reporting month to the end
of the last one) so that everything the monthly extracts show is consistent: an SMR is done for
a patient who is registered and in the cohort that day, the medicines stopped at it are not
issued again, monitoring tests follow the drug, reconciliations follow the discharge letter.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from synthetic import codes
from synthetic.codes import Code
from synthetic.config import Month
from synthetic.formulary import (
    ACUTES,
    ADDICTIVE,
    AGE_GROUPS,
    CLASS_INDEX,
    DRUG_INDEX,
    DRUGS,
    class_weights,
    drug_flags,
    drugs_in_class,
)
from synthetic.organisations import Practice
from synthetic.population import DAYS_PER_YEAR, Population
from synthetic.writer import spell

NAT = np.datetime64("NaT")
SMR_PER_PATIENT_YEAR = 0.043  # about 2,000 a year for 50,000 patients (2 WTE pharmacists)
UNDER_DELIVERY = 0.4  # share of its fair SMR load the under-delivering practice achieves
# SMR effort by calendar month (January = 1): quieter in August and December, a Q4 push.
MONTH_EFFORT = {
    1: 1.2,
    2: 1.2,
    3: 1.4,
    4: 0.8,
    5: 0.9,
    6: 0.95,
    7: 0.85,
    8: 0.7,
    9: 1.0,
    10: 1.1,
    11: 1.1,
    12: 0.8,
}
STOP_REASONS = (
    "Stopped at medication review",
    "No longer indicated",
    "Adverse effect",
    "Dose reduced",
    "Patient request",
)
ROUTINE_STOP_REASONS = ("Changed to alternative", "No longer required", "Side effects")
PROVIDERS = ("R9Y", "R9Z", "R9W")  # synthetic trust codes
DOSE_REDUCED = "Dose reduced"
# Warfarin strengths are combined to make an INR-guided dose, so a lower-strength template is
# not a dose reduction: it is left out of the step-downs below.
NOT_STEPPED_DOWN = frozenset({"0208020V0"})
_STRENGTH = re.compile(r"(\d+(?:\.\d+)?)mg")


def lower_strengths() -> np.ndarray:
    """For each drug, the next lower strength of the same product (same chemical substance,
    same name but for the strength) in the formulary, or -1: what a dose reduction at an SMR
    replaces the template with."""
    lower = np.full(len(DRUGS), -1, dtype=np.int64)
    strengths: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for i, drug in enumerate(DRUGS):
        found = _STRENGTH.search(drug.name)
        if found is None or not drug.vmp or drug.chemical_code in NOT_STEPPED_DOWN:
            continue
        form = drug.chemical_code, _STRENGTH.sub("", drug.name, count=1)
        strengths.setdefault(form, []).append((float(found.group(1)), i))
    for options in strengths.values():
        options.sort()
        for (_, weaker), (_, stronger) in itertools.pairwise(options):
            lower[stronger] = weaker
    return lower


def age_group(age: np.ndarray) -> np.ndarray:
    lows = np.array([low for low, _ in AGE_GROUPS])
    return np.searchsorted(lows, age, side="right") - 1


def as_days(values: np.ndarray, fill: np.datetime64) -> np.ndarray:
    """Days since 1970 as integers, with NaT replaced by `fill`."""
    return np.where(np.isnat(values), fill, values).astype("datetime64[D]").astype(np.int64)


def repeat_dates(
    rng: np.random.Generator,
    first: np.ndarray,
    stop: np.ndarray,
    cycle: np.ndarray,
    low: int,
    jitter: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """Dates first + j*cycle (j >= 0, +-jitter) in [low, stop): (owner row, day) pairs."""
    j_min = np.maximum(0, -((first - low) // cycle))
    j_max = (stop - 1 - first) // cycle
    count = np.maximum(j_max - j_min + 1, 0)
    rows = np.repeat(np.arange(len(first)), count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    day = first[rows] + (j_min[rows] + offset) * cycle[rows]
    day = day + rng.integers(-jitter, jitter + 1, len(rows))
    day = np.clip(day, np.maximum(first[rows], low), stop[rows] - 1)
    return rows, day


def distinct(*keys: np.ndarray) -> np.ndarray:
    """Indexes of the first of each group of rows equal on every key, in their original order.

    Files whose contract has no natural key quarantine exact repeats, so the simulation must
    not produce any by chance (two identical tests on one day from two schedules).
    """
    order = np.lexsort(keys[::-1])
    same = np.ones(len(order) - 1, dtype=bool) if len(order) else np.zeros(0, dtype=bool)
    for key in keys:
        ranked = key[order]
        same &= ranked[1:] == ranked[:-1]
    return np.sort(order[np.r_[True, ~same]]) if len(order) else order


def span_dates(
    rng: np.random.Generator, start: np.ndarray, stop: np.ndarray, per_year: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A Poisson number of uniformly placed days in [start, stop) per row."""
    length = np.maximum(stop - start, 0)
    count = rng.poisson(per_year * length / DAYS_PER_YEAR)
    rows = np.repeat(np.arange(len(start)), count)
    day = start[rows] + (rng.random(len(rows)) * length[rows]).astype(np.int64)
    return rows, day


@dataclass
class Templates:
    patient: np.ndarray
    drug: np.ndarray
    start: np.ndarray  # days since 1970
    end: np.ndarray  # days since 1970, or NO_END
    reason: np.ndarray  # stop reason text ("" while active)
    cycle: np.ndarray  # days between issues
    repeat_dispensing: np.ndarray


NO_END = np.iinfo(np.int64).max // 4


@dataclass
class EventLog:
    """Coded events, added in batches: patient index, code, day, value text, role."""

    parts: list[tuple[np.ndarray, ...]] = field(default_factory=list)

    def add(
        self,
        patient: np.ndarray,
        code: Code,
        day: np.ndarray,
        role: str | np.ndarray = "",
        value: np.ndarray | None = None,
        comparator: np.ndarray | None = None,
    ) -> None:
        n = len(patient)
        self.parts.append(
            (
                np.asarray(patient, dtype=np.int64),
                np.full(n, code.snomed, dtype=object),
                np.full(n, code.term, dtype=object),
                np.asarray(day, dtype=np.int64),
                np.full(n, "", dtype=object) if value is None else value.astype(object),
                np.full(n, "", dtype=object) if comparator is None else comparator.astype(object),
                np.full(n, code.unit if value is not None else "", dtype=object),
                np.full(n, role, dtype=object) if isinstance(role, str) else role.astype(object),
            )
        )

    def build(self) -> dict[str, np.ndarray]:
        names = ("patient", "snomed", "term", "day", "value", "comparator", "unit", "role")
        columns = {name: np.concatenate([p[i] for p in self.parts]) for i, name in enumerate(names)}
        keep = distinct(
            columns["patient"],
            columns["day"],
            columns["snomed"].astype(str),
            columns["value"].astype(str),
            columns["role"].astype(str),
        )
        columns = {name: values[keep] for name, values in columns.items()}
        order = np.lexsort((columns["snomed"].astype(str), columns["patient"], columns["day"]))
        return {name: values[order] for name, values in columns.items()}


@dataclass
class ClinicalRecord:
    pop: Population
    templates: Templates
    issues: dict[str, np.ndarray]
    events: dict[str, np.ndarray]
    discharges: dict[str, np.ndarray]
    cohort: np.ndarray  # DES SMR cohort at the first reporting month, less decliners
    smrs: dict[str, int]  # financial year -> SMRs coded
    hazards: list[tuple[int, str, int]]  # (patient, PINCER indicator, first day it applied)


def _choose(
    rng: np.random.Generator, options: Sequence[str], p: Sequence[float], n: int
) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.choice(len(options), n, p=p)]


def assign_templates(rng: np.random.Generator, pop: Population, low: int, high: int) -> Templates:
    """Repeat medicines: how many rises with age, frailty and care-home residence."""
    n = len(pop)
    mid = np.datetime64(int((low + high) // 2), "D")
    group = age_group(pop.age_on(mid))
    mean = np.array([0.12, 0.7, 2.0, 4.9, 6.8, 7.6])[group]
    mean = mean + 2.5 * pop.care_home + 1.5 * (pop.efi > 0.24) + 1.5 * pop.learning_disability
    dispersion = 2.5
    count = rng.negative_binomial(dispersion, dispersion / (dispersion + mean))
    weights = class_weights()[:, group].T  # patients x classes
    with np.errstate(divide="ignore"):
        keys = np.log(weights) - np.log(-np.log(rng.random(weights.shape)))
    order = np.argsort(-keys, axis=1, kind="stable")
    count = np.minimum(count, (weights > 0).sum(axis=1))
    patient = np.repeat(np.arange(n), count)
    rank = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    chosen_class = order[patient, rank]

    # Prescribers mostly avoid the PINCER combinations: few people on an anticoagulant keep
    # an NSAID or an antiplatelet, and few keep two antiplatelets.
    def on(*names: str) -> np.ndarray:
        mask = np.zeros(n, bool)
        mask[patient[np.isin(chosen_class, [CLASS_INDEX[c] for c in names])]] = True
        return mask

    anticoagulated = on("anticoagulant")[patient]
    aspirin = on("aspirin")[patient]
    drop = (
        (
            anticoagulated
            & (chosen_class == CLASS_INDEX["nsaid"])
            & (rng.random(len(patient)) < 0.92)
        )
        | (
            anticoagulated
            & np.isin(chosen_class, [CLASS_INDEX["antiplatelet"], CLASS_INDEX["aspirin"]])
            & (rng.random(len(patient)) < 0.88)
        )
        | (
            aspirin
            & (chosen_class == CLASS_INDEX["antiplatelet"])
            & (rng.random(len(patient)) < 0.6)
        )
    )
    patient, chosen_class = patient[~drop], chosen_class[~drop]

    # Most older people on an NSAID are co-prescribed gastroprotection; the rest are the
    # PINCER indicator A hazards.
    nsaid = np.zeros(n, bool)
    nsaid[patient[chosen_class == CLASS_INDEX["nsaid"]]] = True
    ppi = np.zeros(n, bool)
    ppi[patient[np.isin(chosen_class, [CLASS_INDEX["ppi"], CLASS_INDEX["h2"]])]] = True
    add_ppi = np.flatnonzero(nsaid & ~ppi & (group >= 3) & (rng.random(n) < 0.6))
    patient = np.r_[patient, add_ppi]
    chosen_class = np.r_[chosen_class, np.full(len(add_ppi), CLASS_INDEX["ppi"])]

    drug = np.empty(len(patient), dtype=np.int64)
    for c, (members, p) in enumerate(drugs_in_class()):
        rows = np.flatnonzero(chosen_class == c)
        drug[rows] = members[rng.choice(len(members), len(rows), p=p)]

    m = len(patient)
    reg = as_days(pop.reg, np.datetime64(low, "D"))[patient]
    exit_day = as_days(pop.exit, np.datetime64(NO_END, "D"))[patient]
    established = low - np.round(rng.exponential(3 * DAYS_PER_YEAR, m)).astype(np.int64)
    new_start = np.maximum(reg, low) + (
        rng.random(m) * np.maximum(np.minimum(exit_day, high) - np.maximum(reg, low), 1)
    ).astype(np.int64)
    start = np.where((reg > low) | (rng.random(m) < 0.18), new_start, np.maximum(established, reg))
    stop_after = np.round(rng.exponential(DAYS_PER_YEAR / 0.07, m)).astype(np.int64)
    routine_end = np.maximum(start, low) + stop_after
    ends = routine_end <= high
    end = np.where(ends, routine_end, NO_END)
    reason = np.where(ends, _choose(rng, ROUTINE_STOP_REASONS, (0.5, 0.3, 0.2), m), "")
    cycle = np.where(rng.random(m) < 0.2, 56, 28)
    cycle = np.where(drug == DRUG_INDEX["salbutamol100"], 56, cycle)
    order = np.lexsort((drug, patient))
    return Templates(
        patient=patient[order],
        drug=drug[order],
        start=start[order],
        end=end[order],
        reason=reason[order].astype(object),
        cycle=cycle[order],
        repeat_dispensing=(rng.random(m) < 0.1)[order],
    )


def active_on(templates: Templates, day: int) -> np.ndarray:
    return (templates.start <= day) & (day < templates.end)


def static_hazards(templates: Templates, pop: Population, day: int) -> dict[str, np.ndarray]:
    """PINCER drug-combination hazards (A, D, E, F) per patient on `day`."""
    n = len(pop)
    active = active_on(templates, day)
    flags = drug_flags()
    on = {
        flag: np.bincount(templates.patient[active & mask[templates.drug]], minlength=n) > 0
        for flag, mask in flags.items()
    }
    other_antiplatelet = (
        np.bincount(
            templates.patient[
                active & flags["antiplatelet"][templates.drug] & ~flags["aspirin"][templates.drug]
            ],
            minlength=n,
        )
        > 0
    )
    age = pop.age_on(np.datetime64(day, "D"))
    return {
        "A": (age >= 65) & on["nsaid"] & ~on["ppi"],
        "D": on["anticoagulant"] & on["nsaid"],
        "E": on["anticoagulant"] & on["antiplatelet"] & ~on["ppi"],
        "F": on["aspirin"] & other_antiplatelet & ~on["ppi"],
    }


def des_cohort(templates: Templates, pop: Population, day: int) -> np.ndarray:
    """Care home, 10+ medicines, severe frailty, medication-error risk, addictive medicines or
    learning disability; end-of-life patients excluded (declines are handled by the caller)."""
    n = len(pop)
    active = active_on(templates, day)
    medicines = np.bincount(templates.patient[active], minlength=n)
    addictive = (
        np.bincount(
            templates.patient[active & drug_flags()[ADDICTIVE][templates.drug]], minlength=n
        )
        > 0
    )
    at_risk = np.logical_or.reduce(list(static_hazards(templates, pop, day).values()))
    cohort = (
        pop.care_home
        | (medicines >= 10)
        | (pop.efi > 0.36)
        | at_risk
        | addictive
        | pop.learning_disability
    )
    return cohort & ~pop.end_of_life & pop.registered(np.datetime64(day, "D"))


def _weekdays(month: Month) -> np.ndarray:
    days = np.arange(month.first_day, month.last_day + 1)
    return days[np.is_busday(days)].astype(np.int64)


def simulate_smrs(
    rng: np.random.Generator,
    pop: Population,
    templates: Templates,
    practices: list[Practice],
    months: list[Month],
    cohort: np.ndarray,
    declined_on: np.ndarray,
    under_delivering: int | None,
    events: EventLog,
) -> dict[str, int]:
    """SMRs month by month, with the deprescribing they lead to."""
    n = len(pop)
    first = int(months[0].first_day.astype(np.int64))

    medicines_at_start = np.bincount(templates.patient[active_on(templates, first)], minlength=n)
    other_candidates = ~cohort & (medicines_at_start >= 4) & (pop.age_on(months[0].first_day) >= 50)
    bounds = np.searchsorted(templates.patient, np.arange(n + 1))
    deprescribe_weight = np.ones(len(DRUGS))
    for flag, weight in (("addictive", 3.0), ("nsaid", 3.0), ("ppi", 2.0)):
        deprescribe_weight[drug_flags()[flag]] = weight

    smr_patients: list[np.ndarray] = []
    smr_days: list[np.ndarray] = []
    done_this_year = np.zeros(n, bool)
    counts: dict[str, int] = {}
    fy = months[0].fy
    for month in months:
        if month.fy != fy:
            fy, done_this_year = month.fy, np.zeros(n, bool)
        days = _weekdays(month)
        mid = month.first_day + np.timedelta64(14, "D")
        present = pop.registered(mid) & (declined_on > int(mid.astype(np.int64)))
        total_cohort = max(int(cohort.sum()), 1)
        for practice in practices:
            at_practice = pop.practice == practice.index
            share = (cohort & at_practice).sum() / total_cohort
            annual = SMR_PER_PATIENT_YEAR * sum(p.list_size for p in practices) * share
            if practice.index == under_delivering:
                annual *= UNDER_DELIVERY
            wanted = rng.poisson(annual * MONTH_EFFORT[month.start.month] / 12)
            in_cohort = np.flatnonzero(at_practice & present & cohort & ~done_this_year)
            others = np.flatnonzero(at_practice & present & other_candidates & ~done_this_year)
            n_cohort = min(len(in_cohort), round(wanted * 0.82))
            n_other = min(len(others), wanted - n_cohort)
            chosen = np.r_[
                rng.choice(in_cohort, n_cohort, replace=False),
                rng.choice(others, n_other, replace=False),
            ].astype(np.int64)
            done_this_year[chosen] = True
            smr_patients.append(chosen)
            smr_days.append(rng.choice(days, len(chosen)))
        counts[fy] = counts.get(fy, 0) + int(sum(len(c) for c in smr_patients[-len(practices) :]))

    patient = np.concatenate(smr_patients)
    day = np.concatenate(smr_days)
    role = _choose(
        rng,
        (codes.CLINICAL_PHARMACIST, codes.SENIOR_PHARMACIST, codes.LEAD_PHARMACIST, codes.GP),
        (0.8, 0.08, 0.04, 0.08),
        len(patient),
    )
    events.add(patient, codes.SMR, day, role)
    in_home = pop.care_home[patient]
    events.add(patient[in_home], codes.SEEN_IN_CARE_HOME, day[in_home], role[in_home])

    # Deprescribing: about one repeat template ended per SMR, on the day or within a fortnight.
    stopped_patient, stopped_day, stopped_role = [], [], []
    weaker = lower_strengths()
    reductions: list[tuple[int, int]] = []
    for who, when, by in zip(patient, day, role, strict=True):
        rows = np.arange(bounds[who], bounds[who + 1])
        rows = rows[(templates.start[rows] <= when) & (when < templates.end[rows])]
        stops = min(rng.poisson(1.05), max(len(rows) - 1, 0))
        if stops == 0:
            continue
        weight = deprescribe_weight[templates.drug[rows]]
        ended = rng.choice(rows, stops, replace=False, p=weight / weight.sum())
        end_day = when + np.where(rng.random(stops) < 0.65, 0, rng.integers(1, 15, stops))
        templates.end[ended] = end_day
        templates.reason[ended] = _choose(rng, STOP_REASONS, (0.45, 0.25, 0.12, 0.1, 0.08), stops)
        # A dose reduction replaces the template with the next lower strength from the same
        # day; where the formulary has none, the medicine is stopped instead.
        reduced = templates.reason[ended] == DOSE_REDUCED
        step_down = reduced & (weaker[templates.drug[ended]] >= 0)
        templates.reason[ended[reduced & ~step_down]] = STOP_REASONS[0]
        reductions.extend(zip(ended[step_down], end_day[step_down], strict=True))
        recorded = rng.random(stops) < 0.3
        stopped_patient.append(np.full(recorded.sum(), who))
        stopped_day.append(end_day[recorded])
        stopped_role.append(np.full(recorded.sum(), by, dtype=object))
    if stopped_patient:
        events.add(
            np.concatenate(stopped_patient),
            codes.DRUG_DISCONTINUED,
            np.concatenate(stopped_day),
            np.concatenate(stopped_role),
        )
    _add_step_downs(templates, reductions, weaker)
    return counts


def _add_step_downs(
    templates: Templates, reductions: list[tuple[int, int]], weaker: np.ndarray
) -> None:
    """New templates for the lower strengths, kept in (patient, drug) order: later steps find a
    patient's templates by binary search on the patient column."""
    if not reductions:
        return
    old = np.array([row for row, _ in reductions], dtype=np.int64)
    start = np.array([day for _, day in reductions], dtype=np.int64)
    added = Templates(
        patient=templates.patient[old],
        drug=weaker[templates.drug[old]],
        start=start,
        end=np.full(len(old), NO_END, dtype=np.int64),
        reason=np.full(len(old), "", dtype=object),
        cycle=templates.cycle[old],
        repeat_dispensing=templates.repeat_dispensing[old],
    )
    names = ("patient", "drug", "start", "end", "reason", "cycle", "repeat_dispensing")
    merged = {n: np.concatenate([getattr(templates, n), getattr(added, n)]) for n in names}
    order = np.lexsort((merged["drug"], merged["patient"]))
    for name in names:
        setattr(templates, name, merged[name][order])


def build_issues(
    rng: np.random.Generator, pop: Population, templates: Templates, low: int, high: int
) -> dict[str, np.ndarray]:
    """Repeat issues every cycle while the template is live, plus acute courses."""
    exit_day = as_days(pop.exit, np.datetime64(NO_END, "D"))
    stop = np.minimum(np.minimum(templates.end, exit_day[templates.patient]), high + 1)
    rows, day = repeat_dates(rng, templates.start, stop, templates.cycle, low)
    packs = np.array([d.pack for d in DRUGS])
    repeat = {
        "patient": templates.patient[rows],
        "drug": templates.drug[rows],
        "day": day,
        "quantity": packs[templates.drug[rows]] * templates.cycle[rows] // 28,
        "template": rows,
        "kind": np.where(templates.repeat_dispensing[rows], "Repeat Dispensing", "Repeat"),
    }
    reg = as_days(pop.reg, np.datetime64(low, "D"))
    start = np.maximum(reg, low)
    stop_all = np.minimum(exit_day, high + 1)
    group = age_group(pop.age_on(np.datetime64(low, "D")))
    parts = [repeat]
    for key, rates, units in ACUTES:
        who, when = span_dates(rng, start, stop_all, np.asarray(rates)[group])
        parts.append(
            {
                "patient": who,
                "drug": np.full(len(who), DRUG_INDEX[key]),
                "day": when,
                "quantity": np.full(len(who), units),
                "template": np.full(len(who), -1),
                "kind": np.full(len(who), "Acute"),
            }
        )
    issues = {k: np.concatenate([p[k] for p in parts]) for k in repeat}
    keep = distinct(issues["patient"], issues["drug"], issues["day"])
    issues = {k: v[keep] for k, v in issues.items()}
    order = np.lexsort((issues["drug"], issues["patient"], issues["day"]))
    return {k: v[order] for k, v in issues.items()}


def latest_template_issues(issues: dict[str, np.ndarray], n_templates: int) -> np.ndarray:
    """Row of each repeat template's latest issue in `issues` (-1 for a template never issued).

    The monthly search re-delivers that row when the template is ended in a month without an
    issue of it, so the end date and stop reason reach the warehouse.
    """
    latest = np.full(n_templates, -1, dtype=np.int64)
    rows = np.flatnonzero(issues["template"] >= 0)
    # Issues are in day order: assigning in that order leaves each template's last issue.
    rows = rows[np.argsort(issues["day"][rows], kind="stable")]
    latest[issues["template"][rows]] = rows
    return latest


def _values(rng: np.random.Generator, n: int, low: float, high: float, decimals: int) -> np.ndarray:
    return spell(f"%.{decimals}f", rng.uniform(low, high, n))


def monitoring(
    rng: np.random.Generator,
    pop: Population,
    templates: Templates,
    low: int,
    high: int,
    events: EventLog,
) -> list[tuple[int, str, int]]:
    """Blood tests and high-risk-drug reviews that follow each monitored medicine.

    Most patients are tested within the drug's window; about one in eight has a lapse
    (interval 1.6-2.3 times the usual), which is what the HRD and PINCER monitoring
    indicators should find. Returns those lapses as (patient, PINCER indicator, day).
    """
    n = len(pop)
    exit_day = as_days(pop.exit, np.datetime64(NO_END, "D"))
    age = pop.age_on(np.datetime64(low, "D"))
    egfr_base = np.clip(95 - 0.9 * np.maximum(age - 30, 0) + rng.normal(0, 12, n), 8, 120)
    lapsed = rng.random(n) < 0.12
    flags = drug_flags()
    drug = templates.drug
    lab_roles = np.array(["", codes.HCA, codes.PRACTICE_NURSE], dtype=object)

    def kidney(patient: np.ndarray, day: np.ndarray) -> None:
        egfr = np.round(egfr_base[patient] + rng.normal(0, 4, len(patient)))
        over = egfr > 90
        events.add(patient, codes.U_AND_E, day)
        events.add(
            patient,
            codes.CREATININE,
            day,
            value=spell("%d", np.round(80 * (75 / np.maximum(egfr, 5)) ** 1.1)),
        )
        events.add(patient, codes.POTASSIUM, day, value=_values(rng, len(patient), 3.6, 5.3, 1))
        events.add(
            patient,
            codes.EGFR,
            day,
            value=spell("%d", np.where(over, 90, egfr)),
            comparator=np.where(over, ">", ""),
        )

    schedules = (
        # (templates, usual interval, PINCER indicator for a lapse, review code)
        (flags["methotrexate"][drug], 84, "ME_FBC", codes.HRD_REVIEWS["quarterly"]),
        (flags["lithium"][drug], 84, "LI", codes.HRD_REVIEWS["quarterly"]),
        (flags["amiodarone"][drug], 165, "AM", codes.HRD_REVIEWS["six_monthly"]),
        (
            (flags["acei"][drug] | flags["loop"][drug]) & (age[templates.patient] >= 75),
            300,
            "AC",
            None,
        ),
        (flags["anticoagulant"][drug], 330, None, codes.ANTICOAGULANT_REVIEW),
    )
    hazards: list[tuple[int, str, int]] = []
    for selected, interval, indicator, review in schedules:
        rows = np.flatnonzero(selected)
        patient = templates.patient[rows]
        stop = np.minimum(np.minimum(templates.end[rows], exit_day[patient]), high + 1)
        stretch = np.where(
            lapsed[patient], rng.uniform(1.6, 2.3, len(rows)), rng.uniform(0.75, 1.02, len(rows))
        )
        cycle = np.round(interval * stretch).astype(np.int64)
        first = templates.start[rows] + (rng.random(len(rows)) * cycle).astype(np.int64)
        owner, day = repeat_dates(rng, first, stop, cycle, low, jitter=5)
        who = patient[owner]
        if indicator == "ME_FBC":
            events.add(who, codes.HAEMOGLOBIN, day, value=_values(rng, len(who), 108, 152, 0))
            events.add(who, codes.ALT, day, value=_values(rng, len(who), 9, 62, 0))
        elif indicator == "LI":
            level = np.where(
                rng.random(len(who)) < 0.1,
                rng.uniform(1.05, 1.4, len(who)),
                rng.uniform(0.4, 1.0, len(who)),
            )
            events.add(who, codes.LITHIUM_LEVEL, day, value=spell("%.2f", level))
            kidney(who[::2], day[::2])
            events.add(
                who[::2], codes.TSH, day[::2], value=_values(rng, len(who[::2]), 0.4, 5.5, 1)
            )
        elif indicator == "AM":
            events.add(who, codes.TSH, day, value=_values(rng, len(who), 0.3, 6.5, 1))
            events.add(who, codes.ALT, day, value=_values(rng, len(who), 9, 70, 0))
        else:
            kidney(who, day)
        if review is not None:
            reviewed = rng.random(len(who)) < 0.5
            role = _choose(rng, (codes.CLINICAL_PHARMACIST, codes.GP), (0.7, 0.3), reviewed.sum())
            events.add(who[reviewed], review, day[reviewed], role)
        if indicator is not None:
            for p, s in zip(
                patient[lapsed[patient]], templates.start[rows][lapsed[patient]], strict=True
            ):
                hazards.append((int(p), indicator, int(max(s, low))))
        if indicator == "LI":
            annual = rng.random(len(who)) < 0.25
            events.add(who[annual], codes.LITHIUM_REVIEW, day[annual], codes.CLINICAL_PHARMACIST)
    warfarin = np.flatnonzero(np.isin(drug, [DRUG_INDEX["warfarin1"], DRUG_INDEX["warfarin3"]]))
    who, when = span_dates(
        rng,
        np.maximum(templates.start[warfarin], low),
        np.minimum(templates.end[warfarin], high + 1),
        np.ones(len(warfarin)),
    )
    events.add(templates.patient[warfarin][who], codes.WARFARIN_REVIEW, when, codes.GP)

    # Routine kidney function checks for older people on any repeat medicine.
    on_repeats = np.bincount(templates.patient, minlength=n) > 0
    reg = np.maximum(as_days(pop.reg, np.datetime64(low, "D")), low)
    who, when = span_dates(
        rng, reg, np.minimum(exit_day, high + 1), np.where(on_repeats & (age >= 45), 0.35, 0.0)
    )
    kidney(who, when)
    events.add(who, codes.FULL_BLOOD_COUNT, when, role=lab_roles[rng.integers(0, 3, len(who))])
    return hazards


# Diagnoses the PINCER indicators look for (B, C, G, I), tied to the medicines that go with
# them. The monthly extracts carry only events dated in their month, so a diagnosis coded
# before the first month cannot appear: each diagnosed patient has the code recorded once,
# at a review in the window's first six months (real PINCER searches read the whole history).
HEART_FAILURE_WITH_LOOP_DIURETIC = 0.35  # share of people on a loop diuretic with HF coded
HEART_FAILURE_OTHER_65_PLUS = 0.005
ASTHMA_WITH_SABA = 0.45  # share of people with a salbutamol repeat with asthma coded
ASTHMA_RESOLVED_SHARE = 0.1
PEPTIC_ULCER_45_PLUS = 0.03
DIAGNOSIS_WINDOW_DAYS = 182


def diagnoses(
    rng: np.random.Generator,
    pop: Population,
    templates: Templates,
    low: int,
    high: int,
    events: EventLog,
) -> None:
    """Heart failure, asthma (some later resolved) and peptic ulcer codes.

    Called last in simulate_clinical so the draws of everything before it are unchanged.
    """
    n = len(pop)
    age = pop.age_on(np.datetime64(low, "D"))
    classes = np.array([d.drug_class for d in DRUGS], dtype=object)

    def on_class(name: str) -> np.ndarray:
        return np.bincount(templates.patient[classes[templates.drug] == name], minlength=n) > 0

    draw = rng.random((3, n))
    heart_failure = np.where(
        on_class("loop_diuretic"),
        draw[0] < HEART_FAILURE_WITH_LOOP_DIURETIC,
        (age >= 65) & (draw[0] < HEART_FAILURE_OTHER_65_PLUS),
    )
    asthma = on_class("saba") & (draw[1] < ASTHMA_WITH_SABA)
    peptic_ulcer = (age >= 45) & (draw[2] < PEPTIC_ULCER_45_PLUS)
    start = np.maximum(as_days(pop.reg, np.datetime64(low, "D")), low)
    stop = np.minimum(
        as_days(pop.exit, np.datetime64(NO_END, "D")), min(low + DIAGNOSIS_WINDOW_DAYS, high + 1)
    )
    for mask, code in (
        (heart_failure, codes.HEART_FAILURE),
        (asthma, codes.ASTHMA),
        (peptic_ulcer, codes.PEPTIC_ULCER),
    ):
        who = np.flatnonzero(mask & (stop > start))
        day = start[who] + (rng.random(len(who)) * (stop[who] - start[who])).astype(np.int64)
        events.add(who, code, day, codes.GP)
        if code is codes.ASTHMA:
            resolved = rng.random(len(who)) < ASTHMA_RESOLVED_SHARE
            later = day[resolved] + rng.integers(30, 365, resolved.sum())
            keep = later < np.minimum(
                as_days(pop.exit, np.datetime64(NO_END, "D"))[who[resolved]], high + 1
            )
            events.add(who[resolved][keep], codes.ASTHMA_RESOLVED, later[keep], codes.GP)


def monitoring_of_other_dmards(
    rng: np.random.Generator,
    pop: Population,
    templates: Templates,
    low: int,
    high: int,
    events: EventLog,
) -> None:
    """12-weekly FBC, LFT (ALT) and creatinine for DMARDs other than methotrexate, as shared-care
    protocols ask, with the same one-in-eight lapses as monitoring(). Called last in
    simulate_clinical so the draws of everything before it are unchanged."""
    exit_day = as_days(pop.exit, np.datetime64(NO_END, "D"))
    classes = np.array([d.drug_class for d in DRUGS], dtype=object)
    rows = np.flatnonzero(classes[templates.drug] == "dmard_other")
    patient = templates.patient[rows]
    lapsed = rng.random(len(rows)) < 0.12
    stretch = np.where(lapsed, rng.uniform(1.6, 2.3, len(rows)), rng.uniform(0.75, 1.02, len(rows)))
    cycle = np.round(84 * stretch).astype(np.int64)
    first = templates.start[rows] + (rng.random(len(rows)) * cycle).astype(np.int64)
    stop = np.minimum(np.minimum(templates.end[rows], exit_day[patient]), high + 1)
    owner, day = repeat_dates(rng, first, stop, cycle, low, jitter=5)
    who = patient[owner]
    events.add(who, codes.HAEMOGLOBIN, day, value=_values(rng, len(who), 108, 152, 0))
    events.add(who, codes.ALT, day, value=_values(rng, len(who), 9, 62, 0))
    events.add(who, codes.CREATININE, day, value=_values(rng, len(who), 55, 120, 0))


def registers(
    rng: np.random.Generator,
    pop: Population,
    templates: Templates,
    low: int,
    high: int,
    events: EventLog,
) -> None:
    """eFI, frailty, care-home and learning-disability codes; ordinary medication reviews."""
    n = len(pop)
    reg = np.maximum(as_days(pop.reg, np.datetime64(low, "D")), low)
    stop = np.minimum(as_days(pop.exit, np.datetime64(NO_END, "D")), high + 1)
    yearly = np.full(n, 365)
    first = reg + (rng.random(n) * 365).astype(np.int64)

    has_efi = np.flatnonzero(~np.isnan(pop.efi))
    owner, day = repeat_dates(rng, first[has_efi], stop[has_efi], yearly[has_efi], low, 0)
    who = has_efi[owner]
    efi = pop.efi[who]
    role = _choose(rng, (codes.GP, codes.PRACTICE_NURSE, codes.HCA), (0.4, 0.4, 0.2), len(who))
    events.add(who, codes.EFI_SCORE, day, role, value=spell("%.2f", efi))
    for name, lo_, hi_ in (("mild", 0.12, 0.24), ("moderate", 0.24, 0.36), ("severe", 0.36, 2)):
        band = (efi > lo_) & (efi <= hi_)
        events.add(who[band], codes.FRAILTY[name], day[band], role[band])

    for mask, code in (
        (pop.care_home, codes.LIVES_IN_CARE_HOME),
        (pop.learning_disability, codes.LD_REGISTER),
    ):
        rows = np.flatnonzero(mask)
        owner, day = repeat_dates(rng, reg[rows], stop[rows], yearly[rows], low, 0)
        events.add(rows[owner], code, day, codes.GP)

    # Ordinary (not structured) medication reviews of people on repeat medicines.
    on_repeats = (np.bincount(templates.patient, minlength=n) > 0).astype(float)
    who, day = span_dates(rng, reg, stop, 0.3 * on_repeats)
    by = rng.choice(3, len(who), p=(0.5, 0.2, 0.3))
    choices = {
        0: (codes.GP, (4, 0, 1)),
        1: (codes.PRACTICE_NURSE, (5, 0, 1)),
        2: (codes.CLINICAL_PHARMACIST, (3, 2, 6)),
    }
    for k, (role_name, options) in choices.items():
        rows = by == k
        pick = np.asarray(options)[rng.integers(0, len(options), rows.sum())]
        for code_index in np.unique(pick):
            chosen = rows.copy()
            chosen[rows] = pick == code_index
            events.add(who[chosen], codes.MEDICATION_REVIEWS[code_index], day[chosen], role_name)


def discharges(
    rng: np.random.Generator,
    pop: Population,
    templates: Templates,
    low: int,
    high: int,
    events: EventLog,
) -> dict[str, np.ndarray]:
    """Discharge letters received, and the reconciliations that follow most of them."""
    n = len(pop)
    age = pop.age_on(np.datetime64(low, "D"))
    rate = np.select([age >= 85, age >= 75, age >= 65, age >= 45], [0.32, 0.2, 0.12, 0.06], 0.03)
    rate = rate * np.where(pop.care_home, 1.4, 1.0)
    reg = np.maximum(as_days(pop.reg, np.datetime64(low, "D")), low - 30)
    exit_day = as_days(pop.exit, np.datetime64(NO_END, "D"))
    who, admitted = span_dates(rng, reg, np.minimum(exit_day, high + 1), rate)
    stay = 1 + rng.geometric(1 / (2 + age[who] / 20))
    discharged = admitted + stay
    delay = rng.choice(
        [0, 1, 2, 3, 4, 5, 8, 12], len(who), p=(0.15, 0.35, 0.2, 0.1, 0.06, 0.04, 0.06, 0.04)
    )
    received = discharged + delay
    keep = (received >= low) & (received <= high) & (discharged < exit_day[who])
    keep[np.setdiff1d(np.arange(len(who)), distinct(who, discharged))] = False
    who, admitted, discharged, received = (
        who[keep],
        admitted[keep],
        discharged[keep],
        received[keep],
    )

    bounds = np.searchsorted(templates.patient, np.arange(n + 1))
    on_medicines = np.array(
        [
            bool(
                np.any(
                    (templates.start[bounds[p] : bounds[p + 1]] <= d)
                    & (d < templates.end[bounds[p] : bounds[p + 1]])
                )
            )
            for p, d in zip(who, discharged, strict=True)
        ],
        dtype=bool,
    )
    outcome = rng.random(len(who))
    within = on_medicines & (outcome < 0.83)
    late = on_medicines & (outcome >= 0.83) & (outcome < 0.93)
    gap = np.where(
        within,
        rng.choice(8, len(who), p=(0.08, 0.22, 0.22, 0.16, 0.12, 0.08, 0.07, 0.05)),
        rng.integers(8, 31, len(who)),
    )
    reconciled = (within | late) & (received + gap < exit_day[who])
    rows = np.flatnonzero(reconciled)
    kind = rng.choice(len(codes.RECONCILIATIONS), len(rows), p=(0.5, 0.25, 0.15, 0.1))
    role = _choose(
        rng,
        (codes.CLINICAL_PHARMACIST, codes.PHARMACY_TECHNICIAN, codes.GP),
        (0.6, 0.25, 0.15),
        len(rows),
    )
    for k, code in enumerate(codes.RECONCILIATIONS):
        sel = rows[kind == k]
        events.add(who[sel], code, received[sel] + gap[sel], role[kind == k])
    order = np.lexsort((who, received))
    return {
        "patient": who[order],
        "admission": np.where(rng.random(len(who)) < 0.08, NO_END, admitted)[order],
        "discharge": discharged[order],
        "received": received[order],
        "provider": _choose(rng, PROVIDERS, (0.6, 0.3, 0.1), len(who))[order],
    }


def simulate_clinical(
    rng: np.random.Generator,
    pop: Population,
    practices: list[Practice],
    months: list[Month],
    under_delivering: int | None,
) -> ClinicalRecord:
    low = int(months[0].first_day.astype(np.int64))
    window_low = low - 365
    high = int(months[-1].last_day.astype(np.int64))
    events = EventLog()
    templates = assign_templates(rng, pop, window_low, high)
    cohort = des_cohort(templates, pop, low)
    hazards_at_start = static_hazards(templates, pop, low)
    # About one in twenty of the cohort declines an SMR at some point in the period.
    declines = cohort & (rng.random(len(pop)) < 0.05)
    declined_on = np.where(declines, low + rng.integers(0, high - low + 1, len(pop)), NO_END)
    events.add(
        np.flatnonzero(declines),
        codes.SMR_DECLINED,
        declined_on[declines],
        codes.CLINICAL_PHARMACIST,
    )
    smrs = simulate_smrs(
        rng, pop, templates, practices, months, cohort, declined_on, under_delivering, events
    )
    issues = build_issues(rng, pop, templates, low, high)
    lapses = monitoring(rng, pop, templates, low, high, events)
    registers(rng, pop, templates, low, high, events)
    letters = discharges(rng, pop, templates, low, high, events)
    diagnoses(rng, pop, templates, low, high, events)
    monitoring_of_other_dmards(rng, pop, templates, low, high, events)
    # The drug-combination hazards a quarterly PINCER search would find: those present at the
    # start, then new ones at the start of each later quarter (templates start and end all
    # through the period). The action log works through them.
    hazards = [
        (int(p), letter, low)
        for letter, mask in hazards_at_start.items()
        for p in np.flatnonzero(mask & pop.registered(months[0].first_day))
    ]
    for month in months[1:]:
        if month.start.month not in (1, 4, 7, 10):
            continue
        day = int(month.first_day.astype(np.int64))
        hazards += [
            (int(p), letter, day)
            for letter, mask in static_hazards(templates, pop, day).items()
            for p in np.flatnonzero(mask & pop.registered(month.first_day))
        ]
    return ClinicalRecord(
        pop=pop,
        templates=templates,
        issues=issues,
        events=events.build(),
        discharges=letters,
        cohort=cohort & ~declines,
        smrs=smrs,
        hazards=hazards + lapses,
    )
