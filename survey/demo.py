"""The demo county: a seeded, fictional county for trying the tool (演示数据，非真实数据).

Everything here is made up: the county "示范县（演示数据）" with the fictional county code 429901,
ten townships, about two hundred villages, three roads (G316, S207, S311) and one completed
round, 2026-B3 "2026年第三次双月测评", with submissions for about 85 % of the villages. The output
is deterministic: the same seed gives byte-identical files.

Rebuild the committed files (data/demo/) with::

    python -m survey.demo [--seed N] [--out DIR]

which writes ``villages.csv`` (UTF-8 with BOM), ``roads.geojson`` and ``submissions.jsonl`` in the
formats of interchange.md. ``python -m survey demo`` loads them into the database
(:func:`demo_files` names them).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from shapely.geometry import LineString, Point

from core import config
from core.model import Round
from survey.rubric import Item, Rubric, load_rubric

DEFAULT_SEED = 2026
COUNTY_CODE = "429901"  # fictional: no real county has this code
#: The demo county's own share target (percent): above the national 50 %, as many provinces
#: set, so that the dashboard has townships below target and a gap to plan.
DEMO_TARGET = "60"
COUNTY_NAME = "示范县（演示数据）"
DEMO_ROUND = Round(id="2026-B3", name="2026年第三次双月测评", start_date="2026-05-01", end_date="2026-06-30")
VILLAGES_FILE, ROADS_FILE, SUBMISSIONS_FILE = "villages.csv", "roads.geojson", "submissions.jsonl"
HEADERS = ("区划代码", "县", "乡镇", "村", "经度", "纬度", "文明村称号", "称号年份", "户数", "示范村")

#: (3-digit township code, name, centre lon, centre lat). 1xx are towns (镇), 2xx townships (乡).
TOWNSHIPS = (
    ("100", "城关镇", 113.900, 30.600),
    ("101", "青石镇", 113.760, 30.580),
    ("102", "柳河镇", 114.040, 30.630),
    ("103", "长岭镇", 113.920, 30.740),
    ("104", "白沙镇", 113.870, 30.470),
    ("105", "龙泉镇", 113.740, 30.720),
    ("106", "清水镇", 114.090, 30.750),
    ("107", "凤凰镇", 114.060, 30.500),
    ("200", "桃源乡", 113.680, 30.450),
    ("201", "杏花乡", 113.800, 30.840),
)
#: Road name -> (kind, vertices lon/lat); each passes through some township centres.
ROADS = {
    "G316": ("国道", ((113.600, 30.540), (113.760, 30.580), (113.900, 30.600), (114.040, 30.630), (114.200, 30.670))),
    "S207": ("省道", ((113.940, 30.900), (113.920, 30.740), (113.900, 30.600), (113.870, 30.470), (113.850, 30.360))),
    "S311": ("省道", ((113.640, 30.690), (113.740, 30.720), (113.920, 30.740), (114.090, 30.750), (114.220, 30.800))),
}
SURNAMES = "张王李刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯董程曹袁邓许沈曾彭吕余叶"
SURNAME_PLACES = ("家湾", "家岭", "家畈", "庄", "家坝", "家河", "家冲", "集", "岗", "家店", "家垸", "家台",
                  "家寨", "家墩")
NATURE = ("柳树", "石桥", "杨树", "桃园", "杏花", "枫林", "竹园", "松林", "梨园", "荷塘", "青山", "白马",
          "黄土", "红石", "双河", "三里", "五里", "七里", "新塘", "古井", "龙潭", "槐树", "大桥", "小河",
          "长岗", "金山", "银湖", "东湖", "西畈", "南岗", "北山", "马鞍", "牛角", "狮子", "凉亭", "茶园")
NATURE_PLACES = ("沟", "湾", "", "岭", "畈", "冲", "坪", "口", "铺", "垴")
#: The one village name with a GB18030-only character (exercises the GBK export warning).
GB18030_ONLY_NAME = "㭎树湾村"
#: Title levels of the titled villages and their shares.
TITLE_SHARES = (("县级", 0.55), ("市级", 0.27), ("省级", 0.14), ("全国", 0.04))
SURVEYORS = (("王芳", "李明"), ("张伟", "陈静"), ("刘洋", "赵磊"))
PLACES = ("村口", "主干道旁", "河塘边", "村委会后", "小学附近", "菜地旁", "桥头")
CN_NUMBERS = "零一两三四五六七八九十"


@dataclass(frozen=True)
class _Village:
    code: str
    name: str
    township: str
    lon: float
    lat: float
    title: str
    title_year: int | None
    households: int
    demo: bool


def demo_files(directory: str | Path | None = None) -> tuple[Path, Path, Path]:
    """The demo county's (villages.csv, roads.geojson, submissions.jsonl) paths."""
    folder = Path(directory) if directory else config.DEMO_DIR
    return folder / VILLAGES_FILE, folder / ROADS_FILE, folder / SUBMISSIONS_FILE


