"""The fix-it ledger (整改台账): every finding driven to closure (brief §5; ../shared/spec/ledger.md).

An approval opens one entry per finding of the submission (a check not met, a count with
problems, a grade below the best: exactly what the villages file counts as 问题数), in the
approval's own transaction (:func:`plan` builds them, :func:`survey.store.decide` writes them),
with the surveyor's note in its text and the submission's photos of the item as its "before"
evidence. Its deadline is the approval's day plus the item's fix days (:func:`fix_days`). An
officer may open one by hand (:func:`open_by_hand`). Then:

- a township liaison (乡镇联络员) reports the fix: what was done, photos after (:func:`report_fix`):
  待整改 → 已整改; it can close nothing;
- a surveyor or reviewer re-checks on the spot with a photo (:func:`recheck`): passed →
  已销号; not passed → 待整改 again, with a new deadline and one more failed re-check.

States move only along open → fixed → closed, or fixed → open; each move is audited in its own
transaction. An entry past its deadline and not closed is overdue (逾期). A finding of an item
whose earlier entry in the same village is still open, or was closed within the last
:data:`RECUR_ROUNDS` rounds, is linked to it: recurring (反复出现).

Everything takes the signed-in user and works within its scope: an entry out of scope looks
exactly like an unknown one. Dates are calendar dates in the county's time zone
(:func:`core.config.today`); every function that decides by the date takes ``today`` (tests
inject the clock). Nothing of the ledger goes into the provincial CSV pair.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from core import config
from core.errors import DataError, NotFound, UsageError
from core.model import LEDGER_CLOSED, LEDGER_FIXED, LEDGER_LABELS, LEDGER_OPEN, Round
from survey import photos as photo_prep
from survey import store
from survey.auth import ADMIN, LIAISON, REVIEWER, SURVEYOR, Scope, User
from survey.csvio import Column, atomic_write, csv_bytes
from survey.rubric import Item, Rubric

#: Days to fix by severity (brief §5) when neither the rubric nor the county says otherwise.
DEFAULT_DAYS: dict[str, int] = {"hygiene": 7, "facility": 30}
#: Days to fix an item that has neither its own ``fix_days`` nor a ``severity``.
DEFAULT_FIX_DAYS = 30
#: An earlier entry closed within this many rounds before a new finding makes it recurring.
RECUR_ROUNDS = 2
#: Photos one move may carry.
MAX_PHOTOS = 9
#: The ``status`` filter's values: the three states and "overdue".
OVERDUE = "overdue"
STATUSES: tuple[str, ...] = (LEDGER_OPEN, LEDGER_FIXED, LEDGER_CLOSED, OVERDUE)

#: The ledger file (ledger.md, version 1), in the order of the spec.
COLUMNS: tuple[Column, ...] = (
    Column("编号", "int"),
    Column("区划代码", "code"),
    Column("县"),
    Column("乡镇"),
    Column("村"),
    Column("测评轮次"),
    Column("项目编码"),
    Column("问题"),
    Column("发现日期"),
    Column("整改期限"),
    Column("状态"),
    Column("逾期"),
    Column("反复出现"),
    Column("复查未通过次数", "int"),
    Column("销号日期"),
)
SHEET = "台账"


# --- deadlines and the text of a finding ----------------------------------------------------------


def days_per_severity(county: str | None, rubric: Rubric) -> dict[str, int]:
    """Days to fix per severity in ``county``: the rubric's table (``rubric.yaml``
    ``fix_days``) over :data:`DEFAULT_DAYS`. The one place that will read a county's own
    setting when the county settings file comes."""
    return {**DEFAULT_DAYS, **dict(rubric.fix_days)}


def fix_days(item: Item, rubric: Rubric, per_severity: Mapping[str, int]) -> int:
    """The days ``item`` gives to fix it: its own ``fix_days`` when set on the item, else its
    severity's days in the county (``per_severity``), else :data:`DEFAULT_FIX_DAYS`. (The
    rubric fills an item's ``fix_days`` from its severity when the item sets none: a value
    equal to the rubric's for that severity counts as the severity's, so a county's days
    apply to it.)"""
    table = dict(rubric.fix_days)
    own = item.fix_days is not None and not (item.severity and item.fix_days == table.get(item.severity))
    if own:
        return item.fix_days  # type: ignore[return-value]
    if item.severity in per_severity:
        return per_severity[item.severity]  # type: ignore[index]
    return item.fix_days if item.fix_days is not None else DEFAULT_FIX_DAYS


def deadline(day: date, days: int) -> date:
    """The last day to fix: ``days`` calendar days after ``day``."""
    return day + timedelta(days=days)


def answer_text(item: Item | None, value: Any) -> str:
    """What was found, in words: 不符合 (check), N 处 (count), 评为 B (grade)."""
    if item is None or item.type == "grade":
        return f"评为 {value}"
    return "不符合" if item.type == "check" else f"{value} 处"


def finding_text(item: Item | None, code: str, value: Any, note: str | None = None,
                 unmet: Sequence[str] = ()) -> str:
    """The 问题 of an entry: the item's text with what was found, the criteria not met (grade
    items), the surveyor's note. ``code``: the item's code (its text when the rubric no longer
    has it)."""
    parts = [f"{item.text if item else code}（{answer_text(item, value)}）"]
    if unmet:
        parts.append("未达子项：" + "、".join(unmet))
    if note and note.strip():
        parts.append(f"测评员记录：{note.strip()}")
    return "；".join(parts)


def _round_start(r: Round) -> str:
    return (r.start_date or r.created_at or "")[:10]


def recur_since(rounds: Sequence[Round], round_id: str) -> str:
    """The date from which a closed entry still makes a finding of ``round_id`` recurring: the
    start of the :data:`RECUR_ROUNDS`-th round before it ("" when fewer rounds came before: any
    closed entry counts). ``rounds``: oldest first."""
    from survey.trends import counting

    ids = [r.id for r in rounds]
    before = [r for r in rounds[:ids.index(round_id)] if counting(r)] if round_id in ids else []
    return _round_start(before[-RECUR_ROUNDS]) if len(before) >= RECUR_ROUNDS else ""


def plan(db_path: str | Path, submission_ids: Sequence[str], today: date | None = None,
         rubric: Rubric | None = None) -> list[store.NewEntry]:
    """The entries approving ``submission_ids`` opens: one per finding, found on the
    assessment's date, due ``today`` (the approval's day) plus the item's fix days. Which of
    them exist already (and which recur) the store decides in the approval's transaction."""
    from survey.rubric import load_rubric

    rubric = rubric or load_rubric()
    today = today or config.today()
    findings = store.finding_rows(db_path, submission_ids)
    if not findings:
        return []
    items = {i.code: i for i in rubric.items}
    rounds = store.rounds(db_path)
    since: dict[str, str] = {}
    days: dict[str, dict[str, int]] = {}
    out = []
    for f in findings:
        county = f["village_code"][:6]
        per_severity = days.get(county) or days.setdefault(county, days_per_severity(county, rubric))
        item = items.get(f["item_code"])
        n = fix_days(item, rubric, per_severity) if item else DEFAULT_FIX_DAYS
        if f["round_id"] not in since:
            since[f["round_id"]] = recur_since(rounds, f["round_id"])
        out.append(store.NewEntry(
            village_code=f["village_code"], round_id=f["round_id"], item_code=f["item_code"],
            submission_id=f["submission_id"],
            problem=finding_text(item, f["item_code"], f["value"], f["note"], f["unmet"]),
            found_on=f["date"], deadline=deadline(today, n).isoformat(), recur_since=since[f["round_id"]]))
    return out


