"""Public files for every month: EPD, NHS Digital list sizes, ODS ePCN and epraccur.

Every practice in the ICB appears, so peer comparison works. Clinical practices' list sizes
are counted from the simulated registrations and their EPD formulary lines are their own
issues; other practices' prescribing applies the first clinical PCN's prescribing rates (per
ASTRO-PU age band and sex) to their own list, scaled by a practice cost factor, so the subject
PCN lands inside its peers rather than at an edge.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pcnmo.contracts import EPCN_MEMBERS, EPCN_PCNS, EPD, EPRACCUR, LIST_SIZES
from synthetic.clinical import ClinicalRecord
from synthetic.config import GenerationSummary, Month
from synthetic.formulary import ASTRO_BANDS, DRUGS, EPD_ONLY, Drug
from synthetic.organisations import (
    ICB_CODE,
    ICB_NAME,
    PCN_OPEN,
    REGION_CODE,
    REGION_NAME,
    Icb,
)
from synthetic.population import FEMALE_SHARE, band_of, pyramid, quinary_counts
from synthetic.writer import contract_headers, fixed, spell_date, write_csv, write_xlsx

# docs/domain.md 5.1: the 26 columns of the legacy EPD file, in order.
EPD_LEGACY_LAYOUT = (
    "YEAR_MONTH",
    "REGIONAL_OFFICE_NAME",
    "REGIONAL_OFFICE_CODE",
    "AREA_TEAM_NAME",
    "AREA_TEAM_CODE",
    "PCO_NAME",
    "PCO_CODE",
    "PRACTICE_NAME",
    "PRACTICE_CODE",
    "ADDRESS_1",
    "ADDRESS_2",
    "ADDRESS_3",
    "ADDRESS_4",
    "POSTCODE",
    "BNF_CHEMICAL_SUBSTANCE",
    "CHEMICAL_SUBSTANCE_BNF_DESCR",
    "BNF_CODE",
    "BNF_DESCRIPTION",
    "BNF_CHAPTER_PLUS_CODE",
    "QUANTITY",
    "ITEMS",
    "TOTAL_QUANTITY",
    "ADQUSAGE",
    "NIC",
    "ACTUAL_COST",
    "UNIDENTIFIED",
)
# docs/domain.md 5.1: the newer "EPD with SNOMED code" layout (ICB columns, presentation names).
EPD_SNOMED_LAYOUT = (
    "YEAR_MONTH",
    "REGIONAL_OFFICE_NAME",
    "REGIONAL_OFFICE_CODE",
    "ICB_NAME",
    "ICB_CODE",
    "PCO_NAME",
    "PCO_CODE",
    "PRACTICE_NAME",
    "PRACTICE_CODE",
    "ADDRESS_1",
    "ADDRESS_2",
    "ADDRESS_3",
    "ADDRESS_4",
    "POSTCODE",
    "BNF_CHEMICAL_SUBSTANCE_CODE",
    "BNF_CHEMICAL_SUBSTANCE",
    "BNF_PRESENTATION_CODE",
    "BNF_PRESENTATION_NAME",
    "SNOMED_CODE",
    "SUPPLIER_NAME",
    "UNIT_OF_MEASURE",
    "GENERIC_BNF_EQUIVALENT_CODE",
    "GENERIC_BNF_EQUIVALENT_NAME",
    "BNF_CHAPTER_PLUS_CODE",
    "QUANTITY",
    "ITEMS",
    "TOTAL_QUANTITY",
    "ADQ_USAGE",
    "NIC",
    "ACTUAL_COST",
    "UNIDENTIFIED",
)
LIST_SIZE_LAYOUT = (
    "PUBLICATION",
    "EXTRACT_DATE",
    "ORG_TYPE",
    "ORG_CODE",
    "ONS_CODE",
    "POSTCODE",
    "SEX",
    "AGE_GROUP_5",
    "NUMBER_OF_PATIENTS",
)
QUINARY_LABELS = (*tuple(f"{lo}_{lo + 4}" for lo in range(0, 95, 5)), "95+")
# Quinary band -> ASTRO-PU band (docs/domain.md 4.1).
QUINARY_TO_ASTRO = np.array([0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 8, 8, 8])
EPD_PRODUCTS: tuple[Drug, ...] = (*DRUGS, *(line.drug for line in EPD_ONLY))
ADDRESS_LINES = tuple(f"Address Line {i}" for i in range(1, 6))


def snomed_layout_months(months: list[Month]) -> set[str]:
    """The last two months (one of two) use the newer EPD layout; the rest the legacy one."""
    return (
        {m.folder for m in months[-2 if len(months) >= 3 else -1 :]} if len(months) > 1 else set()
    )


@dataclass
class ListSizes:
    """Registered patients per practice per month: (practices, months, 2 sexes, 20 bands)."""

    counts: np.ndarray

    def astro(self) -> np.ndarray:
        """(practices, months, 2 sexes, 9 ASTRO-PU bands)."""
        out = np.zeros((*self.counts.shape[:3], len(ASTRO_BANDS)))
        for quinary, astro in enumerate(QUINARY_TO_ASTRO):
            out[..., astro] += self.counts[..., quinary]
        return out


def list_sizes(icb: Icb, months: list[Month], records: list[ClinicalRecord]) -> ListSizes:
    counts = np.zeros((len(icb.practices), len(months), 2, 20), dtype=np.int64)
    counted = set()
    for record in records:
        for practice in np.unique(record.pop.practice):
            counted.add(int(practice))
            for m, month in enumerate(months):
                counts[practice, m] = quinary_counts(record.pop, int(practice), month.first_day)
    for practice in icb.practices:
        if practice.index in counted:
            continue
        shares = pyramid(practice.age_tilt)
        for m in range(len(months)):
            total = practice.list_size * (1 + practice.growth) ** m
            counts[practice.index, m, 1] = np.round(total * shares * FEMALE_SHARE)
            counts[practice.index, m, 0] = np.round(total * shares * (1 - FEMALE_SHARE))
    return ListSizes(counts)


def write_list_sizes(
    inbox: Path, icb: Icb, months: list[Month], sizes: ListSizes, summary: GenerationSummary
) -> None:
    for m, month in enumerate(months):
        columns: dict[str, list[object]] = {h: [] for h in LIST_SIZE_LAYOUT}
        for practice in icb.practices:
            counts = sizes.counts[practice.index, m]
            rows = [("ALL", "ALL", int(counts.sum()))]
            for s, sex in ((1, "FEMALE"), (0, "MALE")):
                rows += [
                    (sex, label, int(n)) for label, n in zip(QUINARY_LABELS, counts[s], strict=True)
                ]
                rows.append((sex, "ALL", int(counts[s].sum())))
            for sex, age, n in rows:
                columns["ORG_CODE"].append(practice.code)
                columns["POSTCODE"].append(practice.postcode)
                columns["SEX"].append(sex)
                columns["AGE_GROUP_5"].append(age)
                columns["NUMBER_OF_PATIENTS"].append(n)
        data = {
            "PUBLICATION": "GP_PRAC_PAT_LIST",
            # NHS Digital spells the month in capitals (01SEP2025).
            "extract_date": spell_date(month.start, LIST_SIZES.dialects[0].date_formats[0]).upper(),
            "org_type": "GP",
            "org_code": np.array(columns["ORG_CODE"], dtype=object),
            "ONS_CODE": "",
            "postcode": np.array(columns["POSTCODE"], dtype=object),
            "sex": np.array(columns["SEX"], dtype=object),
            "age_group": np.array(columns["AGE_GROUP_5"], dtype=object),
            "number_of_patients": np.array(columns["NUMBER_OF_PATIENTS"]),
        }
        rows = write_csv(
            inbox / month.folder / "gp-reg-pat-prac-quin-age.csv",
            LIST_SIZES,
            "quinary",
            data,
            layout=LIST_SIZE_LAYOUT,
        )
        summary.add_rows("nhsd.gp_list_sizes", rows)


def _product_keys(drug: np.ndarray, quantity: np.ndarray) -> np.ndarray:
    return drug.astype(np.int64) * 100_000 + quantity.astype(np.int64)


def formulary_rates(record: ClinicalRecord, sizes: ListSizes) -> tuple[np.ndarray, np.ndarray]:
    """Items per patient-month by (sex x ASTRO band) cell and (drug, quantity) product."""
    issues = record.issues
    keys, product = np.unique(
        _product_keys(issues["drug"], issues["quantity"]), return_inverse=True
    )
    age_days = issues["day"] - record.pop.dob.astype(np.int64)[issues["patient"]]
    astro = QUINARY_TO_ASTRO[band_of((age_days / 365.25).astype(int))]
    cell = record.pop.female[issues["patient"]].astype(int) * len(ASTRO_BANDS) + astro
    counts = np.zeros((2 * len(ASTRO_BANDS), len(keys)))
    np.add.at(counts, (cell, product), 1)
    practices = np.unique(record.pop.practice)
    exposure = sizes.astro()[practices].sum(axis=(0, 1)).reshape(-1)
    return keys, counts / np.maximum(exposure, 1)[:, None]


def epd_month(
    rng: np.random.Generator,
    icb: Icb,
    m: int,
    month: Month,
    sizes: ListSizes,
    records: list[ClinicalRecord],
    rates: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(practice, product index into EPD_PRODUCTS, quantity, items) rows for one month."""
    parts: list[tuple[np.ndarray, ...]] = []
    clinical: set[int] = set()
    lo, hi = month.first_day.astype(np.int64), month.last_day.astype(np.int64)
    for record in records:
        issues = record.issues
        rows = (issues["day"] >= lo) & (issues["day"] <= hi)
        practice = record.pop.practice[issues["patient"][rows]]
        keys, items = np.unique(
            practice.astype(np.int64) * 10**12
            + _product_keys(issues["drug"][rows], issues["quantity"][rows]),
            return_counts=True,
        )
        clinical.update(int(p) for p in np.unique(record.pop.practice))
        parts.append((keys // 10**12, (keys % 10**12) // 100_000, keys % 100_000, items))
    keys, rate = rates
    astro = sizes.astro()[:, m].reshape(len(icb.practices), -1)
    peers = np.array([p.index for p in icb.practices if p.index not in clinical], dtype=np.int64)
    if len(peers):
        factor = np.array([icb.practices[p].cost_factor for p in peers])
        items = rng.poisson(astro[peers] @ rate * factor[:, None])
        practice, product = np.nonzero(items)
        parts.append(
            (
                peers[practice],
                keys[product] // 100_000,
                keys[product] % 100_000,
                items[practice, product],
            )
        )
    both_sexes = sizes.astro()[:, m].sum(axis=1)
    factor = np.array([p.cost_factor for p in icb.practices])
    line_rates = np.array([line.rates for line in EPD_ONLY])
    items = rng.poisson(both_sexes @ line_rates.T * factor[:, None])
    practice, line = np.nonzero(items)
    parts.append(
        (
            practice,
            len(DRUGS) + line,
            np.array([EPD_ONLY[i].quantity for i in line], dtype=np.int64),
            items[practice, line],
        )
    )
    practice, product, quantity, items = (np.concatenate([p[i] for p in parts]) for i in range(4))
    order = np.lexsort((quantity, product, practice))
    return practice[order], product[order], quantity[order], items[order]


def write_epd(
    inbox: Path,
    rng: np.random.Generator,
    icb: Icb,
    months: list[Month],
    sizes: ListSizes,
    records: list[ClinicalRecord],
    summary: GenerationSummary,
) -> dict[str, np.ndarray]:
    """One EPD file per month; returns actual cost per practice per month for the summary."""
    rates = formulary_rates(records[0], sizes)
    snomed_months = snomed_layout_months(months)
    products = EPD_PRODUCTS
    price = np.array([d.unit_price for d in products])
    pack = np.array([d.pack for d in products])
    text = {
        name: np.array([getattr(d, name) for d in products], dtype=object)
        for name in ("bnf_code", "name", "chemical", "chemical_code", "chapter", "vmp")
    }
    cost = {}
    for m, month in enumerate(months):
        practice, product, quantity, items = epd_month(rng, icb, m, month, sizes, records, rates)
        nic = np.round(items * quantity * price[product], 2)
        actual = np.round(nic * rng.uniform(0.91, 0.935, len(nic)), 5)
        cost[month.folder] = np.bincount(practice, actual, minlength=len(icb.practices))
        org = icb.practices
        data: dict[str, object] = {
            "REGIONAL_OFFICE_NAME": REGION_NAME,
            "REGIONAL_OFFICE_CODE": REGION_CODE,
            "AREA_TEAM_NAME": ICB_NAME.upper(),
            "AREA_TEAM_CODE": ICB_CODE,
            "ICB_NAME": ICB_NAME.upper(),
            "icb_code": ICB_CODE,
            "PCO_NAME": np.array(
                [icb.sub_icb_name(org[p].sub_icb) for p in practice], dtype=object
            ),
            "sub_icb_location_code": np.array([org[p].sub_icb for p in practice], dtype=object),
            "practice_name": np.array([org[p].name for p in practice], dtype=object),
            "practice_code": np.array([org[p].code for p in practice], dtype=object),
            "ADDRESS_1": np.array([org[p].address for p in practice], dtype=object),
            "ADDRESS_4": np.array([org[p].town for p in practice], dtype=object),
            "POSTCODE": np.array([org[p].postcode for p in practice], dtype=object),
            "chemical_substance_code": text["chemical_code"][product],
            "CHEMICAL_SUBSTANCE_BNF_DESCR": text["chemical"][product],
            "BNF_CHEMICAL_SUBSTANCE": text["chemical"][product],
            "bnf_code": text["bnf_code"][product],
            "bnf_description": text["name"][product],
            "snomed_code": text["vmp"][product],
            "UNIT_OF_MEASURE": "",
            "BNF_CHAPTER_PLUS_CODE": text["chapter"][product],
            "quantity": quantity,
            "items": items,
            "total_quantity": quantity * items,
            "adq_usage": fixed(quantity * items * 28 / pack[product], 1),
            "nic": fixed(nic, 2),
            "actual_cost": fixed(actual, 5),
            "unidentified": "N",
        }
        if month.folder in snomed_months:
            # The newer layout spells the month YYYY-MM (docs/domain.md 5.1).
            data["year_month"] = f"{month.start:%Y-%m}"
            name, layout, dialect = (
                f"EPD_SNOMED_{month.yyyymm}.csv",
                EPD_SNOMED_LAYOUT,
                "epd_snomed",
            )
        else:
            data["year_month"] = np.full(len(items), month.first_day)
            name, layout, dialect = f"EPD_{month.yyyymm}.csv", EPD_LEGACY_LAYOUT, "epd"
        rows = write_csv(inbox / month.folder / name, EPD, dialect, data, layout=layout)
        summary.add_rows("nhsbsa.epd", rows)
    return cost


def _yyyymmdd(day: object) -> str:
    return "" if day is None else f"{day:%Y%m%d}"


def write_epcn(inbox: Path, icb: Icb, months: list[Month], summary: GenerationSummary) -> None:
    """ePCN.xlsx as ODS publishes it: dates as YYYYMMDD text, wrapped member-sheet headers."""
    pcn_headers = contract_headers(EPCN_PCNS, "xlsx")
    pcn_headers[pcn_headers.index("Postcode") : pcn_headers.index("Postcode")] = ADDRESS_LINES
    member_headers = contract_headers(EPCN_MEMBERS, "xlsx")
    start_at = member_headers.index("Practice to PCN Relationship Start Date")
    member_headers[start_at:start_at] = [
        "PCN Parent Sub ICB Loc Code",
        "PCN Parent Sub ICB Loc Name",
    ]
    member_headers.append("Practice Sub ICB Loc and PCN Sub ICB Loc Match")
    wrapped = ["\n".join(textwrap.wrap(h, 12, break_long_words=False)) for h in member_headers]
    pcn_rows = [
        [
            pcn.code,
            pcn.name,
            pcn.sub_icb,
            icb.sub_icb_name(pcn.sub_icb),
            _yyyymmdd(PCN_OPEN),
            "",
            f"{pcn.index + 1} SYNTHETIC HOUSE",
            "HIGH STREET",
            "",
            pcn.name.replace(" SYNTHETIC PCN", ""),
            "",
            pcn.postcode,
        ]
        for pcn in icb.pcns
    ]
    for month in months:
        member_rows = []
        for member in sorted(
            icb.memberships, key=lambda m: (icb.practices[m.practice].code, m.start)
        ):
            if member.start > month.end:
                continue
            practice = icb.practices[member.practice]
            pcn = icb.pcns[member.pcn]
            ended = member.end is not None and member.end <= month.end
            member_rows.append(
                [
                    practice.code,
                    practice.name,
                    practice.sub_icb,
                    icb.sub_icb_name(practice.sub_icb),
                    pcn.code,
                    pcn.name,
                    pcn.sub_icb,
                    icb.sub_icb_name(pcn.sub_icb),
                    _yyyymmdd(member.start),
                    _yyyymmdd(member.end) if ended else "",
                    1 if practice.sub_icb == pcn.sub_icb else 0,
                ]
            )
        write_xlsx(
            inbox / month.folder / "ePCN.xlsx",
            [
                (EPCN_PCNS.sheet or "PCNDetails", pcn_headers, pcn_rows),
                (EPCN_MEMBERS.sheet or "PCN Core Partner Details", wrapped, member_rows),
            ],
        )
        summary.add_rows("ods.epcn_pcns", len(pcn_rows))
        summary.add_rows("ods.epcn_members", len(member_rows))
        summary.files -= 1  # two tables, one workbook


EPRACCUR_WIDTH = 27


def write_epraccur(inbox: Path, icb: Icb, months: list[Month], summary: GenerationSummary) -> None:
    practices = icb.practices
    # One non-GP cost centre (prescribing setting 1), as real files carry many.
    codes = [p.code for p in practices] + ["Z99001"]
    data = {
        "organisation_code": np.array(codes, dtype=object),
        "name": np.array(
            [p.name for p in practices] + ["SYNTHETIC OUT OF HOURS SERVICE"], dtype=object
        ),
        "national_grouping": REGION_CODE,
        "high_level_health_geography": ICB_CODE,
        "position_5": np.array([p.address for p in practices] + ["1 SYNTHETIC WAY"], dtype=object),
        "position_7": np.array([p.town for p in practices] + [practices[0].town], dtype=object),
        "postcode": np.array([p.postcode for p in practices] + ["ZZ1 9ZZ"], dtype=object),
        "open_date": np.full(len(codes), np.datetime64("1974-04-01", "D")),
        "close_date": np.full(len(codes), np.datetime64("NaT", "D")),
        "status_code": "A",
        "position_14": "B",
        "commissioner_code": np.array(
            [p.sub_icb for p in practices] + [icb.sub_icbs[0]], dtype=object
        ),
        "position_16": "20130401",
        "position_18": np.array(
            [f"01632 {960000 + i:06d}" for i in range(len(codes))], dtype=object
        ),
        "position_22": "0",
        "position_24": np.array([p.sub_icb for p in practices] + [icb.sub_icbs[0]], dtype=object),
        "prescribing_setting": np.array([4] * len(practices) + [1]),
    }
    for month in months:
        rows = write_csv(
            inbox / month.folder / "epraccur.csv", EPRACCUR, "epraccur", data, layout=EPRACCUR_WIDTH
        )
        summary.add_rows("ods.epraccur", rows)