def _km(lon: float, lat: float) -> tuple[float, float]:
    """A local equirectangular projection around the county centre, in km (for distances)."""
    return (lon - 113.9) * 95.9, (lat - 30.6) * 111.2


def _village_name(rng: random.Random, used: set[str]) -> str:
    while True:
        if rng.random() < 0.55:
            name = rng.choice(SURNAMES) + rng.choice(SURNAME_PLACES)
        else:
            name = rng.choice(NATURE) + rng.choice(NATURE_PLACES)
        name = name if name.endswith("村") else name + "村"
        if name not in used:
            used.add(name)
            return name


def _villages(rng: random.Random) -> list[_Village]:
    used = {GB18030_ONLY_NAME}
    drafts = []  # (code, name, township, lon, lat)
    for t_code, t_name, t_lon, t_lat in TOWNSHIPS:
        for n in range(rng.randint(15, 23)):
            lon = round(t_lon + rng.gauss(0, 0.024), 6)
            lat = round(t_lat + rng.gauss(0, 0.020), 6)
            drafts.append([f"{COUNTY_CODE}{t_code}{201 + n:03d}", _village_name(rng, used), t_name, lon, lat])
    rng.choice([d for d in drafts if d[2] != "城关镇"])[1] = GB18030_ONLY_NAME
    roads = [LineString([_km(*p) for p in pts]) for _, pts in ROADS.values()]
    near_road = [d[0] for d in drafts if min(r.distance(Point(_km(d[3], d[4]))) for r in roads) < 2.0]

    titled_count = round(len(drafts) * rng.uniform(0.37, 0.43))
    # Villages along the roads are more often titled (the belts were built there).
    weights = {d[0]: (3 if d[0] in near_road else 1) for d in drafts}
    pool, titled = [d[0] for d in drafts], []
    while len(titled) < titled_count:
        pick = rng.choices(pool, weights=[weights[c] for c in pool])[0]
        pool.remove(pick)
        titled.append(pick)
    levels: dict[str, str] = {}
    start = 0
    for level, share in TITLE_SHARES:
        count = len(titled) - start if level == TITLE_SHARES[-1][0] else round(len(titled) * share)
        for code in titled[start:start + count]:
            levels[code] = level
        start += count
    demo_pool = sorted(c for c in near_road if c in levels)
    demo = set(rng.sample(demo_pool, min(10, len(demo_pool))))
    first_year = {"县级": 2016, "市级": 2014, "省级": 2012, "全国": 2011}
    return [
        _Village(
            code, name, township, lon, lat,
            levels.get(code, "无"),
            rng.randint(first_year[levels[code]], 2025) if code in levels else None,
            int(rng.triangular(80, 900, 320)),
            code in demo,
        )
        for code, name, township, lon, lat in drafts
    ]


def _item_points(item: Item, answer: bool | int | str) -> Decimal:
    """Points an answer earns (interchange.md): check all/none, count floored, grade × factor."""
    if item.type == "check":
        return item.points if answer else Decimal(0)
    if item.type == "count":
        return max(Decimal(0), item.points - int(answer) * (item.deduct or Decimal(0)))
    return item.points * item.factor(str(answer))


def _answers(rng: random.Random, rubric: Rubric, target: Decimal) -> dict[str, bool | int | str]:
    """Answers whose total lands close to ``target``: start from a perfect village and add
    problems one by one (a failed check, one more spot found, a lower grade)."""
    items = list(rubric.items)
    answers: dict[str, bool | int | str] = {
        i.code: True if i.type == "check" else 0 if i.type == "count" else i.grade_names[0] for i in items
    }
    total = sum(_item_points(i, answers[i.code]) for i in items)
    for _ in range(400):
        missing = total - target
        if missing <= Decimal("0.25"):
            break
        item = rng.choices(items, weights=[float(i.points) for i in items])[0]
        current = answers[item.code]
        if item.type == "check":
            worse: bool | int | str = False
        elif item.type == "count":
            worse = int(current) + 1
        else:
            names = item.grade_names
            worse = names[min(names.index(str(current)) + 1, len(names) - 1)]
        loss = _item_points(item, current) - _item_points(item, worse)
        if loss <= 0 or loss > missing + 1:
            continue
        answers[item.code] = worse
        total -= loss
    return answers


