"""A seeded synthetic province, written as the files an office would import.

:func:`generate` writes into a folder (all fictional, the same seed gives the same bytes):

- ``villages.csv`` (UTF-8 with BOM, the headers of interchange.md): counties on a grid of
  0.5° × 0.4° cells, townships with a seat inside their county, villages clustered around the
  seat, 12-digit codes (county ``42CCNN``, township +3, village +3), titles, title years,
  households and one demonstration village per township;
- ``roads.geojson``: winding roads (100–400 vertices about 330 m apart) named G/S/X + number;
- ``submissions_<round>.jsonl``, one per round: every village assessed once per round, with
  answers valid for the rubric (:func:`answers`), a village-specific quality so townships differ,
  rare vetoes, notes on count items and a GPS point near the village.

At ``province`` scale: 100 counties, 1,000 townships, 25,000 villages, 200 roads, six rounds
(150,000 submissions).
"""

from __future__ import annotations

import calendar
import csv
import json
import math
import random
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.model import Round
from survey.rubric import Rubric, load_rubric

HEADERS = ("区划代码", "县", "乡镇", "村", "经度", "纬度", "文明村称号", "称号年份", "户数", "示范村")
TITLES = ("无",) * 6 + ("县级", "县级", "市级", "省级")
#: South-west corner of the province (degrees) and the size of one county's cell.
ORIGIN, CELL = (110.5, 29.0), (0.5, 0.4)
SYLLABLES = "安宝昌丰富广和华嘉江金锦康乐林龙隆茂美宁平庆仁瑞润山胜顺泰天通新兴永裕长正中"
PLACES = "柳石桥杨桃杏枫竹松梨荷青白黄红双三五七新古龙槐大小长金银东西南北马牛狮凉茶"
ENDINGS = ("湾", "岭", "畈", "冲", "坪", "口", "铺", "岗", "店", "台", "河", "庄")
SURNAMES = "张王李刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"
GIVEN = "芳明伟静洋磊军敏强丽华平刚燕勇艳杰娟涛超"
SPOTS = ("村口", "主干道旁", "河塘边", "村委会后", "小学附近", "菜地旁", "桥头")


@dataclass(frozen=True)
class Scale:
    """How big the synthetic province is and how hard the runner measures it."""

    name: str
    counties: int
    townships: int  # per county
    villages: int  # per township
    roads: int
    rounds: int
    writers: int  # concurrent writers of figure 7
    saves: int  # saves per writer of figure 7
    repeat: int  # timings are the best of this many runs

    @property
    def total_villages(self) -> int:
        return self.counties * self.townships * self.villages


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", counties=2, townships=3, villages=6, roads=4, rounds=6, writers=20, saves=1, repeat=1),
    "county": Scale("county", counties=1, townships=10, villages=25, roads=6, rounds=6, writers=20, saves=5,
                    repeat=3),
    "province": Scale("province", counties=100, townships=10, villages=25, roads=200, rounds=6, writers=20,
                      saves=10, repeat=3),
}


@dataclass(frozen=True)
class Province:
    """The files written by :func:`generate` and what they hold."""

    folder: Path
    villages_csv: Path
    roads_geojson: Path
    submissions: tuple[Path, ...]  # one JSON Lines file per round, in round order
    rounds: tuple[Round, ...]
    counties: tuple[str, ...]  # county codes, sorted
    villages: int
    roads: int


@dataclass(frozen=True)
class _Village:
    code: str
    county: str
    township: str
    name: str
    lon: float
    lat: float
    title: str
    title_year: int | None
    households: int
    demo: bool
    quality: float  # chance that an item is found wanting


def rounds(n: int, year: int = 2025) -> tuple[Round, ...]:
    """``n`` bimonthly rounds ``<year>-B1``… with their start and end dates."""
    out = []
    for r in range(n):
        first, last = 2 * (r % 6) + 1, 2 * (r % 6) + 2
        y = year + r // 6
        out.append(Round(f"{y}-B{r + 1}", f"{y}年第{r + 1}次双月测评", f"{y}-{first:02d}-01",
                         f"{y}-{last:02d}-{calendar.monthrange(y, last)[1]:02d}"))
    return tuple(out)


def answers(rubric: Rubric, rng: random.Random, bad: float = 0.12) -> dict[str, Any]:
    """A complete answer set valid for ``rubric``: each item is found wanting with chance
    ``bad`` (a check not met, 1–4 problems counted, a grade below the best)."""
    out: dict[str, Any] = {}
    for item in rubric.items:
        wanting = rng.random() < bad
        if item.type == "check":
            out[item.code] = not wanting
        elif item.type == "count":
            out[item.code] = rng.randint(1, 4) if wanting else 0
        else:
            names = item.grade_names
            out[item.code] = names[rng.randint(1, len(names) - 1)] if wanting else names[0]
    return out


def _name(rng: random.Random, alphabet: str, suffix: str, used: set[str]) -> str:
    while True:
        name = rng.choice(alphabet) + rng.choice(alphabet) + suffix
        if name not in used:
            used.add(name)
            return name


