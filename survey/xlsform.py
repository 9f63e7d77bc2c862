"""The round's rubric as an XLSForm for ODK Collect and KoboCollect, and the ``villages.csv``
attachment it picks the village from.

The form (sheets ``survey``, ``choices``, ``settings``), Chinese first with English as the
second language:

- ``place``: the township, then its village (a cascading choice filter on ``villages.csv``,
  whose rows are townships (``kind`` = township) and villages (``kind`` = village, with their
  ``township`` code)); a geopoint with its accuracy; the surveyor is the device's username.
- one group per section, in it one screen (a ``field-list`` group) per item: check items as
  符合/不符合 (``yes``/``no``), count items as integers ≥ 0, grade items as one 符合/不符合
  question per criterion, the grade calculated from the criteria met exactly as
  :func:`survey.scoring.grade_from_criteria` does; for every finding a required note, and a
  required photo when the item's evidence is a photo (optional otherwise). Every item, section
  and the total are calculations; each item's hint shows the running total and the pass mark.
- the veto question (any in the past year? which?), the result.
- hidden ``xf_round`` and ``xf_version``: every export (Central's and Kobo's alike) carries the
  round and the form version, which the importer (:mod:`survey.odk`) checks.

Field names are made here and only here (:func:`field_names`); the importer reads them back.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from core.model import Round, Village
from survey.rubric import Item, Rubric

FORM_PREFIX = "xiangfeng"
ZH, EN = "中文 (zh)", "English (en)"
LANGUAGES = (ZH, EN)
VILLAGES_CSV = "villages.csv"
#: Choice names of the 符合/不符合 and 有/无 questions (what exports hold).
YES, NO = "yes", "no"
#: Names of the fixed fields.
ROUND_FIELD, VERSION_FIELD = "xf_round", "xf_version"
TOWNSHIP, VILLAGE, VILLAGE_NAME = "township", "village", "village_name"
LOCATION, ACCURACY = "location", "gps_accuracy"
USERNAME, TODAY, START, END = "username", "today", "start", "end"
VETO_ANY, VETO = "veto_any", "veto"
TOTAL, ANSWERED_MAX, PASSED = "total", "answered_max", "passed"

SURVEY_COLUMNS = ("type", "name", *(f"label::{lang}" for lang in LANGUAGES),
                  *(f"hint::{lang}" for lang in LANGUAGES), "required",
                  *(f"required_message::{lang}" for lang in LANGUAGES), "relevant", "constraint",
                  *(f"constraint_message::{lang}" for lang in LANGUAGES), "calculation",
                  "choice_filter", "appearance", "parameters")
CHOICES_COLUMNS = ("list_name", "name", *(f"label::{lang}" for lang in LANGUAGES))
SETTINGS_COLUMNS = ("form_title", "form_id", "version", "instance_name", "default_language")


# --- names -------------------------------------------------------------------------------------


def form_id(round_id: str) -> str:
    """The form id of a round's form: ``xiangfeng_<round>``."""
    return f"{FORM_PREFIX}_{round_id}"


def form_version(round_id: str, rubric: Rubric) -> str:
    """The form version: the round and the rubric version, e.g. ``2026-B3.9f2c1a0b3d4e``. A
    changed rubric is a new version; an export of another version is refused on import."""
    return f"{round_id}.{rubric.version}"


def points_field(code: str) -> str:
    return f"{code}_pts"


def note_field(code: str) -> str:
    return f"{code}_note"


def photo_field(code: str) -> str:
    return f"{code}_photo"


def criterion_field(code: str, number: int) -> str:
    """The 符合/不符合 question of criterion ``number`` (1-based) of grade item ``code``."""
    return f"{code}_c{number}"


def item_group(code: str) -> str:
    return f"{code}_item"


def section_field(code: str) -> str:
    return f"{code}_pts"


def field_names(rubric: Rubric) -> set[str]:
    """Every name the form gives a field or group (unique across the form)."""
    names = {ROUND_FIELD, VERSION_FIELD, TOWNSHIP, VILLAGE, VILLAGE_NAME, LOCATION, ACCURACY,
             USERNAME, TODAY, START, END, VETO_ANY, VETO, TOTAL, ANSWERED_MAX, PASSED, "place",
             "veto_group", "result"}
    for section in rubric.sections:
        names |= {section.code, section_field(section.code)}
        for item in section.items:
            names |= {item.code, points_field(item.code), note_field(item.code),
                      photo_field(item.code), item_group(item.code)}
            names |= {criterion_field(item.code, n) for n in range(1, len(item.criteria) + 1)}
    return names


