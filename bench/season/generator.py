"""A province made from a seed: cities, units, committees, experts and declarations.

Everything is a pure function of :class:`SeasonParams`; the same parameters give the same province
(names, ID numbers, credit codes, which declaration fails which rule, how each expert votes).

How many declarations do what is fixed by the shares, not drawn at random, so a test can work the
counts out by hand (docs/season.md):

* ``floor(N × el5_share)`` declare the previous year's assessment ``unqualified``: submission is
  refused with EL-5; the applicant corrects the assessment and submits again.
* ``floor(N × el9_share)`` declare a current title two levels below the target (``assistant`` for
  ``associate_senior``): refused with EL-9; corrected to ``intermediate`` and submitted again.
* ``floor(N × abandon_share)`` are refused with EL-5 and never corrected (they stay drafts).
* of the rest (qualified), ``floor(N × vote_down_share)`` get too few yes votes at the meeting
  (⌈2/3 × panel⌉ needed, NA-7); every other qualified declaration passes.

Which declarations those are is a seeded shuffle of the indices; a declaration's committee is its
position modulo the number of committees, its city its position modulo the number of cities.
"""

from __future__ import annotations

import copy
import math
import random
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any, Literal

from zhicheng_common.validators import _CREDIT_ALPHABET, _CREDIT_WEIGHTS, _ID_CHECK_CHARS, _ID_WEIGHTS

# The 11 prefecture-level cities of Shanxi (GB/T 2260).
SHANXI = "140000"
CITIES: tuple[tuple[str, str], ...] = (
    ("140100", "太原市"),
    ("140200", "大同市"),
    ("140300", "阳泉市"),
    ("140400", "长治市"),
    ("140500", "晋城市"),
    ("140600", "朔州市"),
    ("140700", "晋中市"),
    ("140800", "运城市"),
    ("140900", "忻州市"),
    ("141000", "临汾市"),
    ("141100", "吕梁市"),
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红"

Fate = Literal["clean", "el5_corrected", "el9_corrected", "abandoned", "voted_down"]


@dataclass(frozen=True)
class SeasonParams:
    """The province's size and the shares of each kind of declaration (see the module docstring)."""

    cities: int = 11
    committees: int = 40
    experts: int = 3000
    declarations: int = 100_000
    units_per_city: int = 4
    panel: int = 25  # experts drawn per meeting: a senior committee's member count (NA-1)
    el5_share: float = 0.08
    el9_share: float = 0.06
    abandon_share: float = 0.04
    vote_down_share: float = 0.10
    seed: int = 2026

    def counts(self) -> dict[str, int]:
        """How many declarations meet each fate (floors of the shares)."""
        n = self.declarations
        el5, el9, abandoned = (math.floor(n * s) for s in (self.el5_share, self.el9_share, self.abandon_share))
        voted_down = math.floor(n * self.vote_down_share)
        clean = n - el5 - el9 - abandoned - voted_down
        if clean < 0:
            raise ValueError("the shares add up to more than every declaration")
        return {
            "clean": clean,
            "el5_corrected": el5,
            "el9_corrected": el9,
            "abandoned": abandoned,
            "voted_down": voted_down,
        }

    def check(self) -> None:
        if not 1 <= self.cities <= len(CITIES):
            raise ValueError(f"cities: 1 to {len(CITIES)}")
        if self.experts < self.committees * self.panel:
            raise ValueError(f"experts: at least committees × panel = {self.committees * self.panel}")
        if self.declarations < self.committees:
            raise ValueError("declarations: at least one per committee")
        self.counts()


@dataclass(frozen=True)
class Unit:
    key: str
    name: str
    credit_code: str
    region: str


@dataclass(frozen=True)
class Committee:
    key: str
    name: str


@dataclass(frozen=True)
class Expert:
    key: str
    committee: int  # index of the committee whose pool holds the expert
    name: str
    resident_id: str
    unit_credit_code: str


@dataclass(frozen=True)
class Declaration:
    key: str
    index: int
    committee: int
    unit: int  # index into Province.units
    name: str
    resident_id: str
    birth_date: str
    fate: Fate


@dataclass(frozen=True)
class Province:
    params: SeasonParams
    units: tuple[Unit, ...]
    committees: tuple[Committee, ...]
    experts: tuple[Expert, ...]
    declarations: tuple[Declaration, ...]

    def summary(self) -> dict[str, Any]:
        return {"params": asdict(self.params), "fates": self.params.counts(), "units": len(self.units)}


def credit_code(body17_prefix: str, serial: int) -> str:
    """A valid unified social credit code (GB 32100): ``prefix`` then ``serial`` in its alphabet."""
    digits = []
    value = serial
    for _ in range(17 - len(body17_prefix)):
        digits.append(_CREDIT_ALPHABET[value % 31])
        value //= 31
    body = body17_prefix + "".join(reversed(digits))
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(body, _CREDIT_WEIGHTS, strict=True))
    return body + _CREDIT_ALPHABET[(31 - total % 31) % 31]


