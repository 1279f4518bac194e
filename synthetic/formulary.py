"""A compact formulary of real medicines: dm+d VMP ids, BNF codes, prices and who takes them.

Where each code came from (facts, typed in; nothing is read at run time):
- dm+d VMP ids, by drug class: OpenCodelists lists as two public repositories publish them
  (codelists/ in each):
  - opensafely/pincer-measures: pincer-acei (ACE inhibitors and ARBs),
    -nsbb, -diur (loop diuretics, MRAs), -anticoag, -antiplat / -non_asp_antiplate,
    -aspirin, -amio, -ppi, -lith, -nsaid, -met;
  - opensafely/medication-reviews: opensafely-addictive-
    medicines (benzodiazepines, Z-drugs, gabapentinoids), opensafely-high-dose-long-acting-
    opioids-openprescribing-dmd, opensafely-dmards, opensafely-teratogenic-medicines
    (valproate, topiramate, carbimazole).
  - Not in those lists, checked against public dm+d/SNOMED CT usages instead: amlodipine
    319283006, metformin 325278007, paracetamol 322236009, co-codamol 322341003, citalopram
    321987003, amitriptyline 321745007, bisoprolol 318590006, salbutamol 320176004,
    amoxicillin 323510009 (the pre-2021 VMP id; dm+d now also carries 39732411000001106),
    atorvastatin 39733011000001106 and simvastatin 319996000 (NHS statin refset as published
    by UoM-Data-Science-Platforms/gm-sde).
- BNF presentation codes and chemical substance names: NHSBSA "BNF Code Information" (the
  January 2020 release, Information Services Portal report 126).
- Unit prices: rounded Drug Tariff / list prices (2024-25), good to the nearest few pence.

The EPD-only lines are brands and other items the clinical simulation does not model
(inhalers, SGLT2 inhibitors, GLP-1, glucose sensors, sip feeds ...): they make practice
prescribing cost per patient realistic. They have no dm+d id here, so EPD SNOMED-layout rows
leave SNOMED_CODE blank for them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Age groups the clinical simulation uses for prescribing propensity.
AGE_GROUPS = ((0, 17), (18, 44), (45, 64), (65, 74), (75, 84), (85, 200))

# ASTRO-PU age bands (docs/domain.md 4.1), used for EPD-only prescribing rates.
ASTRO_BANDS = (
    (0, 4),
    (5, 14),
    (15, 24),
    (25, 34),
    (35, 44),
    (45, 54),
    (55, 64),
    (65, 74),
    (75, 200),
)

CHAPTERS = {
    "01": "01: Gastro-Intestinal System",
    "02": "02: Cardiovascular System",
    "03": "03: Respiratory System",
    "04": "04: Central Nervous System",
    "05": "05: Infections",
    "06": "06: Endocrine System",
    "08": "08: Malignant Disease and Immunosuppression",
    "09": "09: Nutrition and Blood",
    "10": "10: Musculoskeletal and Joint Diseases",
    "15": "15: Anaesthesia",
    "21": "21: Appliances",
}


@dataclass(frozen=True)
class Drug:
    key: str
    vmp: str  # dm+d VMP id; "" for EPD-only lines
    name: str
    bnf_code: str
    chemical: str  # BNF chemical substance
    unit_price: float  # pounds per unit dispensed (NIC)
    pack: int  # units in a usual 28-day issue
    drug_class: str

    @property
    def chemical_code(self) -> str:
        return self.bnf_code[:9]

    @property
    def chapter(self) -> str:
        return CHAPTERS[self.bnf_code[:2]]


@dataclass(frozen=True)
class DrugClass:
    name: str
    # Relative chance of being one of a patient's repeat medicines, per AGE_GROUPS entry.
    weights: tuple[float, float, float, float, float, float]
    flags: frozenset[str] = frozenset()


def _flags(*names: str) -> frozenset[str]:
    return frozenset(names)


ADDICTIVE = "addictive"
CLASSES: tuple[DrugClass, ...] = (
    DrugClass("statin", (0, 1, 8, 12, 12, 10)),
    DrugClass("ccb", (0, 1, 5, 8, 8, 7)),
    DrugClass("acei", (0, 0.6, 4, 6, 6, 5), _flags("acei")),
    DrugClass("arb", (0, 0.3, 2, 3, 3, 2.5), _flags("acei")),  # PINCER's ACEi list holds ARBs
    DrugClass("beta_blocker", (0, 0.8, 3, 5, 6, 6)),
    DrugClass("nsbb", (0.2, 1.2, 1, 0.6, 0.5, 0.4), _flags("nsbb")),
    DrugClass("loop_diuretic", (0, 0.1, 0.8, 2.5, 5, 8), _flags("loop")),
    DrugClass("mra", (0, 0.1, 0.5, 1.2, 2, 2.5)),
    DrugClass("anticoagulant", (0, 0.2, 1.5, 4.5, 8, 9), _flags("anticoagulant")),
    DrugClass("antiplatelet", (0, 0.1, 1.2, 2.5, 3, 2.5), _flags("antiplatelet")),
    DrugClass("aspirin", (0, 0.2, 2, 3.5, 4, 3.5), _flags("aspirin", "antiplatelet")),
    DrugClass("amiodarone", (0, 0, 0.05, 0.25, 0.4, 0.4), _flags("amiodarone")),
    DrugClass("metformin", (0, 1.2, 6, 7, 5, 3)),
    DrugClass("ppi", (0.3, 4, 7, 9, 10, 10), _flags("ppi")),
    DrugClass("h2", (0.2, 0.3, 0.4, 0.5, 0.5, 0.5), _flags("ppi")),  # ulcer-healing drug
    DrugClass("saba", (6, 4, 4, 4.5, 4, 3)),
    DrugClass("ssri", (1, 6, 5, 3.5, 3.5, 4)),
    DrugClass("tca", (0.1, 2.5, 3, 2.5, 2, 1.5)),
    DrugClass("paracetamol", (0.5, 1, 2, 4, 7, 10)),
    DrugClass("weak_opioid", (0, 0.09, 0.2, 0.22, 0.22, 0.22), _flags(ADDICTIVE)),
    DrugClass("strong_opioid", (0, 0.01, 0.02, 0.03, 0.045, 0.05), _flags(ADDICTIVE)),
    DrugClass("gabapentinoid", (0, 0.07, 0.16, 0.14, 0.12, 0.09), _flags(ADDICTIVE)),
    DrugClass("benzodiazepine", (0, 0.045, 0.07, 0.06, 0.06, 0.07), _flags(ADDICTIVE)),
    DrugClass("z_drug", (0, 0.045, 0.08, 0.09, 0.1, 0.11), _flags(ADDICTIVE)),
    DrugClass("lithium", (0, 0.15, 0.15, 0.12, 0.08, 0.05), _flags("lithium")),
    DrugClass("antiepileptic", (1.2, 0.8, 0.6, 0.5, 0.4, 0.3)),
    DrugClass("nsaid", (0.1, 1.2, 1.8, 1.4, 1.0, 0.6), _flags("nsaid")),
    DrugClass("methotrexate", (0, 0.15, 0.5, 0.6, 0.5, 0.3), _flags("methotrexate")),
    DrugClass("dmard_other", (0, 0.15, 0.3, 0.3, 0.25, 0.15)),
    DrugClass("antithyroid", (0, 0.2, 0.2, 0.15, 0.1, 0.1)),
)
CLASS_INDEX = {cls.name: i for i, cls in enumerate(CLASSES)}


def _d(
    key: str, vmp: str, name: str, bnf: str, chemical: str, price: float, pack: int, cls: str
) -> Drug:
    return Drug(key, vmp, name, bnf, chemical, price, pack, cls)


# (drug, relative weight within its class)
REPEATS: tuple[tuple[Drug, float], ...] = (
    (
        _d(
            "atorvastatin20",
            "39733011000001106",
            "Atorvastatin 20mg tablets",
            "0212000B0AAABAB",
            "Atorvastatin",
            0.04,
            28,
            "statin",
        ),
        0.85,
    ),
    (
        _d(
            "simvastatin10",
            "319996000",
            "Simvastatin 10mg tablets",
            "0212000Y0AAAAAA",
            "Simvastatin",
            0.03,
            28,
            "statin",
        ),
        0.15,
    ),
    (
        _d(
            "amlodipine5",
            "319283006",
            "Amlodipine 5mg tablets",
            "0206020A0AAAAAA",
            "Amlodipine",
            0.03,
            28,
            "ccb",
        ),
        1.0,
    ),
    (
        _d(
            "ramipril5",
            "318902004",
            "Ramipril 5mg capsules",
            "0205051R0AAACAC",
            "Ramipril",
            0.04,
            28,
            "acei",
        ),
        0.35,
    ),
    (
        _d(
            "ramipril10",
            "318906001",
            "Ramipril 10mg capsules",
            "0205051R0AAADAD",
            "Ramipril",
            0.05,
            28,
            "acei",
        ),
        0.25,
    ),
    (
        _d(
            "lisinopril10",
            "318859000",
            "Lisinopril 10mg tablets",
            "0205051L0AAACAC",
            "Lisinopril",
            0.04,
            28,
            "acei",
        ),
        0.25,
    ),
    (
        _d(
            "perindopril4",
            "318897000",
            "Perindopril erbumine 4mg tablets",
            "0205051M0AAABAB",
            "Perindopril Erbumine",
            0.05,
            28,
            "acei",
        ),
        0.15,
    ),
    (
        _d(
            "losartan50",
            "318956006",
            "Losartan 50mg tablets",
            "0205052N0AAABAB",
            "Losartan Potassium",
            0.05,
            28,
            "arb",
        ),
        0.6,
    ),
    (
        _d(
            "candesartan8",
            "318979007",
            "Candesartan 8mg tablets",
            "0205052C0AAACAC",
            "Candesartan Cilexetil",
            0.06,
            28,
            "arb",
        ),
        0.4,
    ),
    (
        _d(
            "bisoprolol5",
            "318590006",
            "Bisoprolol 5mg tablets",
            "0204000H0AAAAAA",
            "Bisoprolol Fumarate",
            0.03,
            28,
            "beta_blocker",
        ),
        1.0,
    ),
    (
        _d(
            "propranolol40",
            "318353009",
            "Propranolol 40mg tablets",
            "0204000R0AAAJAJ",
            "Propranolol Hydrochloride",
            0.05,
            56,
            "nsbb",
        ),
        0.8,
    ),
    (
        _d(
            "carvedilol6.25",
            "318635007",
            "Carvedilol 6.25mg tablets",
            "020400080AAAFAF",
            "Carvedilol",
            0.05,
            56,
            "nsbb",
        ),
        0.12,
    ),
    (
        _d(
            "sotalol80",
            "318526006",
            "Sotalol 80mg tablets",
            "0204000T0AAACAC",
            "Sotalol Hydrochloride",
            0.08,
            56,
            "nsbb",
        ),
        0.08,
    ),
    (
        _d(
            "furosemide40",
            "317972000",
            "Furosemide 40mg tablets",
            "0202020L0AABDBD",
            "Furosemide",
            0.03,
            28,
            "loop_diuretic",
        ),
        0.85,
    ),
    (
        _d(
            "bumetanide1",
            "318021009",
            "Bumetanide 1mg tablets",
            "0202020D0AAAEAE",
            "Bumetanide",
            0.10,
            28,
            "loop_diuretic",
        ),
        0.15,
    ),
    (
        _d(
            "spironolactone25",
            "318056008",
            "Spironolactone 25mg tablets",
            "0202030S0AAATAT",
            "Spironolactone",
            0.05,
            28,
            "mra",
        ),
        0.8,
    ),
    (
        _d(
            "eplerenone25",
            "407011007",
            "Eplerenone 25mg tablets",
            "0202030X0AAAAAA",
            "Eplerenone",
            0.15,
            28,
            "mra",
        ),
        0.2,
    ),
    (
        _d(
            "apixaban5",
            "703908001",
            "Apixaban 5mg tablets",
            "0208020Z0AAABAB",
            "Apixaban",
            0.95,
            56,
            "anticoagulant",
        ),
        0.42,
    ),
    (
        _d(
            "apixaban2.5",
            "703907006",
            "Apixaban 2.5mg tablets",
            "0208020Z0AAAAAA",
            "Apixaban",
            0.95,
            56,
            "anticoagulant",
        ),
        0.12,
    ),
    (
        _d(
            "rivaroxaban20",
            "19842211000001107",
            "Rivaroxaban 20mg tablets",
            "0208020Y0AAACAC",
            "Rivaroxaban",
            1.80,
            28,
            "anticoagulant",
        ),
        0.16,
    ),
    (
        _d(
            "edoxaban60",
            "29903411000001101",
            "Edoxaban 60mg tablets",
            "0208020AAAAACAC",
            "Edoxaban",
            1.75,
            28,
            "anticoagulant",
        ),
        0.14,
    ),
    (
        _d(
            "dabigatran150",
            "19469811000001101",
            "Dabigatran etexilate 150mg capsules",
            "0208020X0AAACAC",
            "Dabigatran Etexilate",
            1.10,
            56,
            "anticoagulant",
        ),
        0.03,
    ),
    (
        _d(
            "warfarin1",
            "319733000",
            "Warfarin 1mg tablets",
            "0208020V0AAAAAA",
            "Warfarin Sodium",
            0.04,
            28,
            "anticoagulant",
        ),
        0.06,
    ),
    (
        _d(
            "warfarin3",
            "319734006",
            "Warfarin 3mg tablets",
            "0208020V0AAABAB",
            "Warfarin Sodium",
            0.04,
            28,
            "anticoagulant",
        ),
        0.07,
    ),
    (
        _d(
            "clopidogrel75",
            "319799004",
            "Clopidogrel 75mg tablets",
            "0209000C0AAAAAA",
            "Clopidogrel",
            0.05,
            28,
            "antiplatelet",
        ),
        0.9,
    ),
    (
        _d(
            "ticagrelor90",
            "704465002",
            "Ticagrelor 90mg tablets",
            "0209000Z0AAAAAA",
            "Ticagrelor",
            0.98,
            56,
            "antiplatelet",
        ),
        0.1,
    ),
    (
        _d(
            "aspirin75",
            "319773006",
            "Aspirin 75mg dispersible tablets",
            "0209000A0AAABAB",
            "Aspirin",
            0.03,
            28,
            "aspirin",
        ),
        1.0,
    ),
    (
        _d(
            "amiodarone200",
            "318187007",
            "Amiodarone 200mg tablets",
            "0203020D0AAABAB",
            "Amiodarone Hydrochloride",
            0.10,
            28,
            "amiodarone",
        ),
        1.0,
    ),
    (
        _d(
            "metformin500",
            "325278007",
            "Metformin 500mg tablets",
            "0601022B0AAABAB",
            "Metformin Hydrochloride",
            0.03,
            56,
            "metformin",
        ),
        1.0,
    ),
    (
        _d(
            "omeprazole20",
            "317291008",
            "Omeprazole 20mg gastro-resistant capsules",
            "0103050P0AAAAAA",
            "Omeprazole",
            0.05,
            28,
            "ppi",
        ),
        0.5,
    ),
    (
        _d(
            "lansoprazole30",
            "317309001",
            "Lansoprazole 30mg gastro-resistant capsules",
            "0103050L0AAAAAA",
            "Lansoprazole",
            0.06,
            28,
            "ppi",
        ),
        0.2,
    ),
    (
        _d(
            "lansoprazole15",
            "317310006",
            "Lansoprazole 15mg gastro-resistant capsules",
            "0103050L0AAABAB",
            "Lansoprazole",
            0.05,
            28,
            "ppi",
        ),
        0.15,
    ),
    (
        _d(
            "esomeprazole20",
            "317335000",
            "Esomeprazole 20mg gastro-resistant tablets",
            "0103050E0AAAAAA",
            "Esomeprazole",
            0.10,
            28,
            "ppi",
        ),
        0.05,
    ),
    (
        _d(
            "pantoprazole40",
            "317318004",
            "Pantoprazole 40mg gastro-resistant tablets",
            "0103050R0AAAAAA",
            "Pantoprazole",
            0.06,
            28,
            "ppi",
        ),
        0.1,
    ),
    (
        _d(
            "famotidine20",
            "317275005",
            "Famotidine 20mg tablets",
            "0103010H0AAAAAA",
            "Famotidine",
            0.15,
            28,
            "h2",
        ),
        1.0,
    ),
    (
        _d(
            "salbutamol100",
            "320176004",
            "Salbutamol 100micrograms/dose inhaler CFC free",
            "0301011R0AAAAAA",
            "Salbutamol",
            1.50,
            1,
            "saba",
        ),
        1.0,
    ),
    (
        _d(
            "citalopram20",
            "321987003",
            "Citalopram 20mg tablets",
            "0403030D0AAAAAA",
            "Citalopram Hydrobromide",
            0.04,
            28,
            "ssri",
        ),
        1.0,
    ),
    (
        _d(
            "amitriptyline10",
            "321745007",
            "Amitriptyline 10mg tablets",
            "0403010B0AAAGAG",
            "Amitriptyline Hydrochloride",
            0.04,
            28,
            "tca",
        ),
        1.0,
    ),
    (
        _d(
            "paracetamol500",
            "322236009",
            "Paracetamol 500mg tablets",
            "0407010H0AAAMAM",
            "Paracetamol",
            0.02,
            100,
            "paracetamol",
        ),
        1.0,
    ),
    (
        _d(
            "cocodamol30",
            "322341003",
            "Co-codamol 30mg/500mg tablets",
            "0407010F0AAAHAH",
            "Co-Codamol (Codeine Phos/Paracetamol)",
            0.04,
            100,
            "weak_opioid",
        ),
        1.0,
    ),
    (
        _d(
            "oxycodone40mr",
            "36130911000001104",
            "Oxycodone 40mg modified-release tablets",
            "0407020ADAAAHAH",
            "Oxycodone Hydrochloride",
            0.70,
            56,
            "strong_opioid",
        ),
        0.4,
    ),
    (
        _d(
            "fentanyl50",
            "36120211000001106",
            "Fentanyl 50micrograms/hour transdermal patches",
            "0407020A0AAAFAF",
            "Fentanyl",
            3.00,
            10,
            "strong_opioid",
        ),
        0.3,
    ),
    (
        _d(
            "buprenorphine52.5",
            "35913811000001106",
            "Buprenorphine 52.5micrograms/hour transdermal patches",
            "0407020B0AAAFAF",
            "Buprenorphine",
            15.00,
            8,
            "strong_opioid",
        ),
        0.3,
    ),
    (
        _d(
            "pregabalin75",
            "415167006",
            "Pregabalin 75mg capsules",
            "0408010AEAAACAC",
            "Pregabalin",
            0.05,
            56,
            "gabapentinoid",
        ),
        0.4,
    ),
    (
        _d(
            "pregabalin150",
            "415162000",
            "Pregabalin 150mg capsules",
            "0408010AEAAAEAE",
            "Pregabalin",
            0.06,
            56,
            "gabapentinoid",
        ),
        0.2,
    ),
    (
        _d(
            "gabapentin300",
            "323014008",
            "Gabapentin 300mg capsules",
            "0408010G0AAABAB",
            "Gabapentin",
            0.05,
            84,
            "gabapentinoid",
        ),
        0.4,
    ),
    (
        _d(
            "diazepam2",
            "321196004",
            "Diazepam 2mg tablets",
            "0401020K0AAAHAH",
            "Diazepam",
            0.03,
            28,
            "benzodiazepine",
        ),
        0.35,
    ),
    (
        _d(
            "diazepam5",
            "321197008",
            "Diazepam 5mg tablets",
            "0401020K0AAAIAI",
            "Diazepam",
            0.03,
            28,
            "benzodiazepine",
        ),
        0.3,
    ),
    (
        _d(
            "lorazepam1",
            "321294008",
            "Lorazepam 1mg tablets",
            "0401020P0AAABAB",
            "Lorazepam",
            0.20,
            28,
            "benzodiazepine",
        ),
        0.15,
    ),
    (
        _d(
            "temazepam10",
            "321152004",
            "Temazepam 10mg tablets",
            "0401010T0AAAMAM",
            "Temazepam",
            0.10,
            28,
            "benzodiazepine",
        ),
        0.2,
    ),
    (
        _d(
            "zopiclone7.5",
            "321175006",
            "Zopiclone 7.5mg tablets",
            "0401010Z0AAAAAA",
            "Zopiclone",
            0.04,
            28,
            "z_drug",
        ),
        0.6,
    ),
    (
        _d(
            "zopiclone3.75",
            "321177003",
            "Zopiclone 3.75mg tablets",
            "0401010Z0AAACAC",
            "Zopiclone",
            0.05,
            28,
            "z_drug",
        ),
        0.25,
    ),
    (
        _d(
            "zolpidem10",
            "321184006",
            "Zolpidem 10mg tablets",
            "0401010Y0AAABAB",
            "Zolpidem Tartrate",
            0.05,
            28,
            "z_drug",
        ),
        0.15,
    ),
    (
        _d(
            "lithium400mr",
            "13177001000001108",
            "Lithium carbonate 400mg modified-release tablets",
            "0402030K0AAAFAF",
            "Lithium Carbonate",
            0.12,
            28,
            "lithium",
        ),
        0.8,
    ),
    (
        _d(
            "lithium250",
            "321730000",
            "Lithium carbonate 250mg tablets",
            "0402030K0AAACAC",
            "Lithium Carbonate",
            0.25,
            56,
            "lithium",
        ),
        0.2,
    ),
    (
        _d(
            "valproate200",
            "322956002",
            "Sodium valproate 200mg gastro-resistant tablets",
            "0408010W0AAACAC",
            "Sodium Valproate",
            0.06,
            56,
            "antiepileptic",
        ),
        0.6,
    ),
    (
        _d(
            "topiramate50",
            "323023006",
            "Topiramate 50mg tablets",
            "040801050AAAAAA",
            "Topiramate",
            0.05,
            56,
            "antiepileptic",
        ),
        0.4,
    ),
    (
        _d(
            "naproxen500",
            "329807003",
            "Naproxen 500mg tablets",
            "1001010P0AAAEAE",
            "Naproxen",
            0.05,
            56,
            "nsaid",
        ),
        0.45,
    ),
    (
        _d(
            "naproxen250",
            "329806007",
            "Naproxen 250mg tablets",
            "1001010P0AAADAD",
            "Naproxen",
            0.04,
            56,
            "nsaid",
        ),
        0.15,
    ),
    (
        _d(
            "ibuprofen400",
            "329653008",
            "Ibuprofen 400mg tablets",
            "1001010J0AAAEAE",
            "Ibuprofen",
            0.04,
            84,
            "nsaid",
        ),
        0.15,
    ),
    (
        _d(
            "diclofenac50",
            "329587009",
            "Diclofenac sodium 50mg gastro-resistant tablets",
            "1001010C0AAAEAE",
            "Diclofenac Sodium",
            0.04,
            56,
            "nsaid",
        ),
        0.1,
    ),
    (
        _d(
            "etoricoxib60",
            "407907003",
            "Etoricoxib 60mg tablets",
            "1001010AJAAAAAA",
            "Etoricoxib",
            0.12,
            28,
            "nsaid",
        ),
        0.08,
    ),
    (
        _d(
            "celecoxib200",
            "330169002",
            "Celecoxib 200mg capsules",
            "1001010AHAAABAB",
            "Celecoxib",
            0.05,
            28,
            "nsaid",
        ),
        0.07,
    ),
    (
        _d(
            "methotrexate2.5",
            "326874007",
            "Methotrexate 2.5mg tablets",
            "1001030U0AAABAB",
            "Methotrexate",
            0.10,
            16,
            "methotrexate",
        ),
        1.0,
    ),
    (
        _d(
            "sulfasalazine500ec",
            "330040008",
            "Sulfasalazine 500mg gastro-resistant tablets",
            "0105010E0AAABAB",
            "Sulfasalazine",
            0.08,
            112,
            "dmard_other",
        ),
        0.5,
    ),
    (
        _d(
            "azathioprine50",
            "327070006",
            "Azathioprine 50mg tablets",
            "0802010G0AAAEAE",
            "Azathioprine",
            0.07,
            56,
            "dmard_other",
        ),
        0.5,
    ),
    (
        _d(
            "carbimazole5",
            "325329000",
            "Carbimazole 5mg tablets",
            "0602020D0AAAAAA",
            "Carbimazole",
            0.05,
            28,
            "antithyroid",
        ),
        1.0,
    ),
)

AMOXICILLIN = _d(
    "amoxicillin500",
    "323510009",
    "Amoxicillin 500mg capsules",
    "0501013B0AAABAB",
    "Amoxicillin",
    0.07,
    21,
    "antibiotic",
)

# Acute courses (drug key, courses per patient-year by AGE_GROUPS entry, units per course).
ACUTES: tuple[tuple[str, tuple[float, ...], int], ...] = (
    ("amoxicillin500", (0.25, 0.2, 0.22, 0.28, 0.32, 0.35), 21),
    ("naproxen500", (0.0, 0.06, 0.07, 0.04, 0.02, 0.01), 28),
    ("ibuprofen400", (0.01, 0.05, 0.04, 0.02, 0.01, 0.0), 24),
    ("cocodamol30", (0.0, 0.04, 0.05, 0.05, 0.05, 0.04), 30),
    ("diazepam2", (0.0, 0.01, 0.01, 0.005, 0.004, 0.002), 10),
)


@dataclass(frozen=True)
class EpdOnly:
    drug: Drug
    quantity: int
    # Items per patient per month in each ASTRO_BANDS band.
    rates: tuple[float, float, float, float, float, float, float, float, float]


EPD_ONLY: tuple[EpdOnly, ...] = (
    EpdOnly(
        _d(
            "fostair",
            "",
            "Fostair 100micrograms/dose / 6micrograms/dose inhaler",
            "0302000C0BQAABX",
            "Beclometasone Dipropionate",
            29.32,
            1,
            "epd",
        ),
        1,
        (0, 0.004, 0.016, 0.02, 0.024, 0.03, 0.04, 0.06, 0.07),
    ),
    EpdOnly(
        _d(
            "trelegy",
            "",
            "Trelegy Ellipta 92micrograms/55micrograms/22micrograms inhaler",
            "0302000V0BCAAA0",
            "Fluticasone Furoate (Inh)",
            44.50,
            1,
            "epd",
        ),
        1,
        (0, 0, 0, 0, 0.002, 0.008, 0.02, 0.04, 0.044),
    ),
    EpdOnly(
        _d(
            "symbicort",
            "",
            "Symbicort 200/6 Turbohaler",
            "0302000K0BDABAM",
            "Budesonide",
            28.00,
            1,
            "epd",
        ),
        1,
        (0, 0.004, 0.012, 0.016, 0.018, 0.02, 0.024, 0.028, 0.024),
    ),
    EpdOnly(
        _d(
            "spiriva",
            "",
            "Spiriva Respimat 2.5micrograms/dose solution for inhalation",
            "0301020Q0BBACAC",
            "Tiotropium Bromide",
            23.00,
            1,
            "epd",
        ),
        1,
        (0, 0, 0, 0, 0, 0.004, 0.012, 0.024, 0.024),
    ),
    EpdOnly(
        _d(
            "anoro",
            "",
            "Anoro Ellipta 55micrograms/dose / 22micrograms/dose inhaler",
            "0301040W0BBAAAA",
            "Umeclidinium Brom/Vilanterol",
            32.50,
            1,
            "epd",
        ),
        1,
        (0, 0, 0, 0, 0, 0.002, 0.008, 0.016, 0.016),
    ),
    EpdOnly(
        _d(
            "jardiance",
            "",
            "Jardiance 10mg tablets",
            "0601023ANBBAAAA",
            "Empagliflozin",
            1.3068,
            28,
            "epd",
        ),
        28,
        (0, 0, 0, 0.002, 0.008, 0.024, 0.05, 0.07, 0.06),
    ),
    EpdOnly(
        _d(
            "forxiga",
            "",
            "Forxiga 10mg tablets",
            "0601023AGBBABAB",
            "Dapagliflozin",
            1.3068,
            28,
            "epd",
        ),
        28,
        (0, 0, 0, 0.002, 0.006, 0.02, 0.04, 0.056, 0.048),
    ),
    EpdOnly(
        _d(
            "sitagliptin",
            "",
            "Sitagliptin 100mg tablets",
            "0601023X0AAAAAA",
            "Sitagliptin",
            0.45,
            28,
            "epd",
        ),
        28,
        (0, 0, 0, 0.001, 0.004, 0.012, 0.024, 0.036, 0.036),
    ),
    EpdOnly(
        _d(
            "ozempic",
            "",
            "Ozempic 1mg/0.74ml solution for injection pre-filled pen",
            "0601023AWBBACAC",
            "Semaglutide",
            73.25,
            1,
            "epd",
        ),
        1,
        (0, 0, 0, 0.004, 0.01, 0.02, 0.024, 0.016, 0.006),
    ),
    EpdOnly(
        _d(
            "libre",
            "",
            "FreeStyle Libre 2 Plus sensor",
            "21480000100",
            "Dummy Chemical Substance 214800001",
            35.00,
            1,
            "epd",
        ),
        2,
        (0.006, 0.012, 0.012, 0.01, 0.01, 0.01, 0.01, 0.008, 0.006),
    ),
    EpdOnly(
        _d(
            "ensure",
            "",
            "Ensure Plus milkshake style liquid",
            "090402000BBENA0",
            "Enteral Nutrition",
            2.20,
            28,
            "epd",
        ),
        28,
        (0, 0, 0, 0, 0.001, 0.002, 0.004, 0.01, 0.036),
    ),
    EpdOnly(
        _d(
            "versatis",
            "",
            "Versatis 700mg medicated plasters",
            "1502010J0BSAAEL",
            "Lidocaine Hydrochloride",
            2.4133,
            30,
            "epd",
        ),
        30,
        (0, 0, 0, 0, 0.001, 0.002, 0.004, 0.006, 0.008),
    ),
    EpdOnly(
        _d(
            "levothyroxine50",
            "",
            "Levothyroxine sodium 50microgram tablets",
            "0602010V0AABXBX",
            "Levothyroxine Sodium",
            0.05,
            28,
            "epd",
        ),
        28,
        (0, 0.002, 0.02, 0.04, 0.06, 0.09, 0.12, 0.16, 0.2),
    ),
    EpdOnly(
        _d(
            "sertraline50",
            "",
            "Sertraline 50mg tablets",
            "0403030Q0AAAAAA",
            "Sertraline Hydrochloride",
            0.04,
            28,
            "epd",
        ),
        28,
        (0, 0.004, 0.08, 0.1, 0.1, 0.09, 0.07, 0.05, 0.04),
    ),
    EpdOnly(
        _d(
            "mirtazapine15",
            "",
            "Mirtazapine 15mg tablets",
            "0403040X0AAANAN",
            "Mirtazapine",
            0.05,
            28,
            "epd",
        ),
        28,
        (0, 0, 0.01, 0.016, 0.02, 0.024, 0.024, 0.03, 0.06),
    ),
    EpdOnly(
        _d(
            "tramadol50",
            "",
            "Tramadol 50mg capsules",
            "040702040AAAAAA",
            "Tramadol Hydrochloride",
            0.03,
            100,
            "epd",
        ),
        100,
        (0, 0, 0.004, 0.01, 0.02, 0.03, 0.04, 0.04, 0.04),
    ),
)

DRUGS: tuple[Drug, ...] = (*(drug for drug, _ in REPEATS), AMOXICILLIN)
DRUG_INDEX = {drug.key: i for i, drug in enumerate(DRUGS)}


def class_weights() -> np.ndarray:
    """(classes x age groups) propensity matrix."""
    return np.array([cls.weights for cls in CLASSES], dtype=float)


def drugs_in_class() -> list[tuple[np.ndarray, np.ndarray]]:
    """Per class: formulary indexes of its drugs and their normalised weights."""
    members: list[tuple[np.ndarray, np.ndarray]] = []
    for cls in CLASSES:
        pairs = [(DRUG_INDEX[d.key], w) for d, w in REPEATS if d.drug_class == cls.name]
        index = np.array([i for i, _ in pairs])
        weight = np.array([w for _, w in pairs], dtype=float)
        members.append((index, weight / weight.sum()))
    return members


def drug_flags() -> dict[str, np.ndarray]:
    """flag -> boolean mask over DRUGS."""
    names = sorted({flag for cls in CLASSES for flag in cls.flags})
    by_class = {cls.name: cls.flags for cls in CLASSES}
    return {
        flag: np.array([flag in by_class.get(d.drug_class, frozenset()) for d in DRUGS])
        for flag in names
    }