# --- numbers and XPath -------------------------------------------------------------------------


def _lit(value: Decimal) -> str:
    """A Decimal as an XPath number literal: ``3``, ``0.5``, ``3.2`` (never an exponent)."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def places(rubric: Rubric) -> int:
    """Decimal places that every point value of the rubric fits in (at least 1): the form
    rounds its sums to them, so the float sums of XPath show the exact decimal total."""
    values: list[Decimal] = [rubric.pass_mark, rubric.total]
    for item in rubric.items:
        values.append(item.points)
        if item.deduct is not None:
            values.append(item.deduct)
        values.extend(item.points * f for _, f in item.grades)
    exponents = [int(v.normalize().as_tuple().exponent) for v in values if v]
    return max(1, *(-e for e in exponents))


def _ref(name: str) -> str:
    return "${" + name + "}"


def _q(text: str) -> str:
    """An XPath string literal (XPath 1.0 has no escapes: pick the quote the text lacks)."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", \"'\", ".join(f"'{part}'" for part in text.split("'")) + ")"


def finding_xpath(item: Item) -> str:
    """XPath true when ``item``'s answer is a finding (as :func:`survey.scoring.is_finding`)."""
    if item.type == "check":
        return f"{_ref(item.code)} = '{NO}'"
    if item.type == "count":
        return f"{_ref(item.code)} != '' and {_ref(item.code)} > 0"
    return f"{_ref(item.code)} != '' and {_ref(item.code)} != {_q(item.grade_names[0])}"


def grade_xpath(item: Item) -> str:
    """The grade from the item's criteria questions, as :func:`survey.scoring.grade_from_criteria`
    computes it: empty until every criterion is answered; then each criterion missed is one
    grade lower, floored at the lowest grade."""
    refs = [_ref(criterion_field(item.code, n)) for n in range(1, len(item.criteria) + 1)]
    answered = " and ".join(f"{r} != ''" for r in refs)
    missed = "(" + " + ".join(f"if({r} = '{NO}', 1, 0)" for r in refs) + ")"
    names = item.grade_names
    expr = _q(names[-1])
    for k in range(len(names) - 2, -1, -1):
        expr = f"if({missed} = {k}, {_q(names[k])}, {expr})"
    return f"if({answered}, {expr}, '')"


def points_xpath(item: Item, digits: int) -> str:
    """Points earned on ``item`` so far (0 while unanswered), as :func:`survey.scoring.item_points`."""
    ref = _ref(item.code)
    if item.type == "check":
        return f"if({ref} = '{YES}', {_lit(item.points)}, 0)"
    if item.type == "count":
        left = f"{_lit(item.points)} - {ref} * {_lit(item.deduct)}"  # type: ignore[arg-type]
        return f"if({ref} = '', 0, if({left} > 0, round({left}, {digits}), 0))"
    expr = "0"
    for grade, factor in reversed(item.grades):
        expr = f"if({ref} = {_q(grade)}, {_lit(item.points * factor)}, {expr})"
    return expr


def _sum(names: Iterable[str], digits: int) -> str:
    return f"round({' + '.join(_ref(n) for n in names)}, {digits})"


# --- the sheets --------------------------------------------------------------------------------


def _row(type_: str, name: str, label: tuple[str, str] | None = None, **cols: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"type": type_, "name": name}
    if label is not None:
        row[f"label::{ZH}"], row[f"label::{EN}"] = label
    for key in ("hint", "required_message", "constraint_message"):
        pair = cols.pop(key, None)
        if pair is not None:
            row[f"{key}::{ZH}"], row[f"{key}::{EN}"] = pair
    row.update({k: v for k, v in cols.items() if v not in (None, "")})
    return row


def _en(text_en: str, text: str) -> str:
    return text_en or text


def _rule(item: Item) -> tuple[str, str]:
    if item.type == "check":
        return "符合得全分", "full points when met"
    if item.type == "count":
        return (f"每处扣 {_lit(item.deduct)} 分，扣完为止",  # type: ignore[arg-type]
                f"−{_lit(item.deduct)} per problem, not below 0")  # type: ignore[arg-type]
    n = len(item.criteria)
    return (f"{n} 个子项：全部符合 A，差 1 项 B，差 2 项 C，其余 C#",
            f"{n} criteria: all met A, one missed B, two missed C, otherwise C#")


