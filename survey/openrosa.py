"""ODK Collect and KoboCollect send straight to the county server: the use cases behind the app's
OpenRosa routes (``ui/endpoints/openrosa.py``, spec ``openrosa.md``). No ODK Central needed.

- :func:`forms`: the form of each open round the account may fill (a surveyor, or an
  administrator). A round is open while a submission dated today would be accepted
  (:func:`survey.submissions.check_dates`: from its start to its end, with the margin).
- :func:`xform`: the round's XLSForm (:mod:`survey.xlsform`) converted by pyxform, once per
  (round, round name, rubric version) and process; :func:`villages_csv`: its attachment with
  the account's villages only.
- :func:`receive`: one submitted instance document and its photos. The document is read with
  the guards of :func:`core.limits.load_xml` (no DTD or entity, nesting, element count, size),
  its fields mapped to an interchange submission by the very reader of the ODK/Kobo exports
  (:class:`survey.odk.RowReader`), checked against the account's villages (one out of scope
  reads as unknown) and the round's form version, scored, and stored with its photos (prepared
  as on the tablet) in one transaction (``store.save_submissions(origin="odk")``). The instance
  id is the submission id: a repeat (Collect retries) stores nothing new. A submission that
  Collect split over several POSTs (all but the last marked ``*isIncomplete*``) has the photos
  of its first parts held in memory (bounded, for :data:`core.limits.OPENROSA_HELD_SECONDS`)
  until the last part arrives; a photo the form names that never arrived is refused, so
  Collect sends the whole submission again.

The surveyor of a submission is the signed-in account (its display name, as on the tablet),
whatever the device's username setting says.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from core import config, limits
from core.errors import DataError, NotFound, Problem, UsageError, problem
from core.model import Round
from survey import odk, store
from survey import xlsform as xf
from survey.auth import ADMIN, SURVEYOR, User

#: The name under which problems of the instance document are reported (its multipart part).
XML_PART = "xml_submission_file"
NS_FORMS = "http://openrosa.org/xforms/xformsList"
NS_MANIFEST = "http://openrosa.org/xforms/xformsManifest"
NS_RESPONSE = "http://openrosa.org/http/response"


def _filler(user: User) -> User:
    """``user`` when the account may fill forms (surveyor, administrator)."""
    if user.role not in (SURVEYOR, ADMIN):
        raise UsageError("openrosa_role")
    return user


# --- the forms ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormEntry:
    """One form of the form list."""

    form_id: str
    name: str
    version: str
    hash: str  # "md5:<hex>" of the XForm's bytes, as Collect compares it
    round_id: str


def open_rounds(db_path: str | Path, today: date | None = None) -> list[Round]:
    """The rounds a submission dated ``today`` (the county's today) would be accepted in:
    started (or starting within the margin of :data:`core.config.ROUND_DATE_MARGIN_DAYS`) and
    not ended more than the margin ago. A round without dates is open."""
    today = today or config.today()
    margin = timedelta(days=config.ROUND_DATE_MARGIN_DAYS)
    return [r for r in store.rounds(db_path)
            if (not r.start_date or date.fromisoformat(r.start_date) - margin <= today)
            and (not r.end_date or today <= date.fromisoformat(r.end_date) + margin)]


_xforms: dict[tuple[str, str, str], bytes] = {}
_xforms_lock = threading.Lock()
_XFORMS_MAX = 16


def _xform(rnd: Round, rubric: Any) -> bytes:
    """The XForm of round ``rnd`` (UTF-8), made once per (round, name, rubric version)."""
    from pyxform.xls2xform import convert

    key = (rnd.id, rnd.name, rubric.version)
    with _xforms_lock:
        found = _xforms.get(key)
    if found is not None:
        return found
    made = convert(xf.build_xlsform(rubric, rnd), warnings=[], file_type=".xlsx").xform.encode("utf-8")
    with _xforms_lock:
        if len(_xforms) >= _XFORMS_MAX:
            _xforms.pop(next(iter(_xforms)))
        _xforms[key] = made
    return made


def _md5(data: bytes) -> str:
    return "md5:" + hashlib.md5(data).hexdigest()


def _round_of(db_path: str | Path, form_id: str, today: date | None = None) -> Round:
    """The open round whose form is ``form_id``; ``openrosa_form_unknown`` otherwise."""
    prefix = xf.form_id("")
    if form_id.startswith(prefix):
        for rnd in open_rounds(db_path, today):
            if xf.form_id(rnd.id) == form_id:
                return rnd
    raise NotFound("openrosa_form_unknown", value=form_id[:80])


def forms(db_path: str | Path, user: User, today: date | None = None) -> list[FormEntry]:
    """The form of each open round, for an account that may fill forms."""
    from survey.service import rubric_for_round

    _filler(user)
    out = []
    for rnd in open_rounds(db_path, today):
        rubric = rubric_for_round(db_path, rnd.id)
        out.append(FormEntry(xf.form_id(rnd.id), xf.settings_row(rubric, rnd)["form_title"],
                             xf.form_version(rnd.id, rubric), _md5(_xform(rnd, rubric)), rnd.id))
    return out


def xform(db_path: str | Path, user: User, form_id: str, today: date | None = None) -> bytes:
    """The XForm (XML, UTF-8) of the open round whose form is ``form_id``."""
    from survey.service import rubric_for_round

    _filler(user)
    rnd = _round_of(db_path, form_id, today)
    return _xform(rnd, rubric_for_round(db_path, rnd.id))


def villages_csv(db_path: str | Path, user: User, form_id: str, today: date | None = None) -> bytes:
    """The form's ``villages.csv``: the account's villages only."""
    from survey.auth import villages_in

    _filler(user)
    _round_of(db_path, form_id, today)
    return xf.villages_csv(villages_in(db_path, user.scope))


def media(db_path: str | Path, user: User, form_id: str, today: date | None = None) -> dict[str, bytes]:
    """The form's media files by name (its manifest lists them)."""
    return {xf.VILLAGES_CSV: villages_csv(db_path, user, form_id, today)}


# --- the OpenRosa documents --------------------------------------------------------------------


def _document(root: ElementTree.Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="utf-8",
                                                                               xml_declaration=False)


def _add(parent: ElementTree.Element, tag: str, text: str) -> None:
    ElementTree.SubElement(parent, tag).text = text


def form_list_xml(entries: Sequence[FormEntry], base_url: str) -> bytes:
    """The OpenRosa form list (``<xforms>``); ``base_url`` is the server address ending in
    ``/odk`` (download and manifest URLs are absolute, as Collect needs them)."""
    root = ElementTree.Element("xforms", xmlns=NS_FORMS)
    for e in entries:
        node = ElementTree.SubElement(root, "xform")
        _add(node, "formID", e.form_id)
        _add(node, "name", e.name)
        _add(node, "version", e.version)
        _add(node, "hash", e.hash)
        _add(node, "downloadUrl", f"{base_url}/forms/{e.form_id}/form.xml")
        _add(node, "manifestUrl", f"{base_url}/forms/{e.form_id}/manifest")
    return _document(root)


def manifest_xml(files: Mapping[str, bytes], form_url: str) -> bytes:
    """The form's manifest (``<manifest>``): each media file with its hash and absolute URL
    (``form_url``: the form's address, ``…/odk/forms/<form id>``)."""
    root = ElementTree.Element("manifest", xmlns=NS_MANIFEST)
    for name, data in files.items():
        node = ElementTree.SubElement(root, "mediaFile")
        _add(node, "filename", name)
        _add(node, "hash", _md5(data))
        _add(node, "downloadUrl", f"{form_url}/media/{name}")
    return _document(root)


def response_xml(message: str, nature: str = "") -> bytes:
    """An OpenRosa response whose message Collect shows (``nature``: ``error`` for a refusal,
    ``submit_success`` for a stored submission)."""
    root = ElementTree.Element("OpenRosaResponse", xmlns=NS_RESPONSE)
    node = ElementTree.SubElement(root, "message")
    if nature:
        node.set("nature", nature)
    node.text = message
    return _document(root)


# --- receiving a submission --------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """One file of a POST: its size (known before it is read) and how to read it."""

    size: int
    read: Callable[[], bytes]


@dataclass(frozen=True)
class Received:
    """What became of one POST: the submission id, whether it completed the submission (False
    for a part marked ``*isIncomplete*``), whether it was stored now (False: stored before, a
    repeat), the village (code, name), its total and the photos stored."""

    id: str
    complete: bool
    added: bool
    village: str = ""
    village_name: str = ""
    total: Any = None
    photos: int = 0


@dataclass
class _Held:
    until: datetime
    photos: dict[str, Any] = field(default_factory=dict)  # file name -> store.NewPhoto
    size: int = 0


_held: dict[tuple[str, str], _Held] = {}
_held_lock = threading.Lock()


def _now() -> datetime:
    return datetime.now(UTC)


def _hold(key: tuple[str, str], photos: Mapping[str, Any], now: datetime) -> None:
    """Keep the photos of a part until the submission's last part (bounded in bytes and time)."""
    size = sum(len(p.jpeg) for p in photos.values())
    with _held_lock:
        for k in [k for k, h in _held.items() if h.until <= now]:
            del _held[k]
        held = _held.setdefault(key, _Held(now))
        if sum(h.size for h in _held.values()) + size > limits.OPENROSA_HELD_BYTES:
            if not held.photos:
                del _held[key]
            raise UsageError("openrosa_busy")
        held.until = now + timedelta(seconds=limits.OPENROSA_HELD_SECONDS)
        held.photos.update(photos)
        held.size = sum(len(p.jpeg) for p in held.photos.values())


def _take_held(key: tuple[str, str], now: datetime) -> dict[str, Any]:
    with _held_lock:
        held = _held.get(key)
        return dict(held.photos) if held is not None and held.until > now else {}


def _drop_held(key: tuple[str, str]) -> None:
    with _held_lock:
        _held.pop(key, None)


def held_photos() -> int:
    """How many photos of split submissions this process holds (for tests and diagnostics)."""
    with _held_lock:
        return sum(len(h.photos) for h in _held.values())


def forget_held() -> None:
    """Drop every held part (tests)."""
    with _held_lock:
        _held.clear()


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def instance_fields(data: bytes) -> tuple[dict[str, str], odk.RowFields]:
    """The root attributes and the fields of an instance document: every leaf element by its
    path below the root (``place/village``, ``meta/instanceID``), as the export reader's
    :class:`~survey.odk.Fields`. Guarded (:func:`core.limits.load_xml`); a field longer than an
    export's cell may be is refused."""
    if len(data) > limits.XML_BYTES:
        raise DataError([problem("openrosa_too_large", XML_PART, size=limits.human_bytes(len(data)),
                                 limit=limits.human_bytes(limits.XML_BYTES))])
    root = limits.load_xml(data, XML_PART)
    paths: list[str] = []
    values: list[str] = []
    problems: list[Problem] = []

    def walk(node: Any, prefix: str) -> None:
        for child in node:
            name = _local(child.tag)
            if not name:
                continue
            path = f"{prefix}{name}"
            if len(child):
                walk(child, path + "/")
                continue
            text = (child.text or "").strip()
            if len(text) > odk.LIMITS.cell_chars:
                problems.append(problem("limit_exceeded", XML_PART, None, path, what="字段字数",
                                        what_en="a field's length", limit=odk.LIMITS.cell_chars, value=len(text)))
                continue
            paths.append(path)
            values.append(text)

    walk(root, "")
    if problems:
        raise DataError(problems)
    attributes = {_local(k): v for k, v in root.attrib.items()}
    return attributes, odk.RowFields(odk.Columns(paths), values)


def _set(fields: odk.RowFields, name: str, value: str) -> odk.RowFields:
    """``fields`` with the field ``name`` set to ``value`` (added when absent)."""
    cols, cells = fields.cols, list(fields.cells)
    n = cols.index(name)
    if n is None:
        return odk.RowFields(odk.Columns([*cols.headers, name]), [*cells, value])
    cells[n] = value
    return odk.RowFields(cols, cells)


def _relocate(found: list[Problem], fields: odk.RowFields) -> list[Problem]:
    """Problems of :func:`survey.submissions.parse_submission`, at the document's element paths;
    a village out of scope (or unknown: the two read the same) says what to do in Collect."""
    out = []
    for p in odk._relocate(found, fields.cols):
        if p.key == "village_unknown":
            p = problem("openrosa_village", XML_PART, None, p.field, value=fields.get(xf.VILLAGE)[:40])
        out.append(p)
    return out


def receive(db_path: str | Path, user: User, xml: bytes, files: Mapping[str, Attachment],
            incomplete: bool = False, today: date | None = None, now: datetime | None = None) -> Received:
    """Receive one POST of Collect: the instance document ``xml`` and the ``files`` sent with it
    (by file name). Stores the submission (with its photos) when this is its last part;
    returns what happened. Raises :class:`DataError` listing what is wrong with the document or
    its photos, :class:`UsageError` for a form of another version (``openrosa_version``,
    naming the version the round expects), an unknown form, an account that may not fill
    forms."""
    from survey.audit import note_rubric
    from survey.auth import villages_in
    from survey.photos import prepare, stamp_lines
    from survey.scoring import score
    from survey.service import rubric_for_round
    from survey.submissions import check_dates, parse_submission

    _filler(user)
    now = now or _now()
    today = today or config.today()
    attributes, fields = instance_fields(xml)
    form_id, version = attributes.get("id", ""), attributes.get("version", "")
    prefix = xf.form_id("")
    rnd = next((r for r in store.rounds(db_path) if form_id.startswith(prefix) and xf.form_id(r.id) == form_id), None)
    if rnd is None:
        raise NotFound("openrosa_form_unknown", value=form_id[:80])
    rubric = rubric_for_round(db_path, rnd.id)
    expected = xf.form_version(rnd.id, rubric)
    if version != expected:
        raise UsageError("openrosa_version", value=version[:80], round=rnd.id, expected=expected)
    fields = _set(_set(fields, xf.USERNAME, user.display_name), xf.ROUND_FIELD, rnd.id)
    reader = odk.RowReader(XML_PART)
    row = reader.row(rubric, None, fields)
    if row is None:
        raise DataError(reader.problems)
    villages = {v.code: v for v in villages_in(db_path, user.scope)}
    sub, found = parse_submission(row.obj, rubric, villages, XML_PART, None)
    if sub is None:
        raise DataError(_relocate(found, fields))
    problems, _warnings = check_dates([sub], {rnd.id: rnd}, today, XML_PART)
    if problems:
        raise DataError(_relocate(problems, fields))
    village = villages[sub.village]
    key = (user.name, sub.id)
    stored = bool(store.stored_ids(db_path, [sub.id]))
    if incomplete and stored:  # a retry of a submission stored already: nothing to hold
        return Received(sub.id, False, False, village.code, village.name)
    photos: dict[str, Any] = {}
    if not stored:
        photos = _prepare(row, files, village, sub.surveyor, prepare, stamp_lines)
    if incomplete:
        _hold(key, photos, now)
        return Received(sub.id, False, False, village.code, village.name)
    # the surveyor's veto is a report, suspected until the office confirms it (survey.vetoes);
    # the office's records in force are applied by the store
    result = score(rubric, sub.answers, (), sub.unmet)
    new_photos: list[Any] = []
    if not stored:
        photos = {**_take_held(key, now), **photos}
        missing = [(name, column) for _code, name, column in row.photos if _base(name) not in photos]
        if missing:
            raise DataError([problem("openrosa_photo_missing", XML_PART, None, column, value=name[:80])
                             for name, column in missing])
        new_photos = [replace(photos[_base(name)], item_code=code) for code, name, _column in row.photos]
        note_rubric(db_path, rubric, user.name)
    added, _skipped = store.save_submissions(db_path, [(sub, result)], located={sub.id: (XML_PART, None)},
                                             actor=user.name, origin="odk",
                                             photos={sub.id: new_photos} if new_photos else None)
    _drop_held(key)
    return Received(sub.id, True, bool(added), village.code, village.name, result.total,
                    len(new_photos) if added else 0)


def _base(name: str) -> str:
    """A file's base name (Collect names the parts by it; a path in a value is ignored)."""
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def _prepare(row: odk.Row, files: Mapping[str, Attachment], village: Any, surveyor: str,
             prepare: Callable[..., Any], stamp_lines: Callable[..., list[str]]) -> dict[str, Any]:
    """The photos the document names that came with this POST, prepared as on the tablet
    (upright, downscaled, watermarked): file name -> ``store.NewPhoto``. A photo over the limit
    is refused before it is read."""
    from survey.store import NewPhoto

    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for code, name, column in row.photos:
        attachment = files.get(_base(name))
        if attachment is None or _base(name) in out:
            continue
        if attachment.size > limits.PHOTO_BYTES:
            problems.append(problem("photo_too_large", XML_PART, None, column, size=limits.human_bytes(attachment.size),
                                    limit=limits.human_bytes(limits.PHOTO_BYTES)))
            continue
        try:
            photo = prepare(attachment.read(), stamp_lines(village.name, village.code, row.taken, surveyor),
                            filename=_base(name))
        except DataError as exc:
            problems.extend(Problem(XML_PART, None, column, p.key, p.message) for p in exc.problems)
            continue
        out[_base(name)] = NewPhoto(code, photo.sha256, photo.jpeg, photo.width, photo.height)
    if problems:
        raise DataError(problems)
    return out
