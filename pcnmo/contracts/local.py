"""Local logs kept by the Lead Pharmacist: CSV or xlsx, the whole log to date each month."""

from __future__ import annotations

from pcnmo.contracts.base import Column, Dialect, Freshness, Kind, Source, TableContract

SOURCE = Source(
    name="local",
    description="Logs kept by the PCN's Lead Pharmacist (CSV or xlsx).",
    freshness=Freshness(
        warn_after_days=35,
        error_after_days=70,
        why="The Lead Pharmacist sends every log monthly (the whole log to date), even logs "
        "whose events are rare (the safety culture audit is annual, the file is still resent).",
    ),
    freshness_from_ingestion_log=True,
)

LOCAL_DATES = ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S")


def _local_dialect(log: str) -> tuple[Dialect, ...]:
    return (
        Dialect(
            name="local",
            label="Lead Pharmacist's log (CSV UTF-8 or xlsx, first sheet)",
            file_pattern=rf"{log}_(?P<pcn>U[0-9]{{5}})_(?P<yyyymm>[0-9]{{6}})\.(csv|xlsx)",
            date_formats=LOCAL_DATES,
            example_file=f"{log}_U12345_202609.xlsx",
        ),
    )


def _pcn_from_file_name() -> Column:
    return Column(
        "pcn_code",
        Kind.PCN_CODE,
        "PCN whose log this is (from the file name).",
        from_file_name="pcn",
    )


def _practice(required: bool = True) -> Column:
    return Column(
        "practice_code",
        Kind.PRACTICE_CODE,
        "ODS code of the practice the row concerns.",
        headers="Practice Code",
        required=required,
    )


def _local(name: str, description: str, key: tuple[str, ...], *columns: Column) -> TableContract:
    return TableContract(
        source="local",
        name=name,
        description=description,
        delivered_by="Lead Pharmacist, monthly (the whole log to date)",
        dialects=_local_dialect(name),
        key=("pcn_code", *key),
        formats=("csv", "xlsx"),
        snapshot=True,
        columns=(_pcn_from_file_name(), *columns),
    )


ALERT_TYPES = (
    "NatPSA",
    "MHRA Class 1",
    "MHRA Class 2",
    "MHRA Class 3",
    "MHRA Class 4",
    "Company-led",
    "Drug Safety Update",
)

# The titles MHRA and NHS England publish alerts under, as a log typed from them holds them
# (gov.uk "Changes to MHRA drug alert titles and categories", 2 February 2021; Community
# Pharmacy England; MHRA Drug Safety Update listings), mapped to the class whose action window
# applies. Since February 2021 every Class 1 medicines recall is issued as a National Patient
# Safety Alert, with its own deadline: "MHRA Class 1" stays for the older "Drug Alert: Class 1"
# and a log that records the class itself.
ALERT_TITLES: dict[str, str] = {
    "National Patient Safety Alert": "NatPSA",
    "National Patient Safety Alert (NatPSA)": "NatPSA",
    "NatPSA (equivalent to Class 1 Medicines Recall)": "NatPSA",
    "National Patient Safety Alert (NatPSA)(equivalent to Class 1 Medicines Recall)": "NatPSA",
    "National Patient Safety Alert (NatPSA) (equivalent to Class 1 Medicines Recall)": "NatPSA",
    "Drug Alert: Class 1": "MHRA Class 1",
    "Class 1 Drug Alert": "MHRA Class 1",
    "Medicines Recall: Class 1": "MHRA Class 1",
    "Class 1 Medicines Recall": "MHRA Class 1",
    **{
        title.format(n=n): f"MHRA Class {n}"
        for n in (2, 3)
        for title in (
            "Drug Alert: Class {n}",
            "Class {n} Drug Alert",
            "Medicines Recall: Class {n}",
            "Class {n} Medicines Recall",
        )
    },
    "Drug Alert: Class 4": "MHRA Class 4",
    "Class 4 Drug Alert": "MHRA Class 4",
    "Drug Alert: Caution in Use, Class 4": "MHRA Class 4",
    "Medicines Notification: Caution in use, Class 4": "MHRA Class 4",
    "Medicines Notification: Class 4": "MHRA Class 4",
    "Class 4 Medicines Notification": "MHRA Class 4",
    "Class 4 Medicines Defect Information": "MHRA Class 4",
    "Medicines Defect Information: Class 4": "MHRA Class 4",
    "Company-Led Drug Alert": "Company-led",
    "Company-Led Medicines Recall": "Company-led",
    "Company-Led Medicines Notification": "Company-led",
    "Company-Led Medicines Recall/Notification": "Company-led",
    "MHRA Drug Safety Update": "Drug Safety Update",
    "DSU": "Drug Safety Update",
}