# --- entries ----------------------------------------------------------------------------------


class Entry(NamedTuple):
    """One entry of the ledger as a user sees it (``overdue`` decided on the day it was read).
    A named tuple: a county's ledger page builds thousands."""

    id: int
    village_code: str
    village: str
    township_code: str
    township: str
    county_code: str
    county: str | None
    round_id: str | None
    item_code: str | None
    submission_id: str | None
    source: str  # approval / manual
    problem: str
    found_on: str
    deadline: str
    status: str  # open / fixed / closed
    failed_rechecks: int
    recurs: int | None  # the earlier entry of the same village and item it recurs after
    fix_text: str | None
    fixed_by: str | None
    fixed_at: str | None
    recheck_note: str | None
    rechecked_by: str | None
    rechecked_at: str | None
    closed_on: str | None
    opened_by: str
    opened_at: str
    overdue: bool = False

    @property
    def recurring(self) -> bool:
        return self.recurs is not None

    @property
    def status_label(self) -> str:
        return LEDGER_LABELS[self.status]


def _entries(rows: Iterable[tuple], today: str) -> list[Entry]:
    """Entries from the store's rows (:data:`survey.store.ledger.ENTRY_COLUMNS`, which are
    :class:`Entry`'s fields but ``overdue``), built by position."""
    new = tuple.__new__
    status, deadline = Entry._fields.index("status"), Entry._fields.index("deadline")
    return [new(Entry, (*r, r[status] != LEDGER_CLOSED and r[deadline] < today)) for r in rows]


