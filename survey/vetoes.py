"""Vetoes (一票否决) as records kept by the county office.

A veto is a fact of the past year held by another department (discipline inspection, police,
emergency management, credit): a village, or a whole township (a township leader's case applies
to all its villages), a veto item of the rubric, the date of the event, the source department,
the document number, who entered it. A confirmed record is in force from its date for
``veto_months`` months (a setting, default 12): the day of the event up to the day before the
same date ``veto_months`` later (a 29 February event: the end of February). It applies to every
counting submission of its villages dated within that window, whatever round: the store applies
the records to the stored results in the same transaction as any change of a record (or of the
``veto_months`` setting) and as every new submission, audited, so every reader of
``passed``/``veto`` sees them.

A surveyor may *report* a suspected veto with a submission (its ``veto`` list): it counts only
once the office confirms it (a record with the date, source and document it then gives), or it
is rejected with a reason. A record entered by mistake is withdrawn with a reason; nothing is
ever deleted. Records also come from a CSV/XLSX file (interchange.md, Vetoes).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import config
from core.constants import TOWNSHIP_DIGITS, county_of, real_date
from core.errors import DataError, NotFound, Problem, UsageError, problem
from survey import store
from survey.auth import User

CONFIRMED, WITHDRAWN, REJECTED = "confirmed", "withdrawn", "rejected"

#: field -> accepted headers of the import file (interchange.md, Vetoes).
FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("区划代码", "code"),
    "item": ("否决事项", "否决编码", "item"),
    "date": ("发生日期", "date"),
    "source": ("来源部门", "source"),
    "document": ("文号", "document"),
}
REQUIRED = ("code", "item", "date", "source")


# --- the window ------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months; a day the month lacks becomes its last day
    (31 January + 1 month = 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def window_end(event: str, months: int) -> str:
    """The first day a record dated ``event`` (YYYY-MM-DD) is no longer in force."""
    return add_months(dt.date.fromisoformat(event), months).isoformat()


def in_force(event: str, day: str, months: int) -> bool:
    """True when a record dated ``event`` applies to an assessment dated ``day``: from the event
    up to the day before the same date ``months`` later (ISO dates compare as text)."""
    return event <= day < window_end(event, months)


# --- records ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """A veto record as stored. ``code``: a village (12 digits) or a township (9 digits)."""

    id: str
    code: str
    county: str
    item: str
    date: str
    source: str
    document: str | None
    status: str  # confirmed / withdrawn / rejected
    report: str | None  # the submission whose report it decided
    entered_by: str
    entered_at: str
    decided_by: str | None = None
    decided_at: str | None = None
    reason: str | None = None
    place: str = ""  # the village's or township's name
    until: str = ""  # the first day no longer in force (confirmed records)

    @property
    def last_day(self) -> str:
        """The last day in force (the day before ``until``); empty unless confirmed."""
        if not self.until:
            return ""
        return (dt.date.fromisoformat(self.until) - dt.timedelta(days=1)).isoformat()

    @property
    def township_wide(self) -> bool:
        return len(self.code) == TOWNSHIP_DIGITS

    def applies_on(self, day: str) -> bool:
        return self.status == CONFIRMED and self.date <= day < self.until


@dataclass(frozen=True)
class Report:
    """A suspected veto reported by a surveyor with a submission, not yet decided."""

    submission_id: str
    village: str
    village_name: str
    township: str
    round_id: str
    date: str
    surveyor: str
    item: str


class NewRecord(dict):
    """The fields of a record to store (code, county_code, item, date, source, document)."""


def _record(row: dict[str, Any], months: int) -> Record:
    return Record(
        id=row["id"], code=row["code"], county=row["county_code"], item=row["item"], date=row["date"],
        source=row["source"], document=row["document"], status=row["status"], report=row["report"],
        entered_by=row["entered_by"], entered_at=row["entered_at"], decided_by=row["decided_by"],
        decided_at=row["decided_at"], reason=row["reason"], place=row.get("place") or "",
        until=window_end(row["date"], months) if row["status"] == CONFIRMED else "")


def _months(db_path: str | Path) -> dict[str, int]:
    """County code (and ``""``) -> veto_months in force."""
    from survey import settings

    b = settings.book(db_path)
    out = {"": b.settings(None).veto_months}
    for county in store.counties(db_path):
        out[county] = b.settings(county).veto_months
    return out


def records(db_path: str | Path, user: User, county: str | None = None, code: str | None = None,
            statuses: tuple[str, ...] = ()) -> list[Record]:
    """The veto records in the user's scope (optionally of one county, of one village — with
    the records of its township — or township, of some states), newest event first. Reviewers
    and administrators."""
    if not user.reviews:
        raise UsageError("forbidden")
    scope = user.scope
    if county:
        scope.check_county(county)
    if code:
        scope.check(code)
    months = _months(db_path)
    rows = store.veto_rows(db_path, county=county or scope.county, code=code, statuses=statuses)
    return [_record(r, months.get(r["county_code"], months[""])) for r in rows
            if scope.allows(r["code"])]


def in_force_for(db_path: str | Path, user: User, village_code: str, day: str | dt.date | None = None) -> list[Record]:
    """The confirmed records that apply to ``village_code`` on ``day`` (default: today in the
    county's time zone): its own and its township's. What the tablet shows before the surveyor
    answers anything. Surveyors (of their villages), reviewers and administrators."""
    user.scope.check(village_code)
    day = (day or config.today())
    day = day.isoformat() if isinstance(day, dt.date) else day
    months = _months(db_path)
    n = months.get(county_of(village_code), months[""])
    out = [_record(r, n) for r in store.veto_rows(db_path, code=village_code, statuses=(CONFIRMED,))]
    return sorted((r for r in out if r.applies_on(day)), key=lambda r: (r.date, r.item, r.id))


def reports(db_path: str | Path, user: User, county: str | None = None) -> list[Report]:
    """The suspected vetoes reported with submissions (not returned) in the user's scope that
    the office has not decided yet, oldest first. Reviewers and administrators."""
    if not user.reviews:
        raise UsageError("forbidden")
    scope = user.scope
    if county:
        scope.check_county(county)
    return [Report(**r) for r in store.veto_reports(db_path, county=county or scope.county)
            if scope.allows(r["village"])]


# --- checks --------------------------------------------------------------------------------------


def _check(rubric, place: str, item: str, date: str, source: str, known_places: dict[str, str],
           file: str, line: int | None, columns: dict[str, str], today: dt.date) -> list[Problem]:
    """Every problem of one record: code, item, date (real, not in the future), source."""
    problems = []
    if not re.fullmatch(r"\d{12}|\d{9}", place):
        problems.append(problem("veto_code", file, line, columns["code"], value=place))
    elif place not in known_places:
        problems.append(problem("place_unknown", file, line, columns["code"], value=place))
    codes = [v.code for v in rubric.veto]
    if item not in codes:
        problems.append(problem("veto_item_unknown", file, line, columns["item"], value=item,
                                known="/".join(codes)))
    if not real_date(date):
        problems.append(problem("date", file, line, columns["date"], value=date))
    elif date > today.isoformat():
        problems.append(problem("veto_date_future", file, line, columns["date"], value=date,
                                today=today.isoformat()))
    if not source.strip():
        problems.append(problem("veto_source", file, line, columns["source"]))
    return problems


def _places(db_path: str | Path) -> dict[str, str]:
    """Village and township code -> name."""
    out = {code: name for code, (name, _c) in store.townships(db_path).items()}
    out.update((v.code, v.name) for v in store.villages(db_path))
    return out


def _rubric():
    from survey.rubric import load_rubric

    return load_rubric()


#: How a form's fields are named in its messages (the import file's own headers).
_FORM_COLUMNS = {field: names[0] for field, names in FIELDS.items()}


def add(db_path: str | Path, user: User, code: str, item: str, date: str, source: str,
        document: str | None = None, today: dt.date | None = None) -> Record:
    """Enter a confirmed record (reviewers and administrators, the place in scope). A future
    date, an unknown item or place, no source: :class:`DataError`, nothing written."""
    if not user.reviews:
        raise UsageError("forbidden")
    code, item, date, source = (code or "").strip(), (item or "").strip(), (date or "").strip(), (source or "").strip()
    if re.fullmatch(r"\d{12}|\d{9}", code):
        user.scope.check(code)
    problems = _check(_rubric(), code, item, date, source, _places(db_path), "否决记录 veto record", None,
                      _FORM_COLUMNS, today or config.today())
    if problems:
        raise DataError(problems)
    new = NewRecord(id=uuid.uuid4().hex, code=code, county_code=county_of(code), item=item, date=date,
                    source=source, document=(document or "").strip() or None)
    store.add_veto_records(db_path, [new], actor=user.name)
    return next(r for r in records(db_path, user, code=code) if r.id == new["id"])


def confirm(db_path: str | Path, user: User, submission_id: str, item: str, date: str, source: str,
            document: str | None = None, today: dt.date | None = None) -> Record:
    """Confirm a surveyor's report: a confirmed record of the submission's village with the
    event's date, source and document, which then applies (to that submission too, when its
    date is in the window)."""
    report = _report(db_path, user, submission_id, item)
    date, source = (date or "").strip(), (source or "").strip()
    problems = _check(_rubric(), report.village, item, date, source, _places(db_path), "否决记录 veto record",
                      None, _FORM_COLUMNS, today or config.today())
    if problems:
        raise DataError(problems)
    new = NewRecord(id=uuid.uuid4().hex, code=report.village, county_code=county_of(report.village), item=item,
                    date=date, source=source, document=(document or "").strip() or None, report=submission_id)
    store.add_veto_records(db_path, [new], actor=user.name)
    return next(r for r in records(db_path, user, code=report.village) if r.id == new["id"])


def reject(db_path: str | Path, user: User, submission_id: str, item: str, reason: str) -> None:
    """Decide a surveyor's report as not a veto, with the reason (kept, never counted)."""
    report = _report(db_path, user, submission_id, item)
    if not (reason or "").strip():
        raise UsageError("veto_reason")
    store.reject_veto_report(db_path, uuid.uuid4().hex, report.village, county_of(report.village), item,
                             report.date, submission_id, reason.strip(), actor=user.name)


