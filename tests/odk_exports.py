"""Answer sets for the round's XLSForm and the exports both tools make of them, for the tests.

:func:`answer_set` fills the form as a surveyor would (criteria, counts, notes and photos for
findings, a veto now and then) and gives the interchange answers the import must produce.
:func:`central_csv` / :func:`central_zip` lay rows out as ODK Central's "download all" does
(``-`` group paths, a geopoint in four columns, ``KEY`` … ``FormVersion``, photos in
``media/``); :func:`kobo_csv` / :func:`kobo_xlsx` as KoboToolbox does (``/`` group paths,
``_location_latitude`` …, ``_uuid``, ``;`` or ``,``).
"""

from __future__ import annotations

import csv
import io
import random
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.model import Village
from survey import xlsform as xf
from survey.rubric import Rubric
from survey.scoring import grade_from_criteria, is_finding, score

SKIP_TYPES = ("begin group", "end group")


def field_paths(rubric: Rubric, round_id: str) -> list[tuple[str, list[str], str]]:
    """(name, group path, type) of every field of the form, in form order, meta last."""
    from core.model import Round

    stack: list[str] = []
    out = []
    for row in xf.survey_rows(rubric, Round(round_id, round_id)):
        kind, name = row["type"], row["name"]
        if kind == "begin group":
            stack.append(name)
        elif kind == "end group":
            stack.pop()
        else:
            out.append((name, [*stack, name], kind))
    out += [("instanceID", ["meta", "instanceID"], "meta"), ("instanceName", ["meta", "instanceName"], "meta")]
    return out


@dataclass
class Filled:
    """One filled form: the value of every field by name, and what the import must store."""

    values: dict[str, str]
    answers: dict[str, Any]
    veto: list[str]
    photos: list[str] = field(default_factory=list)  # file names the rows name

    @property
    def id(self) -> str:
        return self.values["instanceID"]


def answer_set(rubric: Rubric, round_id: str, village: Village, rng: random.Random,
               surveyor: str = "王芳", day: str = "2026-05-20") -> Filled:
    values: dict[str, str] = {
        xf.START: f"{day}T09:12:00.000+08:00", xf.END: f"{day}T10:40:00.000+08:00", xf.TODAY: day,
        xf.USERNAME: surveyor, xf.ROUND_FIELD: round_id, xf.VERSION_FIELD: xf.form_version(round_id, rubric),
        xf.TOWNSHIP: village.township_code, xf.VILLAGE: village.code, xf.VILLAGE_NAME: village.name,
        xf.LOCATION: (f"{30.6 + rng.random() / 100:.6f} {113.9 + rng.random() / 100:.6f} 25.0 "
                      f"{rng.choice([4.0, 8.5, 30.0])}"),
        "instanceID": f"uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
    }
    values[xf.ACCURACY] = values[xf.LOCATION].split()[3]
    answers: dict[str, Any] = {}
    photos = []
    for item in rubric.items:
        if item.type == "check":
            answers[item.code] = rng.random() < 0.75
            values[item.code] = xf.YES if answers[item.code] else xf.NO
        elif item.type == "count":
            answers[item.code] = rng.choice([0, 0, 0, 1, 2, 3, 7, 12])
            values[item.code] = str(answers[item.code])
        else:
            met = [rng.random() < 0.8 for _ in item.criteria]
            for n, m in enumerate(met, start=1):
                values[xf.criterion_field(item.code, n)] = xf.YES if m else xf.NO
            answers[item.code] = values[item.code] = grade_from_criteria(item, met)
        if is_finding(item, answers[item.code]):
            values[xf.note_field(item.code)] = f"{item.code} 发现问题"
            photo = f"{rng.getrandbits(40)}.jpg"
            values[xf.photo_field(item.code)] = photo
            photos.append(photo)
    codes = [v.code for v in rubric.veto]
    veto = sorted(rng.sample(codes, min(2, len(codes)))) if rng.random() < 0.15 else []
    values[xf.VETO_ANY] = xf.YES if veto else xf.NO
    values[xf.VETO] = " ".join(veto)
    result = score(rubric, answers, veto)
    for item in result.items:
        values[xf.points_field(item.code)] = f"{item.points.normalize():f}"
    for code, points in result.sections.items():
        values[xf.section_field(code)] = f"{points.normalize():f}"
    values[xf.TOTAL] = f"{result.total.normalize():f}"
    values[xf.PASSED] = xf.YES if result.passed else xf.NO
    values["instanceName"] = f"{village.name} {day}"
    return Filled(values, answers, veto, photos)


# --- ODK Central -------------------------------------------------------------------------------

CENTRAL_TAIL = ("KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected",
                "Status", "ReviewState", "DeviceID", "Edits", "FormVersion")