SAFETY_ALERTS = _local(
    "safety_alerts",
    "One row per MHRA / National Patient Safety alert x practice in the PCN's alert log: "
    "received, triaged, actioned and closed.",
    ("alert_reference", "practice_code"),
    Column(
        "alert_reference",
        Kind.TEXT,
        "Alert reference (e.g. NatPSA/2026/001/MHRA).",
        headers="Alert Reference",
    ),
    Column("alert_title", Kind.TEXT, "Alert title.", headers="Title"),
    Column(
        "alert_type",
        Kind.CODE,
        "Alert class. The titles MHRA and NHS England publish under are accepted too and "
        "stored as the class they belong to ('Class 2 Medicines Recall' as MHRA Class 2; "
        "'NatPSA (equivalent to Class 1 Medicines Recall)' as NatPSA).",
        headers="Alert Type",
        accepted=ALERT_TYPES,
        aliases=ALERT_TITLES,
    ),
    _practice(),
    Column("received_date", Kind.DATE, "Date the alert reached the PCN.", headers="Date Received"),
    Column(
        "deadline_date",
        Kind.DATE,
        "Alert-specific action deadline (NatPSAs).",
        headers="Deadline",
        required=False,
        future_ok=True,
    ),
    Column(
        "triage_outcome",
        Kind.CODE,
        "Whether the alert applies to the practice's patients.",
        headers="Triage Outcome",
        accepted=("Applicable", "Not applicable", "Pending"),
    ),
    Column(
        "patients_affected",
        Kind.INTEGER,
        "Patients identified by the search for the alert.",
        headers="Patients Affected",
        required=False,
        minimum=0,
    ),
    Column(
        "action_taken", Kind.FREE_TEXT, "What was done.", headers="Action Taken", required=False
    ),
    Column(
        "closed_date",
        Kind.DATE,
        "Date signed off as complete.",
        headers="Date Closed",
        required=False,
    ),
)

PINCER_INDICATORS = (
    "A",
    "B",
    "C",
    "D",
    "E",
    "F",
    "G",
    "I",
    "K",
    "AC",
    "ME_FBC",
    "ME_LFT",
    "LI",
    "AM",
)

PINCER_ACTIONS = _local(
    "pincer_actions",
    "One row per PINCER hazard the pharmacy team identified and worked, with the action taken.",
    ("nhs_number", "indicator", "identified_date"),
    _practice(),
    Column(
        "nhs_number",
        Kind.NHS_NUMBER,
        "Patient's NHS number (replaced by the keyed pseudonym on load).",
        headers="NHS Number",
    ),
    Column(
        "indicator",
        Kind.CODE,
        "PINCER indicator letter.",
        headers="Indicator",
        accepted=PINCER_INDICATORS,
    ),
    Column(
        "identified_date", Kind.DATE, "Date the hazard was identified.", headers="Date Identified"
    ),
    Column(
        "action",
        Kind.CODE,
        "Action taken.",
        headers="Action",
        required=False,
        accepted=(
            "Medicine stopped",
            "Gastroprotection added",
            "Monitoring arranged",
            "Dose changed",
            "Clinically justified",
            "Patient declined",
            "Other",
        ),
    ),
    Column(
        "action_date",
        Kind.DATE,
        "Date the action was completed.",
        headers="Date Actioned",
        required=False,
    ),
)

SEA_THEMES = (
    "Prescribing error",
    "Dispensing error",
    "Monitoring",
    "Transfer of care",
    "Communication",
    "Allergy",
    "Controlled drugs",
    "Other",
)

SIGNIFICANT_EVENTS = _local(
    "significant_events",
    "One row per significant event analysis (SEA) in the PCN's register.",
    ("sea_reference",),
    Column("sea_reference", Kind.TEXT, "SEA reference.", headers="SEA Reference"),
    _practice(),
    Column("event_date", Kind.DATE, "Date of the event.", headers="Event Date"),
    Column("raised_date", Kind.DATE, "Date the SEA was raised.", headers="Date Raised"),
    Column("theme", Kind.CODE, "Theme.", headers="Theme", accepted=SEA_THEMES),
    Column(
        "summary",
        Kind.FREE_TEXT,
        "What happened (no patient identifiers).",
        headers="Summary",
        required=False,
    ),
    Column(
        "completed_date",
        Kind.DATE,
        "Date the analysis was completed.",
        headers="Date Completed",
        required=False,
    ),
    Column(
        "learning_shared",
        Kind.FLAG,
        "Learning shared with the PCN.",
        headers="Learning Shared",
        required=False,
    ),
)

HARM_LEVELS = ("No harm", "Low harm", "Moderate harm", "Severe harm", "Fatal")