def attention(entries: Iterable[Entry]) -> list[Entry]:
    """Overdue first, then recurring, then by deadline, village code and id."""
    return sorted(entries, key=lambda e: (not e.overdue, not e.recurring, e.deadline, e.village_code, e.id))


def _today(today: date | None) -> date:
    return today or config.today()


def _read(db_path: str | Path, scope: Scope, today: date, **filters: Any) -> list[Entry]:
    """Entries within ``scope`` (a county filter, when given, was checked against it)."""
    county = filters.pop("county", None) or scope.county
    return _entries(store.ledger_entries(db_path, county=county, townships=scope.townships, **filters),
                    today.isoformat())


def _status_filter(status: str | None) -> tuple[str, ...]:
    if status in (None, ""):
        return ()
    if status not in STATUSES:
        raise UsageError("ledger_status", value=status)
    return () if status == OVERDUE else (status,)


def entries(db_path: str | Path, user: User, round_id: str | None = None, county: str | None = None,
            township: str | None = None, status: str | None = None, item: str | None = None,
            section: str | None = None, village: str | None = None, today: date | None = None,
            rubric: Rubric | None = None) -> list[Entry]:
    """The entries in the user's scope, by village code, item and id; filtered by round,
    county, township, village, status (open, fixed, closed or overdue), item code and rubric
    section. :class:`UsageError` for an unknown status; a county out of scope is unknown."""
    wanted = _status_filter(status)
    if county:
        user.scope.check_county(county)
    if township:
        user.scope.check(township)
    if village:
        user.scope.check(village)
    items: list[str] | None = None
    if section:
        from survey.rubric import load_rubric

        items = [i.code for s in (rubric or load_rubric()).sections if s.code == section for i in s.items]
    if item:
        items = [item] if items is None or item in items else []
    found = _read(db_path, user.scope, _today(today), county=county, township=township, village=village,
                  round_id=round_id, items=items, statuses=wanted)
    return [e for e in found if e.overdue] if status == OVERDUE else found


def entry(db_path: str | Path, user: User, entry_id: int | str, today: date | None = None) -> Entry:
    """One entry in the user's scope; :class:`NotFound` (``ledger_unknown``) otherwise."""
    try:
        wanted = int(entry_id)
    except (TypeError, ValueError):
        raise NotFound("ledger_unknown", value=entry_id) from None
    found = _read(db_path, user.scope, _today(today), ids=[wanted])
    if not found:
        raise NotFound("ledger_unknown", value=entry_id)
    return found[0]


def worklist(db_path: str | Path, user: User, today: date | None = None) -> list[Entry]:
    """What a township liaison has to fix: the open entries (待整改) of its villages, overdue
    first, then recurring, then by deadline."""
    if user.role not in (LIAISON, REVIEWER, ADMIN):
        raise UsageError("forbidden")
    return attention(_read(db_path, user.scope, _today(today), statuses=(LEDGER_OPEN,)))