def withdraw(db_path: str | Path, user: User, record_id: str, reason: str) -> None:
    """Withdraw a confirmed record entered by mistake (撤销), with the reason: it no longer
    applies, and the results it reached are applied again without it."""
    if not user.reviews:
        raise UsageError("forbidden")
    found = [r for r in records(db_path, user) if r.id == record_id]
    if not found:
        raise NotFound("veto_record_unknown", value=record_id)
    if found[0].status != CONFIRMED:
        raise UsageError("veto_record_state", value=record_id, state=found[0].status, action="撤销 withdrawn")
    if not (reason or "").strip():
        raise UsageError("veto_reason")
    store.withdraw_veto_record(db_path, record_id, reason.strip(), actor=user.name)


def _report(db_path: str | Path, user: User, submission_id: str, item: str) -> Report:
    for r in reports(db_path, user):
        if r.submission_id == submission_id and r.item == item:
            return r
    raise NotFound("submission_unknown", value=f"{submission_id} {item}")


# --- the import file ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VetoImport:
    added: int
    updated: int
    unchanged: int


def read_vetoes(path: str | Path, rubric, places: dict[str, str], today: dt.date,
                display_name: str | None = None) -> list[NewRecord]:
    """Read and check a veto file (CSV in UTF-8, UTF-8 with BOM or GBK/GB18030; XLSX; XLS):
    every problem of every row at once (``FILE:LINE: column: message``), or the records."""
    from survey.registry import read_table

    name = display_name or str(path)
    table, columns = read_table(Path(path), name, FIELDS, REQUIRED)
    problems: list[Problem] = []
    out: list[NewRecord] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, get in table:
        code, item, date, source, document = ((get(f) or "") for f in ("code", "item", "date", "source", "document"))
        found = _check(rubric, code, item, date, source, places, name, line, columns, today)
        key = (code, item, date)
        if not found and key in seen:
            found.append(problem("veto_duplicate", name, line, columns["code"], first=seen[key]))
        seen.setdefault(key, line)
        problems.extend(found)
        if not found:
            out.append(NewRecord(code=code, county_code=county_of(code), item=item, date=date, source=source.strip(),
                                 document=document.strip() or None))
    if problems:
        raise DataError(problems)
    if not out:
        raise DataError([problem("file_empty", name)])
    return out