def _running(rubric: Rubric, answered: bool = False) -> tuple[str, str]:
    """The running total beside the pass mark (with ``answered``: and the points possible so
    far). One output per screen: ODK's engines recompute every shown output on each answer."""
    mark = _lit(rubric.pass_mark)
    if answered:
        return (f"当前累计 {_ref(TOTAL)} 分（已作答项目满分 {_ref(ANSWERED_MAX)} 分），达标线 {mark} 分",
                f"running total {_ref(TOTAL)} (of {_ref(ANSWERED_MAX)} answered), pass mark {mark}")
    return f"当前累计 {_ref(TOTAL)} 分，达标线 {mark} 分", f"running total {_ref(TOTAL)}, pass mark {mark}"


def _required(zh: str, en: str) -> dict[str, Any]:
    return {"required": "yes", "required_message": (zh, en)}


def survey_rows(rubric: Rubric, rnd: Round) -> list[dict[str, Any]]:
    """The ``survey`` sheet, one dict (column -> value) per row."""
    digits = places(rubric)
    running, summary = _running(rubric), _running(rubric, answered=True)
    rows = [
        _row("start", START), _row("end", END), _row("today", TODAY), _row("username", USERNAME),
        _row("calculate", ROUND_FIELD, calculation=_q(rnd.id)),
        _row("calculate", VERSION_FIELD, calculation=_q(form_version(rnd.id, rubric))),
        _row("begin group", "place", ("测评对象", "Where")),
        _row(f"select_one_from_file {VILLAGES_CSV}", TOWNSHIP, ("乡镇", "Township"),
             choice_filter="kind = 'township'", **_required("请选择乡镇", "choose the township")),
        _row(f"select_one_from_file {VILLAGES_CSV}", VILLAGE, ("村", "Village"),
             choice_filter=f"kind = 'village' and township = {_ref(TOWNSHIP)}",
             **_required("请选择村", "choose the village")),
        _row("calculate", VILLAGE_NAME,
             calculation=f"instance('villages')/root/item[name = {_ref(VILLAGE)}]/label"),
        _row("geopoint", LOCATION, ("测评位置（站在村里定位）", "Where you stand (in the village)"),
             hint=("精度差于 100 米时会提示；等精度变好再保存", "warned when worse than 100 m; wait for a better fix"),
             parameters="capture-accuracy=10 warning-accuracy=100",
             **_required("请定位", "record the position")),
        _row("calculate", ACCURACY, calculation=f"if({_ref(LOCATION)} = '', '', selected-at({_ref(LOCATION)}, 3))"),
        _row("note", "surveyor_note", (f"测评员：{_ref(USERNAME)}（Collect 设置 → 用户和设备标识 → 用户名）",
                                       f"Surveyor: {_ref(USERNAME)} "
                                       "(Collect settings → User and device identity → Username)")),
        _row("end group", "place"),
    ]
    for section in rubric.sections:
        rows.append(_row("begin group", section.code,
                         (f"{section.name}（{_lit(section.points)} 分）",
                          f"{_en(section.name_en, section.name)} ({_lit(section.points)} points)")))
        for item in section.items:
            rows.extend(_item_rows(item, digits, running))
        rows.append(_row("calculate", section_field(section.code),
                         calculation=_sum((points_field(i.code) for i in section.items), digits)))
        rows.append(_row("note", f"{section.code}_done",
                         (f"{section.name}得分 {_ref(section_field(section.code))} / "
                          f"{_lit(section.points)} 分。{summary[0]}",
                          (f"{_en(section.name_en, section.name)}: {_ref(section_field(section.code))} of "
                           f"{_lit(section.points)}; {summary[1]}"))))
        rows.append(_row("end group", section.code))
    codes = [i.code for i in rubric.items]
    rows += [
        _row("calculate", TOTAL, calculation=_sum((section_field(s.code) for s in rubric.sections), digits)),
        _row("calculate", ANSWERED_MAX, calculation="round(" + " + ".join(
            f"if({_ref(c)} != '', {_lit(rubric.item(c).points)}, 0)" for c in codes) + f", {digits})"),
        _row("begin group", "veto_group", ("一票否决", "Veto")),
        _row("select_one any", VETO_ANY,
             ("近一年内是否发生下列一票否决事项之一？", "In the past year, did any veto item occur?"),
             hint=("；".join(v.name for v in rubric.veto), "; ".join(_en(v.text_en, v.name) for v in rubric.veto)),
             **_required("请回答一票否决问题", "answer the veto question")),
        _row("select_multiple veto", VETO, ("发生了哪些？", "Which?"), relevant=f"{_ref(VETO_ANY)} = '{YES}'",
             **_required("请选择发生的事项", "choose what occurred")),
        _row("end group", "veto_group"),
        _row("calculate", PASSED, calculation=f"if({_ref(TOTAL)} >= {_lit(rubric.pass_mark)} and "
                                              f"{_ref(VETO_ANY)} = '{NO}', '{YES}', '{NO}')"),
        _row("begin group", "result", ("结果", "Result")),
        _row("note", "result_total",
             (f"总分 {_ref(TOTAL)} 分（满分 {_lit(rubric.total)} 分，达标线 {_lit(rubric.pass_mark)} 分）",
              f"Total {_ref(TOTAL)} of {_lit(rubric.total)}; pass mark {_lit(rubric.pass_mark)}")),
        _row("note", "result_pass", ("达标", "Passes"), relevant=f"{_ref(PASSED)} = '{YES}'"),
        _row("note", "result_fail", ("未达标", "Does not pass"),
             relevant=f"{_ref(PASSED)} = '{NO}' and {_ref(VETO_ANY)} != ''"),
        _row("end group", "result"),
    ]
    return rows


