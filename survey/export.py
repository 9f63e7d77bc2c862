"""The provincial submission (provincial-export.md, version 1): the CSV pair per county and round,
and its companions (one XLSX workbook, the village table as GeoJSON points).

Rows are built as typed values (codes as text, scores as Decimal, counts as int, coordinates as
float, None for empty); :mod:`survey.csvio` turns them into the file's text. The counting
submission of a village is the latest one not returned by a reviewer, as
:func:`survey.store.round_results` gives it. The township table comes from
:func:`survey.targets.township_table` (the same rules as the share-target dashboard).

Privacy: nothing leaves beyond the surveyor's display name (no notes, answers, households).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import NotFound, Problem, UsageError, problem
from core.model import STATUS_LABELS, STATUS_PENDING, Round, TownshipRow, VillageResult, county_of
from survey import store
from survey.auth import User
from survey.csvio import Column, atomic_write, check_encoding, csv_bytes, fmt1, format_rows, guard

if TYPE_CHECKING:  # pragma: no cover - typing only
    from survey.rubric import Rubric

#: Section codes of the rubric behind columns 8–10.
SECTIONS: tuple[str, ...] = ("garbage", "customs", "tenstar")

#: villages_…csv, in the order of the spec.
VILLAGE_COLUMNS: tuple[Column, ...] = (
    Column("区划代码", "code"),
    Column("县"),
    Column("乡镇"),
    Column("村"),
    Column("测评轮次"),
    Column("测评日期"),
    Column("测评人"),
    Column("垃圾治理得分", "dec1"),
    Column("移风易俗得分", "dec1"),
    Column("十星级文明户得分", "dec1"),
    Column("总分", "dec1"),
    Column("一票否决"),
    Column("否决事项"),
    Column("测评结果"),
    Column("文明村称号"),
    Column("示范带"),
    Column("问题数", "int"),
    Column("经度", "coord"),
    Column("纬度", "coord"),
    Column("审核状态"),
    Column("提交编号"),
)

#: townships_…csv, in the order of the spec.
TOWNSHIP_COLUMNS: tuple[Column, ...] = (
    Column("乡镇代码", "code"),
    Column("乡镇"),
    Column("村总数", "int"),
    Column("县级及以上文明村数", "int"),
    Column("本轮测评村数", "int"),
    Column("本轮达标村数", "int"),
    Column("预计文明村数", "int"),
    Column("文明村占比(%)", "dec1"),
    Column("预计占比(%)", "dec1"),
    Column("目标占比(%)", "dec1"),
    Column("是否达到目标"),
    Column("需新增文明村数", "int"),
)

SHEET_VILLAGES, SHEET_TOWNSHIPS = "村级测评", "乡镇汇总"


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def village_rows(
    results: Iterable[VillageResult], rubric: Rubric, belts: Mapping[str, Sequence[str]]
) -> list[list]:
    """The villages table: one row per *assessed* village, sorted by code. ``belts`` maps a
    village code to its belt (road) names, nearest first. Veto names follow the rubric's order."""
    names = {v.code: v.name for v in rubric.veto}
    order = {v.code: i for i, v in enumerate(rubric.veto)}

    def vetoes(codes: Iterable[str]) -> str | None:
        """Chinese short names in rubric order; a code the rubric no longer knows stays a code."""
        if not codes:
            return None
        ranked = sorted(codes, key=lambda c: (order.get(c, len(order)), c))
        return "；".join(names.get(c, c) for c in ranked) or None

    rows = []
    for r in sorted((r for r in results if r.assessed), key=lambda r: r.village.code):
        v = r.village
        lon, lat = r.point
        rows.append([
            v.code,
            v.county,
            v.township,
            v.name,
            r.round_id,
            r.date,
            r.surveyor,
            *(r.sections.get(s) for s in SECTIONS),
            r.total,
            _yes(r.vetoed),
            vetoes(r.veto),
            "达标" if r.passed else "未达标",
            v.title,
            "、".join(belts.get(v.code, ())) or None,
            r.findings,
            lon,
            lat,
            STATUS_LABELS.get(r.status or "", r.status),
            r.submission_id,
        ])
    return rows


def township_rows(table: Iterable[TownshipRow]) -> list[list]:
    """The townships table from :func:`survey.targets.township_table`, sorted by code."""
    return [
        [t.code, t.name, t.villages, t.civilized_now, t.assessed, t.passed, t.projected,
         t.share_now, t.share_projected, t.target, _yes(t.reached), t.needed]
        for t in sorted(table, key=lambda t: t.code)
    ]