def _villages(scale: Scale, rng: random.Random) -> list[_Village]:
    columns = math.ceil(math.sqrt(scale.counties))
    county_names: set[str] = set()
    out = []
    for c in range(scale.counties):
        county = f"42{c // 10 + 1:02d}{c % 10 + 1:02d}"
        county_name = _name(rng, SYLLABLES, "县", county_names)
        west, south = ORIGIN[0] + (c % columns) * CELL[0], ORIGIN[1] + (c // columns) * CELL[1]
        town_names: set[str] = set()
        for t in range(scale.townships):
            town = f"{county}{100 + t:03d}"
            town_name = _name(rng, PLACES, "镇" if t < scale.townships * 0.7 else "乡", town_names)
            seat = (west + rng.uniform(0.08, CELL[0] - 0.08), south + rng.uniform(0.06, CELL[1] - 0.06))
            for v in range(scale.villages):
                lon = min(max(rng.gauss(seat[0], 0.035), west + 0.001), west + CELL[0] - 0.001)
                lat = min(max(rng.gauss(seat[1], 0.03), south + 0.001), south + CELL[1] - 0.001)
                title = rng.choice(TITLES)
                name = ("㭎树湾村" if t == 0 and v == 7
                        else f"{rng.choice(PLACES)}{rng.choice(PLACES)}{rng.choice(ENDINGS)}村")
                out.append(_Village(
                    code=f"{town}{200 + v:03d}", county=county_name, township=town_name, name=name,
                    lon=round(lon, 6), lat=round(lat, 6), title=title,
                    title_year=rng.randint(2012, 2025) if title != "无" else None,
                    households=rng.randint(120, 900), demo=v == 0,
                    quality=min(0.3, max(0.01, rng.gauss(0.1 if title == "无" else 0.06, 0.04)))))
    return out


def _villages_csv(path: Path, villages: list[_Village]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(HEADERS)
        for v in villages:
            writer.writerow([v.code, v.county, v.township, v.name, f"{v.lon:.6f}", f"{v.lat:.6f}", v.title,
                             v.title_year or "", v.households, "是" if v.demo else "否"])


def _roads_geojson(path: Path, scale: Scale, rng: random.Random) -> None:
    columns = math.ceil(math.sqrt(scale.counties))
    east = ORIGIN[0] + columns * CELL[0]
    north = ORIGIN[1] + math.ceil(scale.counties / columns) * CELL[1]
    features = []
    for k in range(scale.roads):
        lon, lat = rng.uniform(ORIGIN[0], east), rng.uniform(ORIGIN[1], north)
        heading, coords = rng.uniform(0, 2 * math.pi), []
        for _ in range(rng.randint(100, 399)):
            coords.append([round(lon, 6), round(lat, 6)])
            heading += rng.gauss(0, 0.15)
            lon, lat = lon + 0.003 * math.cos(heading), lat + 0.003 * math.sin(heading)
        features.append({"type": "Feature", "properties": {"name": f"{'GSX'[k % 3]}{100 + k}"},
                         "geometry": {"type": "LineString", "coordinates": coords}})
    path.write_text(json.dumps({"type": "FeatureCollection", "name": "roads", "features": features},
                               ensure_ascii=False), encoding="utf-8")


def _submissions(path: Path, rnd: Round, index: int, villages: list[_Village], rubric: Rubric,
                 rng: random.Random) -> None:
    count_items = [i.code for i in rubric.items if i.type == "count"]
    veto_codes = [v.code for v in rubric.veto]
    first = int(rnd.start_date[5:7])
    with path.open("w", encoding="utf-8", newline="") as fh:
        for v in villages:
            given = answers(rubric, rng, max(0.01, v.quality - 0.005 * index))
            notes = {code: f"{rng.choice(SPOTS)}{given[code]}处" for code in count_items
                     if given[code] and rng.random() < 0.6}
            sub = {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "village": v.code, "round": rnd.id,
                "date": f"{rnd.start_date[:4]}-{first + rng.randint(0, 1):02d}-{rng.randint(1, 28):02d}",
                "surveyor": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "lon": round(v.lon + rng.gauss(0, 0.0015), 6), "lat": round(v.lat + rng.gauss(0, 0.0012), 6),
                "gps_accuracy_m": round(rng.uniform(3, 30), 1),
                "answers": given, "veto": [rng.choice(veto_codes)] if rng.random() < 0.005 else [],
                "notes": notes,
            }
            fh.write(json.dumps(sub, ensure_ascii=False) + "\n")


def generate(scale: Scale, folder: str | Path, seed: int = 8) -> Province:
    """Write the synthetic province of ``scale`` into ``folder``; the same seed, the same bytes."""
    rng = random.Random(seed)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rubric = load_rubric()
    villages = _villages(scale, rng)
    planned = rounds(scale.rounds)
    province = Province(
        folder=out, villages_csv=out / "villages.csv", roads_geojson=out / "roads.geojson",
        submissions=tuple(out / f"submissions_{r.id}.jsonl" for r in planned),
        rounds=planned, counties=tuple(sorted({v.code[:6] for v in villages})),
        villages=len(villages), roads=scale.roads)
    _villages_csv(province.villages_csv, villages)
    _roads_geojson(province.roads_geojson, scale, rng)
    for index, (rnd, path) in enumerate(zip(province.rounds, province.submissions)):
        _submissions(path, rnd, index, villages, rubric, rng)
    return province