def _item_rows(item: Item, digits: int, running: tuple[str, str]) -> list[dict[str, Any]]:
    code, pts = item.code, _lit(item.points)
    rule = _rule(item)
    label = (f"{code} {item.text}", f"{code} {_en(item.text_en, item.text)}")
    hint = (f"本项 {pts} 分，{rule[0]}。{running[0]}", f"{pts} points, {rule[1]}; {running[1]}")
    rows = [_row("begin group", item_group(code), label, appearance="field-list")]
    if item.type == "check":
        rows.append(_row("select_one met", code, ("是否符合", "Met?"), hint=hint,
                         **_required("请选择 符合/不符合", "choose met / not met")))
    elif item.type == "count":
        rows.append(_row("integer", code, ("发现问题处数", "Problems found"), hint=hint,
                         constraint=". >= 0", constraint_message=("应为不小于 0 的整数", "an integer ≥ 0"),
                         **_required("请填写处数（没有填 0）", "enter the count (0 when none)")))
    else:
        for n, criterion in enumerate(item.criteria, start=1):
            rows.append(_row("select_one met", criterion_field(code, n), (f"{n}. {criterion}", f"{n}. {criterion}"),
                             hint=hint if n == 1 else None,
                             **_required("请选择 符合/不符合", "choose met / not met")))
        rows.append(_row("calculate", code, calculation=grade_xpath(item)))
        rows.append(_row("note", f"{code}_grade", (f"等级 {_ref(code)}（{_ref(points_field(code))} 分）",
                                                   f"Grade {_ref(code)} ({_ref(points_field(code))} points)"),
                         relevant=f"{_ref(code)} != ''"))
    rows.append(_row("calculate", points_field(code), calculation=points_xpath(item, digits)))
    finding = finding_xpath(item)
    rows.append(_row("text", note_field(code), ("问题说明（必填）", "What is wrong (required)"), relevant=finding,
                     **_required("发现问题时必须写说明", "a finding needs a note")))
    if item.needs_photo:  # a photo item: its finding needs a photo
        rows.append(_row("image", photo_field(code), ("问题照片（必拍）", "Photo of the problem (required)"),
                         relevant=finding, parameters="max-pixels=1600",
                         **_required("发现问题时必须拍照", "a finding needs a photo")))
    else:  # a finding shown by a document or an interview: a photo may help, none is asked
        rows.append(_row("image", photo_field(code), ("照片（可选）", "Photo (optional)"),
                         relevant=finding, parameters="max-pixels=1600"))
    rows.append(_row("end group", item_group(code)))
    return rows


def choices_rows(rubric: Rubric) -> list[dict[str, Any]]:
    """The ``choices`` sheet."""
    rows = [
        {"list_name": "met", "name": YES, f"label::{ZH}": "符合", f"label::{EN}": "Met"},
        {"list_name": "met", "name": NO, f"label::{ZH}": "不符合", f"label::{EN}": "Not met"},
        {"list_name": "any", "name": YES, f"label::{ZH}": "有", f"label::{EN}": "Yes"},
        {"list_name": "any", "name": NO, f"label::{ZH}": "无", f"label::{EN}": "No"},
    ]
    rows += [{"list_name": "veto", "name": v.code, f"label::{ZH}": f"{v.code} {v.text}",
              f"label::{EN}": f"{v.code} {_en(v.text_en, v.text)}"} for v in rubric.veto]
    return rows


