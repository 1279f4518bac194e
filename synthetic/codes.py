"""SNOMED CT concepts the synthetic clinical events are coded with (facts, typed in).

Sources (all public; the generator never reads them at run time):
- SMR, medication review, reconciliation, HRD monitoring, care home, learning disability and
  frailty codes: the NHS Digital primary care domain refsets and the OpenCodelists lists of
  opensafely/medication-reviews (codelists/, MIT).
- Laboratory and diagnosis codes: the OpenCodelists PINCER lists as opensafely/pincer-measures
  pins them (codelists/, MIT; the codes of the clinical-event lists are cut into
  tests/fixtures/reference/codelists_pincer): pincer-fbc, -lft, -lith_lev, -tft, -electro,
  -renal, -egfr, -hf, -ast, -pep.
- Members of the STRMEDRWVDEC_COD (SMR declined) refset were not available (docs/domain.md 2.4
  marks them unconfirmed), so declines use the SNOMED CT situation 183944003 "Procedure
  refused"; the warehouse's declined codelist must carry whatever code practices really use.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    snomed: str
    term: str
    unit: str = ""


SMR = Code("1239511000000100", "Structured medication review")

# MEDRVW_COD members used for ordinary (not structured) medication reviews.
MEDICATION_REVIEWS = (
    Code("314530002", "Medication review done"),
    Code("88551000000109", "Medication review with patient"),
    Code("870661000000100", "Polypharmacy medication review"),
    Code("1127441000000107", "Medication review done by clinical pharmacist"),
    Code("719328007", "Medication review done by doctor"),
    Code("719478008", "Medication review done by nurse"),
    Code("391156007", "Medication review without patient"),
)

SMR_DECLINED = Code("183944003", "Procedure refused - structured medication review declined")

RECONCILIATIONS = (
    Code("730021000000104", "Post hospital discharge medication reconciliation with patient"),
    Code("730061000000107", "Post hospital discharge medication reconciliation with medical notes"),
    Code("430193006", "Medication reconciliation"),
    Code("526421000000109", "Medicines reconciliation completed"),
)

HRD_REVIEWS = {
    "quarterly": Code("381291000000107", "High risk drug monitoring three monthly review"),
    "six_monthly": Code("381321000000102", "High risk drug monitoring six monthly review"),
    "annual": Code("381351000000107", "High risk drug monitoring annual review"),
}
LITHIUM_REVIEW = Code("753951000000101", "Annual review of lithium therapy")
WARFARIN_REVIEW = Code("199711000000104", "Annual warfarin assessment")
ANTICOAGULANT_REVIEW = Code("922731000000106", "Anticoagulant medication review")

DRUG_DISCONTINUED = Code("274512008", "Drug therapy discontinued")

# Laboratory results (value, unit) used for monitoring windows.
HAEMOGLOBIN = Code("1022431000000105", "Haemoglobin estimation", "g/L")
FULL_BLOOD_COUNT = Code("1022441000000101", "Full blood count")
ALT = Code("1018251000000107", "Serum alanine aminotransferase level", "U/L")
LITHIUM_LEVEL = Code("1006681000000100", "Serum lithium level", "mmol/L")
TSH = Code("1022791000000101", "Serum thyroid stimulating hormone level", "mU/L")
U_AND_E = Code("1000971000000107", "Urea and electrolytes level")
CREATININE = Code("1000731000000107", "Serum creatinine level", "umol/L")
POTASSIUM = Code("1000651000000109", "Serum potassium level", "mmol/L")
EGFR = Code(
    "1011481000000105",
    "Estimated glomerular filtration rate using creatinine Chronic Kidney Disease "
    "Epidemiology Collaboration equation per 1.73 square metres",
    "mL/min/1.73m2",
)

EFI_SCORE = Code("713636003", "Electronic frailty index score")
FRAILTY = {
    "mild": Code("925791000000100", "Mild frailty"),
    "moderate": Code("925831000000107", "Moderate frailty"),
    "severe": Code("925861000000102", "Severe frailty"),
}
LIVES_IN_CARE_HOME = Code("248171000000108", "Lives in care home")
SEEN_IN_CARE_HOME = Code("1129891000000107", "Seen by clinical pharmacist in care home")
LD_REGISTER = Code("416075005", "On learning disability register")

HEART_FAILURE = Code("84114007", "Heart failure")
ASTHMA = Code("195967001", "Asthma")
PEPTIC_ULCER = Code("13200003", "Peptic ulcer")
ASTHMA_RESOLVED = Code("162660004", "Asthma resolved")

# Roles as the clinical systems print them on a coded entry.
CLINICAL_PHARMACIST = "Clinical Pharmacist"
SENIOR_PHARMACIST = "Senior Clinical Pharmacist"
LEAD_PHARMACIST = "Lead Pharmacist"
PHARMACY_TECHNICIAN = "Pharmacy Technician"
GP = "General Practitioner"
PRACTICE_NURSE = "Practice Nurse"
HCA = "Healthcare Assistant"