def to_recheck(db_path: str | Path, user: User, village: str | None = None,
               today: date | None = None) -> list[Entry]:
    """The fixed entries (已整改) waiting for a re-check in the user's scope (of one village),
    overdue first."""
    if user.role not in (SURVEYOR, REVIEWER, ADMIN):
        raise UsageError("forbidden")
    if village:
        user.scope.check(village)
    return attention(_read(db_path, user.scope, _today(today), village=village, statuses=(LEDGER_FIXED,)))


@dataclass(frozen=True)
class Counts:
    """How many entries are in each state, overdue and recurring."""

    open: int = 0
    fixed: int = 0
    closed: int = 0
    overdue: int = 0
    recurring: int = 0

    @property
    def total(self) -> int:
        return self.open + self.fixed + self.closed


def counts(found: Iterable[Entry]) -> Counts:
    tally: Counter[str] = Counter()
    for e in found:
        tally[e.status] += 1
        tally["overdue"] += e.overdue
        tally["recurring"] += e.recurring
    return Counts(**tally)


@dataclass(frozen=True)
class Ledger:
    """What the county office's ledger page shows: the entries (overdue and recurring first),
    the counts by state, and each township's counts (by township code, with its name)."""

    entries: list[Entry]
    counts: Counts
    townships: dict[str, tuple[str, Counts]] = field(default_factory=dict)


def county_ledger(db_path: str | Path, user: User, county: str, round_id: str | None = None,
                  township: str | None = None, status: str | None = None, item: str | None = None,
                  section: str | None = None, today: date | None = None) -> Ledger:
    """The ledger page's data for one county (reviewers and administrators): filtered entries
    in attention order, counts by state, and by township."""
    if not user.reviews:
        raise UsageError("forbidden")
    found = entries(db_path, user, round_id, county, township, status, item, section, today=today)
    by_town: dict[str, list[Entry]] = {}
    for e in found:
        by_town.setdefault(e.township_code, []).append(e)
    towns = {code: (group[0].township, counts(group)) for code, group in sorted(by_town.items())}
    return Ledger(attention(found), counts(found), towns)


def township_counts(db_path: str | Path, user: User, county: str,
                    today: date | None = None) -> dict[str, dict[str, int]]:
    """Township code -> its entries ``open``, ``fixed``, ``closed``, ``overdue``, ``recurring``
    (for the dashboard's township table), within the user's scope."""
    user.scope.check_county(county)
    found = store.ledger_counts(db_path, county, _today(today).isoformat())
    return {code: c for code, c in found.items() if user.scope.allows(code)}


# --- photos ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Photo:
    """A photo of an entry: ``before`` (the finding), ``after`` (the fix) or ``recheck``."""

    id: str
    kind: str
    taken_by: str
    created_at: str
    width: int
    height: int


def entry_photos(db_path: str | Path, user: User, entry_id: int) -> list[Photo]:
    """The photos of an entry in scope, oldest first."""
    found = entry(db_path, user, entry_id)
    return [Photo(p["id"], p["kind"], p["taken_by"], p["created_at"], p["width"], p["height"])
            for p in store.entry_photos(db_path, [found.id])[found.id]]


def photo(db_path: str | Path, user: User, entry_id: int, photo_id: str, side: int | None = None) -> bytes:
    """The JPEG of one photo of an entry in scope (a thumbnail of ``side`` pixels when given)."""
    if photo_id not in {p.id for p in entry_photos(db_path, user, entry_id)}:
        raise NotFound("photo_unknown", value=photo_id)
    jpeg = store.ledger_photo_jpeg(db_path, photo_id)
    return photo_prep.thumbnail(jpeg, side) if side else jpeg


def needs_photo(found: Sequence[Photo]) -> bool:
    """Whether an entry's evidence is a photo (it has a "before" photo): then a fix needs an
    after-photo, and a re-check a photo."""
    return any(p.kind == "before" for p in found)


_ROLE_STAMP = {LIAISON: "乡镇联络员", SURVEYOR: "测评员", REVIEWER: "县文明办", ADMIN: "县文明办"}


