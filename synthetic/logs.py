"""The Lead Pharmacist's logs for a clinical PCN, delivered each month as the whole log to date.

Each log is built once for the whole period as rows with real dates; a month's file is the
snapshot a person would have saved at the end of that month: rows not yet raised are absent and
dates still in the future (an alert not yet closed, an action not yet taken) are blank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from pcnmo import contracts
from pcnmo.contracts import TableContract
from synthetic.clinical import ClinicalRecord
from synthetic.config import GenerationSummary, Month
from synthetic.organisations import Pcn, Practice
from synthetic.writer import write_log

# Share of the hazards a quarterly PINCER search finds that the pharmacy team logs and works
# through (of those, four in five are completed): a PCN running PINCER actively.
PINCER_ACTIONED_SHARE = 0.85
XLSX_LOGS = ("safety_alerts", "supervision_log", "workforce", "switch_programmes")
WINDOW_DAYS = {
    "NatPSA": None,
    "MHRA Class 1": 0,
    "MHRA Class 2": 2,
    "MHRA Class 3": 5,
    "MHRA Class 4": 5,
    "Company-led": 5,
    "Drug Safety Update": 28,
}
APPLICABLE = {
    "NatPSA": 1.0,
    "MHRA Class 1": 0.9,
    "MHRA Class 2": 0.8,
    "MHRA Class 3": 0.6,
    "MHRA Class 4": 0.5,
    "Company-led": 0.5,
    "Drug Safety Update": 0.6,
}
SEA_SUMMARIES = {
    "Prescribing error": "Wrong strength added to a repeat template; community pharmacy noticed.",
    "Dispensing error": "Dispensed twice-daily product in place of once-daily; reported by carer.",
    "Monitoring": "Repeat issued without the blood test the shared care protocol requires.",
    "Transfer of care": "Discharge letter change not actioned for eleven days.",
    "Communication": "Dose change agreed at review not passed to the care home.",
    "Allergy": "Penicillin allergy not visible on acute prescribing screen.",
    "Controlled drugs": "Early request for opioid not flagged at reception.",
    "Other": "Medicine supply delayed by stock shortage; alternative not discussed.",
}


def _d(day: np.datetime64 | date) -> date:
    return day if isinstance(day, date) else day.astype(object)


@dataclass
class Log:
    table: TableContract
    rows: list[dict[str, object]] = field(default_factory=list)
    appears: str = ""  # date column: the row is in the log from this day
    # date column -> columns blanked with it while the date is after the snapshot
    later: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def snapshot(self, end: date) -> dict[str, object]:
        rows = [r for r in self.rows if r[self.appears] <= end]
        data: dict[str, object] = {}
        for col in self.table.columns:
            if col.from_file_name:
                continue
            values = []
            for row in rows:
                value = row.get(col.name)
                for when, blanked in self.later.items():
                    if (
                        col.name in (when, *blanked)
                        and row.get(when) is not None
                        and row[when] > end
                    ):  # type: ignore[operator]
                        value = None
                values.append(value)
            if col.kind in (contracts.Kind.DATE, contracts.Kind.MONTH):
                data[col.name] = np.array(
                    [
                        np.datetime64(v, "D") if v is not None else np.datetime64("NaT", "D")
                        for v in values
                    ],
                    dtype="datetime64[D]",
                )
            else:
                data[col.name] = np.array(values, dtype=object)
        return data


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _random_day(rng: np.random.Generator, month: Month) -> date:
    return _weekday(month.start + timedelta(days=int(rng.integers(0, month.end.day))))


@dataclass(frozen=True)
class Staff:
    staff_id: str
    role: str
    arrs: bool
    wte: float
    start: date
    body: str
    prescriber: bool
    cppe: str
    supervisor: str
    interval: int | None  # clinical supervision interval (days)


class PcnLogs:
    def __init__(
        self,
        rng: np.random.Generator,
        pcn: Pcn,
        practices: list[Practice],
        months: list[Month],
        record: ClinicalRecord,
        inject: bool,
    ) -> None:
        self.rng = rng
        self.pcn = pcn
        self.practices = practices
        self.months = months
        self.record = record
        self.inject = inject
        self.open_alert = ""  # summary line for the alert left open (safety_alerts)
        self.scale = sum(p.list_size for p in practices) / 50_000
        first = months[0].start
        self.staff = [
            Staff(
                "GP01",
                "Other",
                False,
                0.2,
                date(2015, 9, 1),
                "GMC",
                True,
                "Not applicable",
                "",
                None,
            ),
            Staff(
                "LP01",
                "Lead Pharmacist",
                True,
                1.0,
                date(2021, 3, 1),
                "GPhC",
                True,
                "Completed",
                "GP01",
                30,
            ),
            Staff(
                "SP01",
                "Senior Clinical Pharmacist",
                True,
                0.6,
                date(2022, 1, 10),
                "GPhC",
                True,
                "Completed",
                "LP01",
                30,
            ),
            Staff(
                "CP01",
                "Clinical Pharmacist",
                True,
                1.0,
                date(2023, 5, 2),
                "GPhC",
                True,
                "Completed",
                "LP01",
                30,
            ),
            Staff(
                "CP02",
                "Clinical Pharmacist",
                True,
                0.8,
                first - timedelta(days=300),
                "GPhC",
                False,
                "Enrolled",
                "LP01",
                30,
            ),
            Staff(
                "PT01",
                "Pharmacy Technician",
                True,
                1.0,
                date(2022, 9, 12),
                "GPhC",
                False,
                "Enrolled",
                "LP01",
                42,
            ),
            Staff(
                "CP03",
                "Clinical Pharmacist",
                True,
                0.6,
                months[len(months) // 3].start + timedelta(days=7),
                "GPhC",
                False,
                "Enrolled",
                "LP01",
                30,
            ),
            Staff(
                "FCP01",
                "First Contact Physiotherapist",
                True,
                1.0,
                date(2023, 1, 9),
                "HCPC",
                False,
                "Not applicable",
                "GP01",
                42,
            ),
            Staff(
                "SPLW01",
                "Social Prescribing Link Worker",
                True,
                1.0,
                date(2022, 4, 4),
                "None",
                False,
                "Not applicable",
                "",
                None,
            ),
            Staff(
                "CC01",
                "Care Coordinator",
                True,
                1.0,
                date(2023, 11, 6),
                "None",
                False,
                "Not applicable",
                "",
                None,
            ),
        ]

    # ---------------------------------------------------------------- safety alerts
    def safety_alerts(self) -> Log:
        log = Log(
            contracts.SAFETY_ALERTS,
            appears="received_date",
            later={"closed_date": ("action_taken",)},
        )
        types = tuple(WINDOW_DAYS)
        late_month = min(1, len(self.months) - 1)
        serial = 0
        for m, month in enumerate(self.months):
            for k in range(int(self.rng.integers(2, 4))):
                serial += 1
                kind = types[
                    self.rng.choice(len(types), p=(0.08, 0.05, 0.2, 0.2, 0.15, 0.17, 0.15))
                ]
                if self.inject and m == late_month and k == 0:
                    kind = "MHRA Class 2"
                issued = _random_day(self.rng, month)
                reference = {
                    "NatPSA": f"NatPSA/{issued.year}/{serial:03d}/MHRA",
                    "Drug Safety Update": f"DSU {issued:%Y-%m}/{serial:03d}",
                }.get(kind, f"EL ({issued:%y})A/{serial:02d}")
                title = f"{kind}: Synthetic Pharma Ltd, Examplamol product batch SYN{serial:04d}"
                deadline = (
                    issued + timedelta(days=int(self.rng.integers(28, 85)))
                    if kind == "NatPSA"
                    else None
                )
                for i, practice in enumerate(self.practices):
                    received = issued + timedelta(days=int(self.rng.integers(0, 2)))
                    applicable = self.rng.random() < APPLICABLE[kind]
                    window = WINDOW_DAYS[kind]
                    if not applicable:
                        closed = received
                    elif window is None:
                        closed = received + timedelta(
                            days=int(self.rng.integers(1, (deadline - received).days + 1))
                        )
                    else:
                        closed = received + timedelta(days=int(self.rng.integers(0, window + 1)))
                    if self.inject and m == late_month and k == 0 and i == 0:
                        closed = received + timedelta(days=6)  # the deliberately late closure
                    log.rows.append(
                        {
                            "alert_reference": reference,
                            "alert_title": title,
                            "alert_type": kind,
                            "practice_code": practice.code,
                            "received_date": received,
                            "deadline_date": deadline,
                            "triage_outcome": "Applicable" if applicable else "Not applicable",
                            "patients_affected": int(self.rng.poisson(6)) if applicable else 0,
                            "action_taken": "Search run; affected patients reviewed and contacted"
                            if applicable
                            else "Triaged: product not used by the practice",
                            "closed_date": closed,
                        }
                    )
        if self.inject:
            self.open_alert = self._leave_alert_open(log)
        return log

    def _leave_alert_open(self, log: Log) -> str:
        """Leave one recent alert open past its window, so the overdue-alert list has a row.

        Edits rows already drawn instead of drawing differently, so every other value the
        generator makes stays as it was: the first alert received in the second-last month
        (a Class 3 unless it already has a fixed window) stays open at the second practice.
        """
        month = self.months[max(len(self.months) - 2, 0)]
        in_month = [r for r in log.rows if month.start <= r["received_date"] <= month.end]
        fixed_window = [r for r in in_month if r["alert_type"].startswith("MHRA Class")]
        reference = (fixed_window or in_month)[0]["alert_reference"]
        practice = self.practices[min(1, len(self.practices) - 1)].code
        for row in log.rows:
            if row["alert_reference"] != reference:
                continue
            if not row["alert_type"].startswith("MHRA Class"):
                row["alert_title"] = str(row["alert_title"]).replace(
                    f"{row['alert_type']}:", "MHRA Class 3:"
                )
                row["alert_type"] = "MHRA Class 3"
                row["deadline_date"] = None
            if row["practice_code"] == practice:
                row["triage_outcome"] = "Applicable"
                row["patients_affected"] = max(int(row["patients_affected"]), 1)
                row["action_taken"] = "Search run; sign-off outstanding"
                row["closed_date"] = None
                opened = row
        return (
            f"alert open past its window: {reference} ({opened['alert_type']}, received "
            f"{opened['received_date']:%Y-%m-%d}) is still open at {practice} in the last log"
        )

    # ---------------------------------------------------------------- PINCER actions
    def pincer_actions(self) -> Log:
        log = Log(
            contracts.PINCER_ACTIONS, appears="identified_date", later={"action_date": ("action",)}
        )
        searches = [
            _weekday(m.start + timedelta(days=9))
            for m in self.months
            if m.start.month in (1, 4, 7, 10)
        ] or [_weekday(self.months[0].start)]
        pop = self.record.pop
        seen: set[tuple[int, str]] = set()
        for patient, indicator, since in self.record.hazards:
            if (patient, indicator) in seen or self.rng.random() > PINCER_ACTIONED_SHARE:
                continue
            since_day = date.fromordinal(date(1970, 1, 1).toordinal() + since)
            search = next(
                (
                    s
                    for s in searches
                    if s >= since_day and pop.registered(np.datetime64(s, "D"))[patient]
                ),
                None,
            )
            if search is None:
                continue
            seen.add((patient, indicator))
            if indicator in ("A", "E", "F"):
                options, p = (
                    (
                        "Gastroprotection added",
                        "Medicine stopped",
                        "Clinically justified",
                        "Patient declined",
                    ),
                    (0.5, 0.25, 0.2, 0.05),
                )
            elif indicator == "D":
                options, p = ("Medicine stopped", "Clinically justified", "Other"), (0.6, 0.3, 0.1)
            else:
                options, p = ("Monitoring arranged", "Patient declined", "Other"), (0.85, 0.1, 0.05)
            done = self.rng.random() < 0.8
            log.rows.append(
                {
                    "practice_code": next(
                        pr.code for pr in self.practices if pr.index == pop.practice[patient]
                    ),
                    "nhs_number": pop.nhs[patient],
                    "indicator": indicator,
                    "identified_date": search,
                    "action": options[self.rng.choice(len(options), p=p)] if done else None,
                    "action_date": search + timedelta(days=int(self.rng.integers(0, 46)))
                    if done
                    else None,
                }
            )
        return log

    # ---------------------------------------------------------------- SEAs and incidents
    def significant_events(self) -> tuple[Log, str | None]:
        log = Log(
            contracts.SIGNIFICANT_EVENTS,
            appears="raised_date",
            later={"completed_date": ("learning_shared",)},
        )
        themes = tuple(contracts.SEA_THEMES)
        typed_month = min(1, len(self.months) - 1)
        leaked: str | None = None
        for m, month in enumerate(self.months):
            count = int(self.rng.poisson(0.8 * self.scale))
            if self.inject and m == typed_month:
                count = max(count, 1)
            for k in range(count):
                theme = themes[
                    self.rng.choice(len(themes), p=(0.3, 0.15, 0.15, 0.15, 0.1, 0.05, 0.05, 0.05))
                ]
                event = _random_day(self.rng, month)
                raised = event + timedelta(days=int(self.rng.integers(1, 15)))
                summary = SEA_SUMMARIES[theme]
                if self.inject and m == typed_month and k == 0:
                    # A person typed the patient's NHS number into the narrative.
                    leaked = str(self.record.pop.nhs[0])
                    summary = f"Patient {leaked}: {summary}"
                completed = raised + timedelta(days=int(self.rng.integers(14, 61)))
                log.rows.append(
                    {
                        "sea_reference": f"SEA-{self.pcn.code}-{event:%y}-{len(log.rows) + 1:03d}",
                        "practice_code": self.practices[
                            int(self.rng.integers(len(self.practices)))
                        ].code,
                        "event_date": event,
                        "raised_date": raised,
                        "theme": theme,
                        "summary": summary,
                        "completed_date": completed,
                        "learning_shared": "Yes",
                    }
                )
        return log, leaked

    def safety_incidents(self) -> Log:
        log = Log(contracts.SAFETY_INCIDENTS, appears="reported_date")
        categories = ("Prescribing", "Dispensing", "Administration", "Monitoring", "Other")
        for month in self.months:
            for _ in range(int(self.rng.poisson(2.5 * self.scale))):
                happened = _random_day(self.rng, month)
                category = categories[self.rng.choice(5, p=(0.45, 0.25, 0.1, 0.15, 0.05))]
                log.rows.append(
                    {
                        "incident_reference": (
                            f"INC-{self.pcn.code}-{happened:%y}-{len(log.rows) + 1:04d}"
                        ),
                        "practice_code": self.practices[
                            int(self.rng.integers(len(self.practices)))
                        ].code,
                        "incident_date": happened,
                        "reported_date": happened + timedelta(days=int(self.rng.integers(0, 11))),
                        "category": category,
                        "harm_level": contracts.HARM_LEVELS[
                            self.rng.choice(4, p=(0.55, 0.35, 0.08, 0.02))
                        ],
                        "summary": f"{category} incident reported through LFPSE; reviewed at the "
                        "monthly medicines safety huddle.",
                    }
                )
        return log

    def safety_culture_audits(self) -> Log:
        log = Log(contracts.SAFETY_CULTURE_AUDITS, appears="audit_date")
        for i, practice in enumerate(self.practices):
            audit_month = (9 + i) % 12 + 1  # October onwards, staggered across practices
            for month in self.months:
                if month.start.month != audit_month:
                    continue
                pc_safequest = self.rng.random() < 0.8
                log.rows.append(
                    {
                        "practice_code": practice.code,
                        "audit_date": _random_day(self.rng, month),
                        "tool": "PC-SafeQuest" if pc_safequest else "MaPSaF",
                        "respondents": int(self.rng.integers(8, 26)),
                        "score": round(float(self.rng.uniform(3.4, 4.5)), 2),
                        "max_score": 5,
                    }
                )
        return log

    # ---------------------------------------------------------------- workforce
    def workforce(self) -> Log:
        """One row per staff member, the scope sign-off as it stood at each snapshot.

        Scope of practice is re-signed every year on the anniversary of starting, except
        (in the subject PCN) CP02's, which lapses early in the period.
        """
        log = Log(contracts.WORKFORCE, appears="start_date")
        for staff in self.staff:
            signed = staff.start + timedelta(days=14)
            if staff.staff_id == "CP02" and self.inject:
                renewals = [signed]
            else:
                renewals = [signed + timedelta(days=365 * y) for y in range(0, 15)]
            log.rows.append(
                {
                    "staff_id": staff.staff_id,
                    "role": staff.role,
                    "is_arrs_funded": "Y" if staff.arrs else "N",
                    "wte": staff.wte,
                    "start_date": staff.start,
                    "base_practice_code": self.practices[len(log.rows) % len(self.practices)].code,
                    "registration_body": staff.body,
                    "is_prescriber": "Y" if staff.prescriber else "N",
                    "cppe_pathway_status": staff.cppe,
                    "supervisor_staff_id": staff.supervisor or None,
                    "supervision_interval_days": staff.interval,
                    "_renewals": renewals if staff.body != "None" else [],
                }
            )
        return log

    def workforce_snapshot(self, log: Log, end: date) -> dict[str, object]:
        for row in log.rows:
            renewals = [d for d in row["_renewals"] if d <= end]  # type: ignore[attr-defined]
            row["scope_of_practice_signed_date"] = renewals[-1] if renewals else None
            row["scope_of_practice_review_date"] = (
                renewals[-1] + timedelta(days=365) if renewals else None
            )
        return log.snapshot(end)

    def supervision_log(self) -> Log:
        log = Log(contracts.SUPERVISION_LOG, appears="supervision_date")
        last = self.months[-1].end
        for staff in self.staff:
            if staff.interval is None or not staff.supervisor:
                continue
            stop = last
            if self.inject and staff.staff_id == "PT01":
                stop = last - timedelta(days=100)  # sessions lapse: supervision overdue
            day = max(staff.start, self.months[0].start - timedelta(days=365))
            while day <= stop:
                log.rows.append(
                    {
                        "staff_id": staff.staff_id,
                        "supervision_date": _weekday(day),
                        "supervision_type": "Clinical",
                        "supervisor_staff_id": staff.supervisor,
                        "records_sampled": None,
                    }
                )
                day += timedelta(days=int(staff.interval * self.rng.uniform(0.6, 0.95)))
            if staff.role in ("Clinical Pharmacist", "Senior Clinical Pharmacist"):
                for month in self.months:
                    if month.end >= staff.start:
                        log.rows.append(
                            {
                                "staff_id": staff.staff_id,
                                "supervision_date": _weekday(month.start + timedelta(days=20)),
                                "supervision_type": "QA sampling",
                                "supervisor_staff_id": "LP01",
                                "records_sampled": int(self.rng.integers(3, 7)),
                            }
                        )
        log.rows.sort(key=lambda r: (r["supervision_date"], r["staff_id"]))  # type: ignore[arg-type,return-value]
        unique = {
            (r["staff_id"], r["supervision_date"], r["supervision_type"]): r for r in log.rows
        }
        log.rows = list(unique.values())
        return log

    # ---------------------------------------------------------------- programmes and clinics
    def switch_programmes(self) -> list[dict[str, object]]:
        programmes = (
            ("SW-INH-01", "Inhaler carbon: MDI to DPI", 0.004, 0),
            ("SW-DOAC-02", "DOAC best value", 0.006, 1),
            ("SW-PPI-03", "PPI step-down", 0.005, 3),
        )
        rows = []
        for programme_id, name, rate, offset in programmes:
            start = self.months[min(offset, len(self.months) - 1)].start
            for practice in self.practices:
                rows.append(
                    {
                        "programme_id": programme_id,
                        "programme_name": name,
                        "practice_code": practice.code,
                        "start_date": start,
                        "planned_end_date": start
                        + timedelta(days=int(self.rng.integers(180, 366))),
                        "patients_planned": max(5, round(practice.list_size * rate)),
                        "_pace": float(self.rng.uniform(0.55, 1.05)),
                    }
                )
        return rows

    def switch_snapshot(self, rows: list[dict[str, object]], month: Month) -> dict[str, object]:
        log = Log(contracts.SWITCH_PROGRAMMES, appears="as_at_date")
        for row in rows:
            start, end = row["start_date"], row["planned_end_date"]
            if start > month.end + timedelta(days=31):  # type: ignore[operator]
                continue
            elapsed = (month.end - start).days / max((end - start).days, 1)  # type: ignore[operator]
            planned = int(row["patients_planned"])  # type: ignore[call-overload]
            switched = int(min(planned, max(0.0, elapsed) * planned * row["_pace"]))  # type: ignore[operator]
            log.rows.append({**row, "patients_switched": switched, "as_at_date": month.end})
        return log.snapshot(month.end)

    def titration_clinics(self) -> Log:
        log = Log(contracts.TITRATION_CLINICS, appears="clinic_date")
        conditions = ("HTN", "T2DM", "Lipids", "Respiratory")
        clinicians = [
            s for s in self.staff if s.role in ("Clinical Pharmacist", "Senior Clinical Pharmacist")
        ]
        for month in self.months:
            for i, practice in enumerate(self.practices):
                days = sorted({_random_day(self.rng, month) for _ in range(2)})
                for k, day in enumerate(days):
                    on_post = [s for s in clinicians if s.start <= day]
                    staff = on_post[(i + k) % len(on_post)]
                    booked = int(self.rng.integers(6, 11))
                    seen = booked - int(self.rng.binomial(booked, 0.1))
                    log.rows.append(
                        {
                            "clinic_date": day,
                            "practice_code": practice.code,
                            "condition": conditions[(month.start.month + i + k) % 4],
                            "staff_id": staff.staff_id,
                            "patients_booked": booked,
                            "patients_seen": seen,
                            "dose_changes": int(self.rng.binomial(seen, 0.45)),
                        }
                    )
        return log


def log_file_name(table: TableContract, pcn_code: str, month: Month) -> str:
    suffix = "xlsx" if table.name in XLSX_LOGS else "csv"
    example = table.dialect("local").example_file
    stem = example.rsplit(".", 1)[0].replace("U12345", pcn_code).replace("202609", month.yyyymm)
    return f"{stem}.{suffix}"


def write_logs(
    inbox: Path,
    rng: np.random.Generator,
    pcn: Pcn,
    practices: list[Practice],
    months: list[Month],
    record: ClinicalRecord,
    summary: GenerationSummary,
    inject: bool,
) -> None:
    logs = PcnLogs(rng, pcn, practices, months, record, inject)
    sea, leaked = logs.significant_events()
    built: dict[str, Log] = {
        "safety_alerts": logs.safety_alerts(),
        "pincer_actions": logs.pincer_actions(),
        "significant_events": sea,
        "safety_incidents": logs.safety_incidents(),
        "safety_culture_audits": logs.safety_culture_audits(),
        "supervision_log": logs.supervision_log(),
    }
    workforce = logs.workforce()
    switches = logs.switch_programmes()
    titration = logs.titration_clinics()
    for m, month in enumerate(months):
        snapshots = {name: (log.table, log.snapshot(month.end)) for name, log in built.items()}
        snapshots["workforce"] = (
            contracts.WORKFORCE,
            logs.workforce_snapshot(workforce, month.end),
        )
        snapshots["switch_programmes"] = (
            contracts.SWITCH_PROGRAMMES,
            logs.switch_snapshot(switches, month),
        )
        snapshots["titration_clinics"] = (
            contracts.TITRATION_CLINICS,
            titration.snapshot(month.end),
        )
        for name, (table, data) in snapshots.items():
            if inject and name == "supervision_log" and m == len(months) - 1:
                continue  # the late log: not in the last month's folder
            path = inbox / month.folder / log_file_name(table, pcn.code, month)
            summary.add_rows(f"local.{name}", write_log(path, table, data))
    if inject:
        second = months[min(1, len(months) - 1)].folder
        summary.imperfections += [
            f"late log: supervision_log_{pcn.code}_{months[-1].yyyymm}.xlsx is missing from "
            f"{months[-1].folder}/",
            "overdue supervision: PT01 (Pharmacy Technician, 42-day interval) has no session "
            "in the last 100 days of the period",
            "expired scope of practice: CP02's scope review fell due about two months into "
            "the period and was never re-signed",
            f"alert closed late: the first MHRA Class 2 alert received in {second} "
            f"was closed 6 days after receipt at {practices[0].code} (window 2 days)",
            logs.open_alert,
        ]
        if leaked:
            summary.imperfections.append(
                f"NHS number typed into a SEA summary ({pcn.code}, event in {second}): "
                "the loader must redact it"
            )