@dataclass(frozen=True)
class CountyExport:
    """Both tables of one county and round, as typed rows."""

    county_code: str
    county: str | None
    round_id: str
    villages: list[list]
    townships: list[list]

    @property
    def villages_file(self) -> str:
        return f"villages_{self.county_code}_{self.round_id}.csv"

    @property
    def townships_file(self) -> str:
        return f"townships_{self.county_code}_{self.round_id}.csv"

    @property
    def zip_file(self) -> str:
        return f"provincial_{self.county_code}_{self.round_id}_csv.zip"

    @property
    def xlsx_file(self) -> str:
        return f"provincial_{self.county_code}_{self.round_id}.xlsx"

    @property
    def geojson_file(self) -> str:
        return f"villages_{self.county_code}_{self.round_id}.geojson"

    def csv_pair(self, encoding: str = "utf-8-sig") -> tuple[dict[str, bytes], list[Problem]]:
        """File name -> bytes of both CSV files, and their warnings."""
        v, wv = csv_bytes(VILLAGE_COLUMNS, self.villages, encoding, self.villages_file)
        t, wt = csv_bytes(TOWNSHIP_COLUMNS, self.townships, encoding, self.townships_file)
        return {self.villages_file: v, self.townships_file: t}, wv + wt


def readiness(e: CountyExport, rnd: Round) -> list[Problem]:
    """What to settle before the files are sent (warnings, counted): villages whose result is
    not reviewed yet, no village assessed at all, and surveys dated outside the round."""
    file = e.villages_file
    if not e.villages:
        return [problem("export_none_assessed", file)]
    warnings = []
    pending = sum(1 for row in e.villages if row[19] == STATUS_LABELS[STATUS_PENDING])
    if pending:
        warnings.append(problem("export_unreviewed", file, None, "审核状态", n=pending, total=len(e.villages)))
    start, end = rnd.start_date, rnd.end_date
    outside = sum(1 for row in e.villages if row[5] and (
        (start and str(row[5])[:10] < start) or (end and str(row[5])[:10] > end)))
    if outside:
        warnings.append(problem("export_outside_round", file, None, "测评日期", n=outside,
                                start=start or "…", end=end or "…"))
    return warnings


def _belts(db_path: str | Path, results: Sequence[VillageResult]) -> dict[str, list[str]]:
    """Village code -> its demonstration belts, nearest road first."""
    from geo.belts import belt_membership, village_belts
    from survey.roads import load_roads

    roads = load_roads(db_path)
    if not roads:
        return {}
    return village_belts(belt_membership([r.village for r in results], roads, store.belt_overrides(db_path)))


def build(db_path: str | Path, user: User, round_id: str, county: str | None = None) -> list[CountyExport]:
    """Both tables of ``round_id`` for ``county`` (every county of the user's scope when None),
    sorted by county. The provincial files speak for a whole county, so only a county-wide
    scope exports (reviewers and administrators; ``export_county_only`` for a scope of some
    townships). :class:`NotFound` for an unknown round or county, or one outside the scope."""
    from survey.service import rubric_for_round
    from survey.targets import targets_from_store, township_table

    scope = user.scope
    if not user.reviews:
        raise UsageError("forbidden")
    if scope.townships:
        raise UsageError("export_county_only")
    counties = {c: n for c, n in store.counties(db_path).items() if scope.allows_county(c)}  # else unknown
    county = county or scope.county
    if county is not None and county not in counties:
        raise NotFound("county_unknown", value=county, known="、".join(counties) or "（无 none）")
    rnd = store.get_round(db_path, round_id)
    wanted = {county: counties[county]} if county is not None else counties
    results = store.round_results(db_path, round_id, county)
    towns = store.townships(db_path, county)
    table = township_table(results, targets_from_store(db_path), towns, rnd.counts)
    villages: dict[str, list[list]] = defaultdict(list)
    for row in village_rows(results, rubric_for_round(db_path, round_id), _belts(db_path, results)):
        villages[county_of(row[0])].append(row)
    townships: dict[str, list[TownshipRow]] = defaultdict(list)
    for t in table:
        townships[t.county_code].append(t)
    return [
        CountyExport(county_code=code, county=name, round_id=round_id, villages=villages[code],
                     townships=township_rows(townships[code]))
        for code, name in sorted(wanted.items())
    ]


@dataclass(frozen=True)
class ExportResult:
    files: list[Path]
    warnings: list[Problem] = field(default_factory=list)


def export_round(
    db_path: str | Path,
    user: User,
    round_id: str,
    out_dir: str | Path,
    encoding: str = "utf-8-sig",
    county: str | None = None,
) -> ExportResult:
    """Write ``villages_<county>_<round>.csv`` and ``townships_<county>_<round>.csv`` for each
    county into ``out_dir``. Everything is checked and built before the first file is written;
    each file is written atomically."""
    check_encoding(encoding)
    exports = build(db_path, user, round_id, county)
    contents: dict[str, bytes] = {}
    warnings: list[Problem] = []
    for e in exports:
        files, w = e.csv_pair(encoding)
        contents.update(files)
        warnings.extend(w)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return ExportResult([atomic_write(out / name, data) for name, data in contents.items()], warnings)