def _prepare(db_path: str | Path, user: User, found: Entry, files: Sequence[tuple[bytes, str]],
             kind: str, when: str | None) -> list[tuple[str, store.NewPhoto]]:
    """Every photo upright, downscaled and watermarked (village, time, who), before any write;
    :class:`DataError` naming every file that is not a picture."""
    if len(files) > MAX_PHOTOS:
        raise UsageError("ledger_photos_many", limit=MAX_PHOTOS, n=len(files))
    stamp = when or config.now().strftime("%Y-%m-%d %H:%M")
    lines = [f"{found.village} {found.village_code}", stamp,
             f"{_ROLE_STAMP.get(user.role, '')} {user.display_name}".strip()]
    out, problems = [], []
    for data, name in files:
        try:
            p = photo_prep.prepare(data, lines, filename=name)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        out.append((kind, store.NewPhoto(found.item_code or "", p.sha256, p.jpeg, p.width, p.height)))
    if problems:
        raise DataError(problems)
    return out


# --- moves ----------------------------------------------------------------------------------------

_MOVE_FIX = ("标记已整改", "marked fixed")
_MOVE_RECHECK = ("复查", "re-checked")


def _text(value: str | None, key: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise UsageError(key)
    if len(text) > limit:
        raise UsageError("text_long", n=len(text), limit=limit)
    return text


def _check_day(day: date, today: date) -> str:
    if day < today:
        raise UsageError("ledger_deadline_past", value=day.isoformat(), today=today.isoformat())
    return day.isoformat()


def report_fix(db_path: str | Path, user: User, entry_id: int, text: str,
               files: Sequence[tuple[bytes, str]] = (), today: date | None = None,
               when: str | None = None) -> Entry:
    """待整改 → 已整改: what was done (required) and photos after the fix (``files``: (bytes,
    file name); at least one when the entry's evidence is a photo). A township liaison of the
    village's township, or the county office recording a fix reported on paper."""
    from core import limits

    if user.role not in (LIAISON, REVIEWER, ADMIN):
        raise UsageError("forbidden")
    found = entry(db_path, user, entry_id, today)
    if found.status != LEDGER_OPEN:
        raise UsageError("ledger_move", value=found.id, status=found.status_label, status_en=found.status,
                         move=_MOVE_FIX[0], move_en=_MOVE_FIX[1])
    described = _text(text, "ledger_fix_text", limits.NOTE_CHARS)
    had = entry_photos(db_path, user, found.id)
    if needs_photo(had) and not files:
        raise UsageError("ledger_after_photo")
    pictures = _prepare(db_path, user, found, files, "after", when)
    store.move_entry(db_path, found.id, LEDGER_OPEN, {
        "status": LEDGER_FIXED, "fix_text": described, "fixed_by": user.display_name,
        "fixed_at": config.now().isoformat(timespec="seconds")}, "ledger.fix", user.name, _MOVE_FIX, pictures)
    return entry(db_path, user, found.id, today)


def recheck(db_path: str | Path, user: User, entry_id: int, passed: bool, note: str | None = None,
            files: Sequence[tuple[bytes, str]] = (), new_deadline: date | None = None,
            today: date | None = None, rubric: Rubric | None = None, when: str | None = None) -> Entry:
    """The re-check (复查) of a fixed entry on the spot, by a surveyor or the county office,
    with a photo (required when the entry's evidence is a photo). Passed: 已整改 → 已销号,
    closed today. Not passed (``note``: what is still wrong, required): 已整改 → 待整改 with a
    new deadline (``new_deadline``, else today plus the item's fix days) and one more failed
    re-check."""
    from core import limits
    from survey.rubric import load_rubric

    if user.role not in (SURVEYOR, REVIEWER, ADMIN):
        raise UsageError("forbidden")
    day = _today(today)
    found = entry(db_path, user, entry_id, day)
    if found.status != LEDGER_FIXED:
        raise UsageError("ledger_move", value=found.id, status=found.status_label, status_en=found.status,
                         move=_MOVE_RECHECK[0], move_en=_MOVE_RECHECK[1])
    remark = (note or "").strip()
    if not passed:
        remark = _text(note, "ledger_recheck_note", limits.NOTE_CHARS)
    elif len(remark) > limits.NOTE_CHARS:
        raise UsageError("text_long", n=len(remark), limit=limits.NOTE_CHARS)
    if needs_photo(entry_photos(db_path, user, found.id)) and not files:
        raise UsageError("ledger_recheck_photo")
    changes: dict[str, Any] = {"recheck_note": remark or None, "rechecked_by": user.display_name,
                               "rechecked_at": config.now().isoformat(timespec="seconds")}
    if passed:
        changes |= {"status": LEDGER_CLOSED, "closed_on": day.isoformat()}
    else:
        if new_deadline is None:
            rubric = rubric or load_rubric()
            item = next((i for i in rubric.items if i.code == found.item_code), None)
            n = fix_days(item, rubric, days_per_severity(found.county_code, rubric)) if item else DEFAULT_FIX_DAYS
            new_deadline = deadline(day, n)
        changes |= {"status": LEDGER_OPEN, "deadline": _check_day(new_deadline, day),
                    "failed_rechecks": found.failed_rechecks + 1}
    pictures = _prepare(db_path, user, found, files, "recheck", when)
    store.move_entry(db_path, found.id, LEDGER_FIXED, changes, "ledger.recheck" if passed else "ledger.reopen",
                     user.name, _MOVE_RECHECK, pictures)
    return entry(db_path, user, found.id, day)


def open_by_hand(db_path: str | Path, user: User, village_code: str, text: str, due: date,
                 files: Sequence[tuple[bytes, str]] = (), today: date | None = None,
                 when: str | None = None) -> Entry:
    """An entry opened by an officer (an unannounced visit, a complaint): the problem in words,
    a deadline (today or later) and photos as its "before" evidence. It has no round and no
    rubric item (ledger.md), found today."""
    from core import limits

    if not user.reviews:
        raise UsageError("forbidden")
    day = _today(today)
    user.scope.check(village_code)
    village = store.village(db_path, village_code)
    problem = _text(text, "ledger_text", limits.NOTE_CHARS)
    due_text = _check_day(due, day)
    stand_in = Entry(0, village.code, village.name, village.township_code, village.township,
                     village.county_code, village.county, None, None, None, "manual", problem,
                     day.isoformat(), due_text, LEDGER_OPEN, 0, None, None, None, None, None, None,
                     None, None, user.name, "")
    pictures = _prepare(db_path, user, stand_in, files, "before", when)
    entry_id = store.insert_entry(db_path, store.NewEntry(
        village.code, None, None, None, problem, day.isoformat(), due_text), user.name, pictures)
    return entry(db_path, user, entry_id, day)


# --- the ledger file, the notice, the bulletin ----------------------------------------------------


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def file_rows(found: Iterable[Entry]) -> list[list[Any]]:
    """The ledger file's rows (ledger.md), sorted by village code, item code, id."""
    return [[e.id, e.village_code, e.county, e.township, e.village, e.round_id, e.item_code, e.problem,
             e.found_on, e.deadline, e.status_label, _yes(e.overdue), _yes(e.recurring), e.failed_rechecks,
             e.closed_on]
            for e in sorted(found, key=lambda e: (e.village_code, e.item_code or "", e.id))]


def file_records(found: Iterable[Entry]) -> list[dict[str, Any]]:
    """The rows keyed by the file's headers (what the bulletin reads)."""
    headers = [c.header for c in COLUMNS]
    return [dict(zip(headers, row)) for row in file_rows(found)]


def _office(user: User) -> None:
    if not user.reviews:
        raise UsageError("forbidden")


def ledger_bytes(db_path: str | Path, user: User, kind: str = "csv", round_id: str | None = None,
                 county: str | None = None, status: str | None = None, today: date | None = None,
                 township: str | None = None, item: str | None = None, section: str | None = None) -> bytes:
    """The ledger file (``csv``: the provincial dialect, BOM, CRLF, formula guard; ``xlsx``: one
    sheet 台账, code cells as text) of the entries in scope, filtered as :func:`entries`."""
    from survey.export import workbook_bytes

    _office(user)
    if round_id:
        store.get_round(db_path, round_id)
    rows = file_rows(entries(db_path, user, round_id, county, township, status, item, section, today=today))
    if kind == "xlsx":
        return workbook_bytes([(SHEET, COLUMNS, rows)])
    return csv_bytes(COLUMNS, rows)[0]


def write_ledger(db_path: str | Path, user: User, out: str | Path | None, round_id: str | None = None,
                 county: str | None = None, status: str | None = None, today: date | None = None) -> bytes | Path:
    """``ledger [--round R] [--county C] [--status S] [--out FILE]``: the file written
    atomically to ``out`` (CSV or XLSX by its ending), or the CSV bytes when ``out`` is None."""
    kind = "csv"
    if out is not None:
        suffix = Path(out).suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise UsageError("ledger_out", value=str(out))
        kind = suffix[1:]
    data = ledger_bytes(db_path, user, kind, round_id, county, status, today)
    if out is None:
        return data
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, data)