def settings_row(rubric: Rubric, rnd: Round) -> dict[str, Any]:
    """The ``settings`` sheet's one row."""
    return {"form_title": f"乡风测评 {rnd.name}（{rnd.id}）", "form_id": form_id(rnd.id),
            "version": form_version(rnd.id, rubric),
            "instance_name": f"concat({_ref(VILLAGE_NAME)}, ' ', {_ref(TODAY)})",
            "default_language": ZH}


def build_xlsform(rubric: Rubric, rnd: Round) -> bytes:
    """The XLSForm workbook (XLSX bytes). Every cell is written as text (never a formula)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheets = (("survey", SURVEY_COLUMNS, survey_rows(rubric, rnd)),
              ("choices", CHOICES_COLUMNS, choices_rows(rubric)),
              ("settings", SETTINGS_COLUMNS, [settings_row(rubric, rnd)]))
    book.remove(book.active)
    for title, columns, rows in sheets:
        sheet = book.create_sheet(title)
        for c, header in enumerate(columns, start=1):
            _text_cell(sheet, 1, c, header)
        for r, row in enumerate(rows, start=2):
            for c, header in enumerate(columns, start=1):
                if row.get(header) not in (None, ""):
                    _text_cell(sheet, r, c, str(row[header]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text_cell(sheet: Any, row: int, column: int, value: str) -> None:
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    cell.data_type = "s"  # a text starting with "=" stays text, never a formula


# --- villages.csv ------------------------------------------------------------------------------

VILLAGES_COLUMNS = ("name", "label", "kind", "township")


def villages_csv(villages: Sequence[Village]) -> bytes:
    """The ``villages.csv`` attachment: a row per township (``kind`` township), then a row per
    village (``kind`` village, ``township`` its township code), by code. UTF-8 without BOM
    (Collect reads the first header as is), names guarded against spreadsheet formulas."""
    from survey.csvio import guard

    towns = sorted({(v.township_code, v.township) for v in villages})
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(VILLAGES_COLUMNS)
    writer.writerows((code, guard(f"{name}（{code}）"), "township", "") for code, name in towns)
    writer.writerows((v.code, guard(f"{v.name}（{v.code}）"), "village", v.township_code)
                     for v in sorted(villages, key=lambda v: v.code))
    return buf.getvalue().encode("utf-8")


# --- use cases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """A round's form: the XLSX, its attachment, and its id and version."""

    round_id: str
    form_id: str
    version: str
    xlsx: bytes
    villages_csv: bytes

    @property
    def filename(self) -> str:
        return f"{self.form_id}.xlsx"

    def zip_bytes(self) -> bytes:
        """The form and ``villages.csv`` in one ZIP (the setup page's download)."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(self.filename, self.xlsx)
            zf.writestr(VILLAGES_CSV, self.villages_csv)
        return out.getvalue()


def make_form(db_path: str | Path, round_id: str, villages: Sequence[Village] | None = None) -> Form:
    """The form of round ``round_id`` (:class:`~core.errors.NotFound` when there is no such
    round) with the villages given (default: the whole registry)."""
    from survey import store
    from survey.service import rubric_for_round

    rnd = store.get_round(db_path, round_id)
    rubric = rubric_for_round(db_path, round_id)
    if villages is None:
        villages = store.villages(db_path)
    return Form(round_id=rnd.id, form_id=form_id(rnd.id), version=form_version(rnd.id, rubric),
                xlsx=build_xlsform(rubric, rnd), villages_csv=villages_csv(villages))


def make_form_for(db_path: str | Path, user: Any, round_id: str) -> Form:
    """The form for the signed-in ``user``: the villages of their scope only."""
    from survey.auth import villages_in

    return make_form(db_path, round_id, villages_in(db_path, user.scope))


def write_form(db_path: str | Path, round_id: str, out: str | Path) -> tuple[Path, Path]:
    """Write the form to ``out`` and ``villages.csv`` beside it (atomically, both or neither
    when the round is unknown). Returns the two paths."""
    from survey.csvio import atomic_write

    form = make_form(db_path, round_id)
    out = Path(out)
    csv_path = out.parent / VILLAGES_CSV
    atomic_write(out, form.xlsx)
    atomic_write(csv_path, form.villages_csv)
    return out, csv_path