def resident_id(region: str, born: date, sequence: int) -> str:
    """A valid resident ID number (GB 11643)."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + _ID_CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def generate(params: SeasonParams) -> Province:
    params.check()
    rng = random.Random(params.seed)
    cities = CITIES[: params.cities]
    units = tuple(
        Unit(
            key=f"u{c}-{u}",
            name=f"{city_name}第{u + 1}工程设计研究院",
            # 12 = public institution; the city's code in the middle; the serial tells units apart.
            credit_code=credit_code(f"12{code}", c * 100 + u),
            region=code,
        )
        for c, (code, city_name) in enumerate(cities)
        for u in range(params.units_per_city)
    )
    committees = tuple(
        Committee(key=f"c{k}", name=f"山西省工程技术职称高级评审委员会（第{k + 1}评审组）")
        for k in range(params.committees)
    )
    experts = []
    for e in range(params.experts):
        committee = e % params.committees
        born = date(1960, 1, 1) + timedelta(days=e // 1000)
        experts.append(
            Expert(
                key=f"e{e}",
                committee=committee,
                name=_name(rng),
                resident_id=resident_id("140100", born, e % 1000),
                # Each pool's experts work at a unit of their own, never an applicant's (recusal).
                unit_credit_code=credit_code("12140000", 900_000 + committee),
            )
        )
    counts = params.counts()
    fates: list[Fate] = [fate for fate, count in counts.items() for _ in range(count)]  # type: ignore[misc]
    rng.shuffle(fates)
    declarations = []
    for i, fate in enumerate(fates):
        city = i % params.cities
        unit = city * params.units_per_city + (i // params.cities) % params.units_per_city
        born = date(1975, 1, 1) + timedelta(days=i // 1000)
        declarations.append(
            Declaration(
                key=f"d{i}",
                index=i,
                committee=i % params.committees,
                unit=unit,
                name=_name(rng),
                resident_id=resident_id(f"{units[unit].region[:4]}02", born, i % 1000),
                birth_date=born.isoformat(),
                fate=fate,
            )
        )
    return Province(params, units, committees, tuple(experts), tuple(declarations))


# The declaration the README's walkthrough makes, for the season's year 2026.
_BODY: dict[str, Any] = {
    "applicant": {
        "gender": "male",
        "post": "结构设计",
        "practiced_specialty": "civil_construction",
        "education": {"level": "bachelor", "major": "土木工程", "graduated_on": "2000-07-01", "full_time": True},
        "employment_status": "in_service",
    },
    "target": {"year": 2026, "series": "engineering", "specialty": "civil_construction", "rank": "associate_senior"},
    "kind": "normal",
    "current_title": {
        "series": "engineering",
        "rank": "intermediate",
        "obtained_on": "2018-12-01",
        "certificate_number": "1401002018000123",
    },
    "achievements": [{"kind": "project", "title": "省重点工程结构设计", "date": "2022-10-01", "level": "provincial"}],
    "continuing_education": [],
}


def declaration_body(
    province: Province, declaration: Declaration, committee_id: str, *, corrected: bool
) -> dict[str, Any]:
    """The declaration as the applicant fills it in: with its rule failure, or ``corrected``."""
    unit = province.units[declaration.unit]
    body = copy.deepcopy(_BODY)
    birth = date.fromisoformat(declaration.birth_date)
    body["applicant"].update(
        name=declaration.name,
        id_number=declaration.resident_id,
        birth_date=declaration.birth_date,
        employer={
            "name": unit.name,
            "credit_code": unit.credit_code,
            "ownership": "public_institution",
            "region": unit.region,
        },
        gender="male" if int(declaration.resident_id[16]) % 2 else "female",
    )
    body["applicant"]["education"]["graduated_on"] = date(birth.year + 22, 7, 1).isoformat()
    body["target"]["committee_id"] = committee_id
    body["work_history"] = [{"employer_name": unit.name, "post": "结构设计", "start": f"{birth.year + 22}-07-15"}]
    assessments = [{"year": y, "grade": "qualified"} for y in range(2020, 2026)]
    failing = not corrected
    if declaration.fate in ("el5_corrected", "abandoned") and failing:
        assessments[-1]["grade"] = "unqualified"  # 2025, the year before the application's (EL-5)
    if declaration.fate == "el9_corrected" and failing:
        body["current_title"]["rank"] = "assistant"  # two levels below associate_senior (EL-9)
    body["assessments"] = assessments
    body["channel"] = {"kind": "employer", "name": unit.name}
    return body


def fails_first(declaration: Declaration) -> str | None:
    """The rule its first submission is refused with, if any."""
    return {"el5_corrected": "EL-5", "abandoned": "EL-5", "el9_corrected": "EL-9"}.get(declaration.fate)