def bulletin_rows(db_path: str | Path, scope: Scope, county: str, round_id: str,
                  today: date | None = None) -> list[dict[str, Any]]:
    """The ledger rows the round bulletin reads (:func:`survey.bulletin.ledger_selection` keeps
    the recurring and overdue ones): the county's entries found in the round or not closed."""
    found = _read(db_path, scope, _today(today), county=county)
    return file_records(e for e in found if e.round_id == round_id or e.status != LEDGER_CLOSED)


#: The notice's table.
NOTICE_HEADERS = ("序号", "村", "项目编码", "问题", "发现日期", "整改期限", "状态", "逾期")


def notice_docx(db_path: str | Path, user: User, township: str, round_id: str | None = None,
                today: date | None = None) -> bytes:
    """The notice (督办单) to one township as a Word document: its entries not closed yet (of
    one round when given), overdue first, with their deadlines; the issuing office (the county's
    文明办) and the date, 2026年5月20日."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    from survey.bulletin import _para, _save, _style, _table, _text, chinese_date

    _office(user)
    day = _today(today)
    user.scope.check(township)
    names = store.townships(db_path)
    if township not in names:
        raise NotFound("township_unknown", value=township)
    town, county = names[township][0], store.counties(db_path).get(township[:6]) or township[:6]
    found = [e for e in attention(entries(db_path, user, round_id, township=township, today=day))
             if e.status != LEDGER_CLOSED]
    overdue = sum(e.overdue for e in found)
    doc = docx.Document()
    _style(doc)
    title = f"{county}文明村镇创建问题整改督办单"
    props = doc.core_properties
    props.title, props.author, props.subject = _text(title), _text(f"{county}文明办"), "督办单"
    doc.add_paragraph(_text(title), style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
    if round_id:
        _para(doc, f"测评轮次：{round_id}").alignment = WD_ALIGN_PARAGRAPH.CENTER
    _para(doc, f"{town}：")
    if found:
        _para(doc, f"　　经测评和检查，你乡镇下列 {len(found)} 个问题尚未整改销号，其中 {overdue} 个已超过整改期限。"
                   "请对照问题逐项抓好整改，在整改期限前完成，并由乡镇联络员在系统中上报整改情况和整改后照片；"
                   "县文明办将组织复查（回头看），复查通过后销号，逾期未整改的将予以通报。")
        _table(doc, NOTICE_HEADERS, [(n, e.village, e.item_code or "", e.problem, e.found_on, e.deadline,
                                      e.status_label, _yes(e.overdue)) for n, e in enumerate(found, 1)],
               {0: 1.1, 1: 2.0, 2: 1.7, 4: 2.1, 5: 2.1, 6: 1.5, 7: 1.1})
    else:
        _para(doc, "　　你乡镇目前没有待整改的问题。")
    doc.add_paragraph()
    for line in (f"{county}文明办（盖章）", chinese_date(day)):
        _para(doc, line).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return _save(doc)


def notice_name(township: str, township_name: str, today: date | None = None) -> str:
    """The notice's file name: 督办单_<乡镇>_<code>_<date>.docx."""
    return f"督办单_{township_name}_{township}_{_today(today).isoformat()}.docx"