SAFETY_INCIDENTS = _local(
    "safety_incidents",
    "One row per prescribing safety incident reported (LFPSE or local).",
    ("incident_reference",),
    Column(
        "incident_reference", Kind.TEXT, "Local or LFPSE reference.", headers="Incident Reference"
    ),
    _practice(),
    Column("incident_date", Kind.DATE, "Date of the incident.", headers="Incident Date"),
    Column("reported_date", Kind.DATE, "Date reported.", headers="Date Reported"),
    Column(
        "category",
        Kind.CODE,
        "Stage of the medicines process.",
        headers="Category",
        accepted=("Prescribing", "Dispensing", "Administration", "Monitoring", "Other"),
    ),
    Column(
        "harm_level", Kind.CODE, "LFPSE harm level.", headers="Harm Level", accepted=HARM_LEVELS
    ),
    Column(
        "summary",
        Kind.FREE_TEXT,
        "What happened (no patient identifiers).",
        headers="Summary",
        required=False,
    ),
)

SAFETY_CULTURE_AUDITS = _local(
    "safety_culture_audits",
    "One row per safety culture audit run in a practice (annual).",
    ("practice_code", "audit_date", "tool"),
    _practice(),
    Column("audit_date", Kind.DATE, "Date the audit closed.", headers="Audit Date"),
    Column(
        "tool",
        Kind.CODE,
        "Audit tool.",
        headers="Tool",
        accepted=("PC-SafeQuest", "MaPSaF", "Other"),
    ),
    Column("respondents", Kind.INTEGER, "Staff who responded.", headers="Respondents", minimum=0),
    Column("score", Kind.DECIMAL, "Overall score.", headers="Score", minimum=0),
    Column("max_score", Kind.DECIMAL, "Highest possible score.", headers="Max Score", minimum=0),
)

SUPERVISION_TYPES = ("Clinical", "Clinic/practice", "Educational", "QA sampling")

SUPERVISION_LOG = _local(
    "supervision_log",
    "One row per supervision session (or SMR quality-assurance sample) for a member of the "
    "pharmacy workforce.",
    ("staff_id", "supervision_date", "supervision_type"),
    Column(
        "staff_id", Kind.TEXT, "Staff identifier used in the workforce record.", headers="Staff ID"
    ),
    Column("supervision_date", Kind.DATE, "Date of the session.", headers="Date"),
    Column(
        "supervision_type",
        Kind.CODE,
        "Type of supervision.",
        headers="Type",
        accepted=SUPERVISION_TYPES,
    ),
    Column(
        "supervisor_staff_id",
        Kind.TEXT,
        "Staff ID of the supervisor.",
        headers="Supervisor Staff ID",
    ),
    Column(
        "records_sampled",
        Kind.INTEGER,
        "SMR records sampled (QA sampling).",
        headers="Records Sampled",
        required=False,
        minimum=0,
    ),
)

# The pharmacy team's roles, then every role the Additional Roles Reimbursement Scheme has
# reimbursed up to 2026/27 (Network Contract DES specification, Annex B; 2025/26 added GPs,
# general practice nurses, healthcare support workers and consultant nurses; 2026/27 lifted
# the limit to recently qualified GPs and lets commissioners approve other roles: "Other").
ARRS_ROLES = (
    "Lead Pharmacist",
    "Senior Clinical Pharmacist",
    "Clinical Pharmacist",
    "Pharmacy Technician",
    "First Contact Physiotherapist",
    "Social Prescribing Link Worker",
    "Health and Wellbeing Coach",
    "Care Coordinator",
    "General Practitioner",
    "Advanced Practitioner",
    "Physician Associate",
    "Apprentice Physician Associate",
    "Paramedic",
    "Mental Health Practitioner",
    "Dietitian",
    "Podiatrist",
    "Occupational Therapist",
    "Enhanced Practice Nurse",
    "New to General Practice Nurse",
    "Experienced General Practice Nurse",
    "Consultant Nurse",
    "Nursing Associate",
    "Trainee Nursing Associate",
    "Healthcare Support Worker",
    "General Practice Assistant",
    "Digital and Transformation Lead",
    "Other",
)
ARRS_ROLE_SPELLINGS: dict[str, str] = {
    "GP": "General Practitioner",
    "ARRS GP": "General Practitioner",
    "Care Co-ordinator": "Care Coordinator",
    "Health & Wellbeing Coach": "Health and Wellbeing Coach",
    "Social Prescriber": "Social Prescribing Link Worker",
    "GP Assistant": "General Practice Assistant",
    "Health Care Support Worker": "Healthcare Support Worker",
    "Dietician": "Dietitian",
    "Digital & Transformation Lead": "Digital and Transformation Lead",
}