def _note(place: str, found: int) -> str:
    """A surveyor's note for a count item: where the problems were found, e.g. 村口等两处."""
    number = CN_NUMBERS[found] if found < len(CN_NUMBERS) else str(found)
    return f"{place}{number}处" if found == 1 else f"{place}等{number}处"


def _submissions(rng: random.Random, rubric: Rubric, villages: list[_Village], seed: int) -> list[dict]:
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"https://xiangfeng.invalid/demo/{seed}")
    assessed = sorted(rng.sample(villages, round(len(villages) * 0.85)), key=lambda v: v.code)
    vetoed = {v.code for v in rng.sample(assessed, 3)}
    first_day = date.fromisoformat(DEMO_ROUND.start_date) + timedelta(days=5)
    township_day = {t[1]: first_day + timedelta(days=5 * n) for n, t in enumerate(TOWNSHIPS)}
    count_items = [i for i in rubric.items if i.type == "count"]
    out = []
    for n, v in enumerate(assessed):
        mean = 90.0 if v.title != "无" else 85.0
        target = Decimal(str(round(min(99.0, max(68.0, rng.gauss(mean, 5.5))) * 2) / 2))
        answers = _answers(rng, rubric, target)
        team = SURVEYORS[[t[1] for t in TOWNSHIPS].index(v.township) % len(SURVEYORS)]
        day = township_day[v.township] + timedelta(days=rng.randint(0, 4))
        notes = {
            i.code: _note(rng.choice(PLACES), int(answers[i.code]))
            for i in count_items if int(answers[i.code]) > 0 and rng.random() < 0.6
        }
        # grade items answered criterion by criterion: the last k criteria missed give the
        # grade k steps below the best (no draw from ``rng``: the other values stay as they were)
        unmet = {i.code: list(range(len(i.criteria) - i.grade_names.index(answers[i.code]) + 1, len(i.criteria) + 1))
                 for i in rubric.items if i.type == "grade"}
        out.append({
            "id": str(uuid.uuid5(namespace, f"{DEMO_ROUND.id}/{v.code}")),
            "village": v.code,
            "round": DEMO_ROUND.id,
            "date": day.isoformat(),
            "surveyor": rng.choice(team),
            "lon": round(v.lon + rng.gauss(0, 0.0015), 6),
            "lat": round(v.lat + rng.gauss(0, 0.0012), 6),
            "gps_accuracy_m": 150.0 if n == 7 else round(rng.uniform(3, 30), 1),
            "answers": answers,
            "veto": [rng.choice(rubric.veto).code] if v.code in vetoed else [],
            "notes": notes,
            "unmet": unmet,
        })
    return out


def _villages_csv(villages: list[_Village]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADERS)
    for v in villages:
        writer.writerow([v.code, COUNTY_NAME, v.township, v.name, f"{v.lon:.6f}", f"{v.lat:.6f}", v.title,
                         v.title_year or "", v.households, "是" if v.demo else "否"])
    return buffer.getvalue()


def _roads_geojson() -> str:
    features = [
        {"type": "Feature", "properties": {"name": name, "等级": kind},
         "geometry": {"type": "LineString", "coordinates": [list(p) for p in points]}}
        for name, (kind, points) in ROADS.items()
    ]
    layer = {"type": "FeatureCollection", "name": "roads（演示数据）", "features": features}
    return json.dumps(layer, ensure_ascii=False, indent=1) + "\n"


def build(out: str | Path | None = None, seed: int = DEFAULT_SEED) -> tuple[Path, Path, Path]:
    """Generate the demo county into ``out`` (default data/demo/); returns the three paths."""
    rng = random.Random(seed)
    villages = _villages(rng)
    submissions = _submissions(rng, load_rubric(), villages, seed)
    paths = demo_files(out)
    paths[0].parent.mkdir(parents=True, exist_ok=True)
    paths[0].write_text(_villages_csv(villages), encoding="utf-8-sig", newline="")
    paths[1].write_text(_roads_geojson(), encoding="utf-8", newline="")
    lines = "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in submissions)
    paths[2].write_text(lines, encoding="utf-8", newline="")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m survey.demo", description="Rebuild the demo county files.")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--out", default=str(config.DEMO_DIR), help="output folder (default data/demo)")
    args = parser.parse_args(argv)
    for path in build(args.out, args.seed):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