def central_table(rubric: Rubric, round_id: str, rows: Sequence[Filled], group_paths: bool = True,
                  split_veto: bool = False) -> list[list[str]]:
    """Header and rows as Central writes its root CSV."""
    header, getters = ["SubmissionDate"], [lambda f: "2026-05-21T02:00:00.000Z"]
    for name, path, kind in field_paths(rubric, round_id):
        base = "-".join(path) if group_paths else name
        if kind == "geopoint":
            for n, part in enumerate(("Latitude", "Longitude", "Altitude", "Accuracy")):
                header.append(f"{base}-{part}")
                getters.append(lambda f, n=n, name=name: (f.values.get(name, "").split() + [""] * 4)[n])
        else:
            header.append(base)
            getters.append(lambda f, name=name: f.values.get(name, ""))
            if kind.startswith("select_multiple") and split_veto:
                for v in rubric.veto:
                    header.append(f"{base}/{v.code}")
                    getters.append(lambda f, code=v.code: "1" if code in f.veto else "0")
    tail = {"KEY": lambda f: f.id, "SubmitterID": lambda f: "7", "SubmitterName": lambda f: "县文明办",
            "AttachmentsPresent": lambda f: str(len(f.photos)),
            "AttachmentsExpected": lambda f: str(len(f.photos)), "Status": lambda f: "",
            "ReviewState": lambda f: "", "DeviceID": lambda f: "collect:abc", "Edits": lambda f: "0",
            "FormVersion": lambda f: f.values[xf.VERSION_FIELD]}
    header += CENTRAL_TAIL
    getters += [tail[c] for c in CENTRAL_TAIL]
    return [header, *([g(f) for g in getters] for f in rows)]


def to_csv(table: list[list[str]], delimiter: str = ",", quote_all: bool = False, bom: bool = False) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n",
               quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerows(table)
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def central_csv(rubric: Rubric, round_id: str, rows: Sequence[Filled], **kwargs: Any) -> bytes:
    return to_csv(central_table(rubric, round_id, rows, **kwargs))


def jpeg(seed: int = 0, size: tuple[int, int] = (640, 480)) -> bytes:
    """A real JPEG photo of one colour."""
    from PIL import Image

    img = Image.new("RGB", size, ((seed * 37) % 256, 120, 200))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def central_zip(rubric: Rubric, round_id: str, rows: Sequence[Filled], extra: dict[str, bytes] | None = None,
                drop: Sequence[str] = (), photo_size: tuple[int, int] = (640, 480), **kwargs: Any) -> bytes:
    """Central's ZIP: ``<form id>.csv`` and every photo in ``media/`` (``drop``: left out)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{xf.form_id(round_id)}.csv", central_csv(rubric, round_id, rows, **kwargs))
        for n, f in enumerate(rows):
            for photo in f.photos:
                if photo not in drop:
                    zf.writestr(f"media/{photo}", jpeg(n, photo_size))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return out.getvalue()


# --- KoboToolbox -------------------------------------------------------------------------------

KOBO_TAIL = ("_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
             "_submitted_by", "__version__", "_tags", "_index")


def kobo_table(rubric: Rubric, round_id: str, rows: Sequence[Filled], sep: str = "/",
               groups: bool = True) -> list[list[str]]:
    header: list[str] = []
    getters: list[Any] = []
    for name, path, kind in field_paths(rubric, round_id):
        if kind == "note":
            continue
        prefix = sep.join(path[:-1]) + sep if groups and len(path) > 1 else ""
        header.append(prefix + name)
        getters.append(lambda f, name=name: f.values.get(name, ""))
        if kind == "geopoint":
            for n, part in enumerate(("latitude", "longitude", "altitude", "precision")):
                header.append(f"{prefix}_{name}_{part}")
                getters.append(lambda f, n=n, name=name: (f.values.get(name, "").split() + [""] * 4)[n])
        elif kind.startswith("select_multiple"):
            for v in rubric.veto:
                header.append(f"{prefix}{name}/{v.code}")
                getters.append(lambda f, code=v.code: "1" if code in f.veto else "0")
    tail = {"_id": lambda f: "1001", "_uuid": lambda f: f.id.removeprefix("uuid:"),
            "_submission_time": lambda f: "2026-05-21T02:00:00", "_validation_status": lambda f: "",
            "_notes": lambda f: "", "_status": lambda f: "submitted_via_web",
            "_submitted_by": lambda f: "kobo-user", "__version__": lambda f: "vKx8mPq2",
            "_tags": lambda f: "", "_index": lambda f: "1"}
    header += KOBO_TAIL
    getters += [tail[c] for c in KOBO_TAIL]
    return [header, *([g(f) for g in getters] for f in rows)]


def kobo_csv(rubric: Rubric, round_id: str, rows: Sequence[Filled], delimiter: str = ";", **kwargs: Any) -> bytes:
    return to_csv(kobo_table(rubric, round_id, rows, **kwargs), delimiter=delimiter, quote_all=True)


def kobo_xlsx(rubric: Rubric, round_id: str, rows: Sequence[Filled], **kwargs: Any) -> bytes:
    """Kobo's XLSX: numbers of integer questions as numbers, dates as dates, the rest as text."""
    import datetime

    import openpyxl

    table = kobo_table(rubric, round_id, rows, **kwargs)
    counts = {i.code for i in rubric.items if i.type == "count"}
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "乡风测评"
    sheet.append(table[0])
    for row in table[1:]:
        sheet.append([int(v) if h.split("/")[-1] in counts and v
                      else datetime.datetime.fromisoformat(v) if h == xf.TODAY and v else v
                      for h, v in zip(table[0], row)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
