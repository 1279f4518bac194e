"""Deterministic synthetic data: a whole inbox for a synthetic ICB, month by month.

`generate(inbox, SyntheticConfig(...))` writes `<inbox>/<YYYY-MM>/` folders holding every file
the contracts in `pcnmo.contracts` describe, in the formats they declare:

- per clinical PCN practice: `EMIS_<ODS>_<entity>_<YYYYMM>.csv` or `S1_<ODS>_...` for
  patients, events, medication_issues and discharges (practices alternate EMIS / SystmOne);
- per clinical PCN: the Lead Pharmacist's logs `<log>_<PCN>_<YYYYMM>.csv|.xlsx`, each the
  whole log to date;
- for the whole ICB: `EPD_<YYYYMM>.csv` (legacy 26 columns; the last two months
  `EPD_SNOMED_<YYYYMM>.csv`), `gp-reg-pat-prac-quin-age.csv`, `ePCN.xlsx`, `epraccur.csv`.

Same seed and settings give byte-identical files. NHS numbers come from the 999 range NHS
England keeps for testing; every organisation code and name is visibly synthetic.

Deliberate imperfections (all in the subject PCN, the first one; the summary lists each bad
row by file name and reason, so a test can check the loader quarantined exactly those):

1. Second month, first EMIS practice, events: row 4 has SNOMED code `XaBVJ` (not numeric) and
   row 6 is an exact repeat of the data row before it.
2. Second month, first SystmOne practice (the EMIS one if there is none), medication_issues:
   row 3's NHS number fails modulus 11; row 5's issue date is 31 February.
3. Third month, first EMIS practice, patients: row 8's NHS number fails modulus 11.
   (Rows count data rows from 1; the header is not counted. Months and practices fall back to
   the last that exists in small configurations.)
4. The subject PCN's last practice delivers about 40% of its fair share of SMRs.
5. The supervision log is missing from the last month's folder (a late log).
6. Staff member PT01 has no supervision session in the last 100 days (overdue); CP02's scope
   of practice lapses about two months in and is never re-signed.
7. One MHRA Class 2 alert (second month, first practice) is closed 6 days after receipt, and
   the first Class 1-4 alert of the second-last month (made Class 3 if there is none) is never
   closed at the second practice: open past its window in the last log.
8. A SEA summary in the second month has a patient's NHS number typed into it.
9. In the public files, one practice of the last non-clinical PCN moves to the neighbouring PCN
   half way through (ePCN shows the ended and the new relationship).
"""

from synthetic.config import GenerationSummary, SyntheticConfig
from synthetic.generator import generate
from synthetic.national_epd import write_national_epd

__all__ = ["GenerationSummary", "SyntheticConfig", "generate", "write_national_epd"]
