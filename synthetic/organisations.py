"""The synthetic ICB: its PCNs, their practices, list sizes and practice-to-PCN membership.

All codes are visibly synthetic: practices `Z` + 5 digits, PCNs `U9` + 4 digits, the ICB
`Q99`, sub-ICB locations `99X`/`99Y`, region `Y99`; every name says "Synthetic".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from synthetic.config import Month, SyntheticConfig

ICB_CODE = "Q99"
ICB_NAME = "NHS Synthetic ICB"
REGION_CODE = "Y99"
REGION_NAME = "SYNTHETIC REGION"
PCN_OPEN = date(2019, 7, 1)  # PCNs began on 1 July 2019
DIALECTS = ("emis", "systmone")

_PLACES = (
    "Ashbourne Vale",
    "Brackenfield",
    "Coldharbour",
    "Dunmere",
    "Eastwick",
    "Fallowfield",
    "Greystone",
    "Hollins Cross",
    "Ivybridge Moor",
    "Juniper Hill",
    "Kingsmere",
    "Larkhaven",
    "Millbrook",
    "Northolme",
    "Oakridge",
    "Pebblecombe",
    "Quarry Bank",
    "Redwater",
    "Saltmarsh",
    "Thornbury Heath",
    "Upperfold",
    "Valley End",
    "Westcombe",
    "Yarrowdale",
)
_STREETS = (
    "Abbey Road",
    "Beacon Street",
    "Birch Lane",
    "Brook Street",
    "Castle Hill",
    "Cedar Avenue",
    "Church Lane",
    "Elm Grove",
    "Fern Road",
    "Garden Street",
    "Harbour Road",
    "High Street",
    "Linden Way",
    "Market Place",
    "Meadow Lane",
    "Mill Road",
    "Orchard Way",
    "Park Road",
    "Queen Street",
    "Riverside",
    "Station Road",
    "Victoria Road",
    "Willow Walk",
    "York Road",
)
_KINDS = ("Surgery", "Medical Centre", "Health Centre", "Medical Practice", "Family Practice")


@dataclass(frozen=True)
class Practice:
    index: int
    code: str
    name: str
    pcn_index: int  # PCN at the start of the period
    list_size: int  # registered patients at the start
    postcode: str
    address: str
    town: str
    sub_icb: str
    dialect: str  # clinical system, for practices that deliver extracts
    age_tilt: float  # >0: an older list than England's, <0: younger
    cost_factor: float  # prescribing cost per weighted patient relative to the ICB
    growth: float  # list size change per month (fraction)


@dataclass(frozen=True)
class Pcn:
    index: int
    code: str
    name: str
    sub_icb: str
    postcode: str
    practices: tuple[int, ...]  # practice indexes at the start of the period


@dataclass(frozen=True)
class Membership:
    practice: int
    pcn: int
    start: date
    end: date | None


@dataclass(frozen=True)
class Icb:
    pcns: tuple[Pcn, ...]
    practices: tuple[Practice, ...]
    memberships: tuple[Membership, ...]
    sub_icbs: tuple[str, ...]
    mover: int | None  # the practice that changes PCN mid-period
    move_date: date | None

    def sub_icb_name(self, code: str) -> str:
        return f"{ICB_NAME.upper()} - {code}"

    def pcn_of(self, practice: int, day: date) -> int:
        for member in self.memberships:
            if (
                member.practice == practice
                and member.start <= day
                and (member.end is None or day <= member.end)
            ):
                return member.pcn
        raise ValueError(f"practice {practice} has no PCN on {day}")


def _subject_list_sizes(rng: np.random.Generator, total: int, practices: int) -> np.ndarray:
    shares = rng.dirichlet(np.full(practices, 6.0))
    sizes = np.maximum(np.round(shares * total), 100).astype(int)
    sizes[np.argmax(sizes)] += total - sizes.sum()
    return sizes


def build_icb(config: SyntheticConfig, months: list[Month], rng: np.random.Generator) -> Icb:
    sub_icbs = ("99X", "99Y") if config.pcns > 10 else ("99X",)
    pcns: list[Pcn] = []
    practices: list[Practice] = []
    for p in range(config.pcns):
        if p == 0:
            sizes = _subject_list_sizes(rng, config.patients, config.practices)
        else:
            count = int(rng.integers(5, 9))
            sizes = np.clip(np.round(rng.lognormal(np.log(8200), 0.4, count)), 3000, 15000)
        sub_icb = sub_icbs[p % len(sub_icbs)]
        place = _PLACES[p % len(_PLACES)] + ("" if p < len(_PLACES) else f" {p // len(_PLACES)}")
        members = []
        for size in sizes.astype(int):
            i = len(practices)
            street = _STREETS[i % len(_STREETS)]
            practices.append(
                Practice(
                    index=i,
                    code=f"Z{p + 1:02d}{len(members) + 1:03d}",
                    name=f"{street} Synthetic {_KINDS[i % len(_KINDS)]}".upper(),
                    pcn_index=p,
                    list_size=int(size),
                    postcode=f"ZZ{p % 90 + 1} {len(members) + 1}AB",
                    address=f"{i % 97 + 1} {street}".upper(),
                    town=place.upper(),
                    sub_icb=sub_icb,
                    dialect=DIALECTS[len(members) % 2],
                    # The subject PCN is close to England's age mix; peers vary more.
                    age_tilt=float(rng.uniform(-0.1, 0.25) if p == 0 else rng.uniform(-0.35, 0.35)),
                    cost_factor=1.0 if p == 0 else float(rng.lognormal(0.0, 0.12)),
                    growth=float(rng.normal(0.0008, 0.0015)),
                )
            )
            members.append(i)
        pcns.append(
            Pcn(
                index=p,
                code=f"U9{p + 1:04d}",
                name=f"{place} Synthetic PCN".upper(),
                sub_icb=sub_icb,
                postcode=f"ZZ{p % 90 + 1} 1AA",
                practices=tuple(members),
            )
        )
    memberships = [Membership(pr.index, pr.pcn_index, PCN_OPEN, None) for pr in practices]
    mover: int | None = None
    move_date: date | None = None
    # A practice in the last non-clinical PCN joins its neighbour half way through, so
    # membership dates matter for every PCN-level number.
    if config.pcns - config.clinical_pcns >= 2 and len(months) >= 2:
        mover = pcns[-1].practices[0]
        move_date = months[len(months) // 2].start
        memberships[mover] = Membership(
            mover, config.pcns - 1, PCN_OPEN, date.fromordinal(move_date.toordinal() - 1)
        )
        memberships.append(Membership(mover, config.pcns - 2, move_date, None))
    return Icb(tuple(pcns), tuple(practices), tuple(memberships), sub_icbs, mover, move_date)