WORKFORCE = _local(
    "workforce",
    "One row per member of the PCN's workforce record (ARRS and other roles).",
    ("staff_id",),
    Column("staff_id", Kind.TEXT, "Staff identifier.", headers="Staff ID"),
    Column(
        "role",
        Kind.CODE,
        "Role: the pharmacy team's, or any ARRS role of 2019/20 to 2026/27 (Other for a role "
        "the commissioner approved outside the list).",
        headers="Role",
        accepted=ARRS_ROLES,
        aliases=ARRS_ROLE_SPELLINGS,
    ),
    Column(
        "is_arrs_funded",
        Kind.FLAG,
        "Funded through ARRS.",
        headers="ARRS Funded",
    ),
    Column("wte", Kind.DECIMAL, "Whole-time equivalent.", headers="WTE", minimum=0, maximum=1.5),
    # A new starter is often on the record before their first day.
    Column("start_date", Kind.DATE, "Start in post.", headers="Start Date", future_ok=True),
    Column("end_date", Kind.DATE, "Left post.", headers="End Date", required=False, future_ok=True),
    Column(
        "base_practice_code",
        Kind.PRACTICE_CODE,
        "Main practice.",
        headers="Base Practice",
        required=False,
    ),
    Column(
        "registration_body",
        Kind.CODE,
        "Professional regulator.",
        headers="Registration Body",
        required=False,
        accepted=("GPhC", "HCPC", "NMC", "GMC", "None"),
    ),
    Column(
        "is_prescriber",
        Kind.FLAG,
        "Independent prescriber.",
        headers="Prescriber",
        required=False,
    ),
    Column(
        "cppe_pathway_status",
        Kind.CODE,
        "CPPE Primary Care Pharmacy Education Pathway.",
        headers="CPPE Pathway",
        required=False,
        accepted=("Enrolled", "Completed", "Exempt", "Not enrolled", "Not applicable"),
    ),
    Column(
        "supervisor_staff_id",
        Kind.TEXT,
        "Named clinical supervisor.",
        headers="Clinical Supervisor",
        required=False,
    ),
    Column(
        "supervision_interval_days",
        Kind.INTEGER,
        "Agreed maximum days between clinical supervision sessions.",
        headers="Supervision Interval Days",
        required=False,
        minimum=1,
    ),
    Column(
        "scope_of_practice_signed_date",
        Kind.DATE,
        "Scope of practice last signed off.",
        headers="Scope Signed Date",
        required=False,
    ),
    Column(
        "scope_of_practice_review_date",
        Kind.DATE,
        "Scope of practice review due.",
        headers="Scope Review Due",
        required=False,
        future_ok=True,
    ),
)

SWITCH_PROGRAMMES = _local(
    "switch_programmes",
    "One row per switch programme x practice: patients planned, switched to date, schedule.",
    ("programme_id", "practice_code"),
    Column("programme_id", Kind.TEXT, "Programme identifier.", headers="Programme ID"),
    Column("programme_name", Kind.TEXT, "Programme name.", headers="Programme"),
    _practice(),
    Column("start_date", Kind.DATE, "Planned start.", headers="Start Date", future_ok=True),
    Column(
        "planned_end_date",
        Kind.DATE,
        "Planned completion.",
        headers="Planned End Date",
        future_ok=True,
    ),
    Column(
        "patients_planned",
        Kind.INTEGER,
        "Patients to switch.",
        headers="Patients Planned",
        minimum=0,
    ),
    Column(
        "patients_switched",
        Kind.INTEGER,
        "Patients switched to date.",
        headers="Patients Switched",
        minimum=0,
    ),
    Column("as_at_date", Kind.DATE, "Date the counts were taken.", headers="As At"),
)

TITRATION_CLINICS = _local(
    "titration_clinics",
    "One row per long-term-condition titration clinic session run by the pharmacy team.",
    ("clinic_date", "practice_code", "condition", "staff_id"),
    Column("clinic_date", Kind.DATE, "Date of the clinic.", headers="Clinic Date"),
    _practice(),
    Column(
        "condition",
        Kind.CODE,
        "Condition.",
        headers="Condition",
        accepted=("HTN", "T2DM", "Lipids", "Respiratory"),
    ),
    Column("staff_id", Kind.TEXT, "Clinician running the clinic.", headers="Staff ID"),
    Column("patients_booked", Kind.INTEGER, "Appointments booked.", headers="Booked", minimum=0),
    Column("patients_seen", Kind.INTEGER, "Patients seen.", headers="Seen", minimum=0),
    Column(
        "dose_changes",
        Kind.INTEGER,
        "Patients with a dose titrated.",
        headers="Dose Changes",
        minimum=0,
    ),
)