def csv_zip(exports: Iterable[CountyExport], encoding: str = "utf-8-sig") -> tuple[bytes, list[Problem]]:
    """The CSV pair(s) in one zip archive (for a download button), and their warnings."""
    buf = io.BytesIO()
    warnings: list[Problem] = []
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for e in exports:
            files, w = e.csv_pair(encoding)
            warnings.extend(w)
            for name, data in files.items():
                zf.writestr(name, data)
    return buf.getvalue(), warnings


# --- companions ---------------------------------------------------------------------------------

_XLSX_FORMATS = {"code": "@", "dec1": "0.0", "coord": "0.000000"}


def _number(value: Any, kind: str) -> Any:
    """A numeric value as the CSV shows it: one decimal (half up), six for coordinates, ints."""
    if kind == "dec1":
        return float(fmt1(value))
    if kind == "coord":
        return round(float(value), 6)
    return int(value)


def _xlsx_text(value: Any) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", guard(str(value)))


def xlsx_bytes(export: CountyExport) -> bytes:
    """One workbook, sheets 村级测评 and 乡镇汇总, with code cells stored as text cells
    (number format ``@``), so a 12-digit code never shows as 4.2E+11."""
    return workbook_bytes(((SHEET_VILLAGES, VILLAGE_COLUMNS, export.villages),
                           (SHEET_TOWNSHIPS, TOWNSHIP_COLUMNS, export.townships)))


def workbook_bytes(sheets: Iterable[tuple[str, Sequence[Column], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook of ``(title, columns, rows)`` sheets, cells formatted by their column's kind
    as the CSV dialect does: text guarded against formulas, codes as text cells (``@``), one
    decimal, six for coordinates, integers; a bold header row, frozen."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, columns, rows in sheets:
        ws = wb.create_sheet(title)
        ws.freeze_panes = "A2"
        for i, c in enumerate(columns, 1):
            width = 16 if c.kind == "code" else max(8, 2 * len(c.header) + 2)
            ws.column_dimensions[get_column_letter(i)].width = width
        header = []
        for c in columns:
            cell = WriteOnlyCell(ws, value=c.header)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        kinds = [c.kind for c in columns]
        for row in rows:
            cells: list[Any] = []
            for value, kind in zip(row, kinds, strict=True):
                if value is None:
                    cells.append(None)
                elif kind == "text":
                    cells.append(_xlsx_text(value))
                elif kind == "int":
                    cells.append(int(value))
                else:
                    cell = WriteOnlyCell(ws, value=str(value) if kind == "code" else _number(value, kind))
                    cell.number_format = _XLSX_FORMATS[kind]
                    cells.append(cell)
            ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def geojson_bytes(export: CountyExport) -> bytes:
    """The village table as a GeoJSON FeatureCollection of points (EPSG:4326, lon/lat), one
    feature per row, the spec's headers as property names. A village with no point has a null
    geometry."""
    kinds = [c.kind for c in VILLAGE_COLUMNS]
    headers = [c.header for c in VILLAGE_COLUMNS]
    i_lon, i_lat = headers.index("经度"), headers.index("纬度")
    features = []
    for row in export.villages:
        props = {
            h: None if v is None else guard(str(v)) if k == "text" else v if k == "code" else _number(v, k)
            for h, v, k in zip(headers, row, kinds, strict=True)
        }
        lon, lat = props[headers[i_lon]], props[headers[i_lat]]
        geometry = None if lon is None or lat is None else {"type": "Point", "coordinates": [lon, lat]}
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    doc = {"type": "FeatureCollection", "name": export.geojson_file.removesuffix(".geojson"), "features": features}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def write_xlsx(export: CountyExport, out_dir: str | Path) -> Path:
    """Write the workbook of ``export`` atomically into ``out_dir``."""
    return atomic_write(Path(out_dir) / export.xlsx_file, xlsx_bytes(export))


def write_geojson(export: CountyExport, out_dir: str | Path) -> Path:
    """Write the village GeoJSON of ``export`` atomically into ``out_dir``."""
    return atomic_write(Path(out_dir) / export.geojson_file, geojson_bytes(export))


def preview(columns: Sequence[Column], rows: Sequence[Sequence[object]]):
    """A pandas DataFrame of the text exactly as the CSV file holds it (for the page)."""
    import pandas as pd

    return pd.DataFrame(format_rows(columns, rows), columns=[c.header for c in columns], dtype=str)