def import_file(db_path: str | Path, user: User, path: str | Path, display_name: str | None = None,
                today: dt.date | None = None) -> VetoImport:
    """``import-vetoes FILE``: confirmed records from a file, all or nothing (administrators).
    A record is known by its place, item and date: importing the same file again changes
    nothing; a known record with another source or document is updated; a withdrawn one is
    left withdrawn."""
    if not user.admin:
        raise UsageError("forbidden")
    rows = read_vetoes(path, _rubric(), _places(db_path), today or config.today(), display_name)
    for r in rows:
        r["id"] = uuid.uuid4().hex
    added, updated, unchanged = store.add_veto_records(db_path, rows, actor=user.name)
    return VetoImport(added, updated, unchanged)


def import_bytes(db_path: str | Path, user: User, data: bytes, filename: str) -> VetoImport:
    """:func:`import_file` for an upload (the veto page)."""
    import tempfile

    from core import limits

    name = limits.upload_name(filename)
    suffix = Path(name).suffix.lower()
    limits.check_size(len(data), limits.TABLE_BYTES, name)
    with tempfile.TemporaryDirectory(prefix="xiangfeng-vetoes-") as tmp:
        file = Path(tmp) / f"upload{suffix}"
        file.write_bytes(data)
        return import_file(db_path, user, file, display_name=name)


def labels(rubric) -> dict[str, str]:
    """Veto code -> its short Chinese name."""
    return {v.code: v.name for v in rubric.veto}


def record_records(items: Iterable[Record], names: dict[str, str]) -> list[dict[str, Any]]:
    """Records as table rows (neutral column ids; the page translates the headers)."""
    return [{"place": r.place or r.code, "code": r.code, "scope": "township" if r.township_wide else "village",
             "item": f"{r.item} {names.get(r.item, '')}".strip(), "date": r.date, "until": r.last_day,
             "source": r.source, "document": r.document or "", "status": r.status,
             "entered_by": r.entered_by, "reason": r.reason or "", "id": r.id} for r in items]
