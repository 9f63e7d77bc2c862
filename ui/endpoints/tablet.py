"""``/tablet/…``: the tablet page's own requests, which go on while Streamlit's WebSocket is
down (the page's checklist runs in the browser: ``ui/components/tablet``).

- ``POST /tablet/sync`` with ``{"round", "village", "surveyor", "draft", "ops": [...]}``: the
  changes queued on the tablet, applied in order (``survey.fieldwork.sync``); answers the draft
  as saved, which operations were applied, skipped (a later change holds the field, or this
  one came twice) or refused, and the batch's refusal when the round has closed or the
  village was submitted (or returned) meanwhile.
- ``POST /tablet/photo?round=…&village=…&surveyor=…&draft=…&item=…&sha256=…[&taken=…][&lon=…&lat=…]``
  with the photo as the body (the browser's smaller JPEG, or the original when it could not
  read it): checked and watermarked on the server (``survey.fieldwork.add_tablet_photo``);
  answers the stored photo and the bytes ``received``.
- ``GET /tablet/photo/<id>?round=…&village=…&surveyor=…``: a thumbnail of a photo of the draft.
- ``POST /tablet/submit`` with ``{"round", "village", "surveyor", "draft"}``: submit once
  (``survey.fieldwork.submit_draft``; again: nothing new is stored).

Messages come in the page's language (``lang`` of the body or the query: ``zh`` or ``en``; both
without it). Every request is the signed-in user's: the HttpOnly session cookie (``xf_session``) names the
session (``survey.auth.session_user``), which the use cases check for role and scope; without a
live session: 401, and the tablet keeps its queue. POSTs from another origin are refused (403),
as on ``/auth/session``. Answers are JSON with ``Cache-Control: no-store``; an error is
``{"error": {"key", "message"}}`` (the catalogue's message, Chinese with English) with 400
(malformed), 404 (unknown or out of scope), 409 (refused by the rules: closed round, submitted,
stale draft), 413 (too large), 422 (a photo that is not one, or over the pixel limit) or 503
(the database is busy: the tablet keeps its queue and tries again).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from core import config, limits
from core.errors import DataError, NotFound, SurveyError, UsageError, render
from survey import auth, fieldwork, service
from ui.endpoints.session import NO_STORE, same_origin

BASE = "/tablet"
#: A sync body: 200 operations with the longest notes are about 2 MB of UTF-8.
MAX_SYNC_BODY = 4 * 1024 * 1024
MAX_SMALL_BODY = 4096


def routes(prefix: str = "") -> list[BaseRoute]:
    base = prefix + BASE
    return [Route(base + "/sync", sync, methods=["POST"]),
            Route(base + "/submit", submit, methods=["POST"]),
            Route(base + "/photo", photo, methods=["POST"]),
            Route(base + "/photo/{photo_id}", thumbnail, methods=["GET"])]


def language(request: Request, fields: dict[str, Any] | None = None) -> str | None:
    """The page's language, as the tablet says it (``lang`` in the body or the query): messages
    are answered in it; both languages when it says none."""
    said = (fields or {}).get("lang") or request.query_params.get("lang")
    return said if said in ("zh", "en") else None


def _error(status: int, key: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"key": key, "message": message}}, status_code=status, headers=NO_STORE)


def _said(key: str, lang: str | None, **fields: Any) -> JSONResponse:
    """An error of the edge itself (no use case was asked)."""
    status = {"forbidden": 403, "tablet_signed_out": 401}.get(key, 400)
    return _error(status, key, render(key, lang, **fields))


def _refusal(exc: SurveyError, lang: str | None) -> JSONResponse:
    """A use case's refusal as JSON: data problems 422, unknown 404, other refusals 409."""
    if isinstance(exc, DataError):
        message = "；".join(p.text(lang) for p in exc.problems)
        key = exc.problems[0].key if exc.problems else "tablet_request"
        return _error(422, key, message)
    key = getattr(exc, "key", "tablet_request")
    if key == "db_busy":  # a moment's wait: the tablet keeps its queue and tries again
        return _error(503, key, exc.text(lang))
    return _error(404 if isinstance(exc, NotFound) else 409, key, exc.text(lang))


async def _read(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is larger than ``limit`` (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared and (not declared.isdigit() or int(declared) > limit):
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _user(request: Request) -> auth.User | None:
    token = request.cookies.get(auth.SESSION_COOKIE)
    return await run_in_threadpool(auth.session_user, config.db_path(), token) if token else None


async def _json_body(request: Request, limit: int) -> dict[str, Any] | JSONResponse:
    lang = language(request)
    body = await _read(request, limit)
    if body is None:
        return _error(413, "tablet_request", render("tablet_request", lang, detail="too large"))
    try:
        fields = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _said("tablet_request", lang, detail="not JSON")
    if not isinstance(fields, dict):
        return _said("tablet_request", lang, detail="not an object")
    return fields


async def _guard(request: Request) -> auth.User | JSONResponse:
    if request.method != "GET" and not same_origin(request):
        return _said("forbidden", language(request))
    user = await _user(request)
    if user is None:
        return _said("tablet_signed_out", language(request))
    return user


def _num(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def photo_json(p: fieldwork.PhotoInfo) -> dict[str, Any]:
    return {"id": p.id, "item": p.item_code, "sha256": p.sha256, "width": p.width,
            "height": p.height, "created_at": p.created_at}


def synced_json(result: fieldwork.Synced, lang: str | None = None) -> dict[str, Any]:
    def refusal(r: fieldwork.Refusal) -> dict[str, Any]:
        return {"seq": r.seq, "key": r.key, "message": r.text(lang)}

    return {"draft": result.draft.state(), "photos": [photo_json(p) for p in result.photos],
            "applied": list(result.applied), "stale": list(result.stale),
            "refused": [refusal(r) for r in result.refused],
            "refused_all": refusal(result.refused_all) if result.refused_all else None}


def outcome_json(outcome: fieldwork.Outcome) -> dict[str, Any]:
    score = outcome.score
    return {"missing": [{"kind": m.kind, "item": m.item} for m in outcome.missing],
            "submission_id": outcome.submission_id, "added": outcome.added,
            "score": None if score is None else {
                "total": _num(score.total), "sections": {k: _num(v) for k, v in score.sections.items()},
                "passed": score.passed, "vetoed": score.vetoed, "veto": list(score.veto),
                "unmet": {code: list(texts) for code, texts in score.unmet.items()}}}


def _key(fields: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    return fields.get("round"), fields.get("village"), fields.get("surveyor"), fields.get("draft")


def _scored(use_case: Any, user: auth.User, round_id: Any, *args: Any) -> Any:
    """``use_case`` run with the rubric round ``round_id`` is scored with (its pinned version:
    the browser's rules came from the same one, ``ui.tablet.payload``)."""
    if not isinstance(round_id, str):
        raise UsageError("tablet_request", detail="round/village")
    db = config.db_path()
    return use_case(db, user, service.rubric_for_round(db, round_id), round_id, *args)


async def sync(request: Request) -> Response:
    """Apply a tablet's queued changes to its draft."""
    user = await _guard(request)
    if isinstance(user, Response):
        return user
    fields = await _json_body(request, MAX_SYNC_BODY)
    if isinstance(fields, Response):
        return fields
    lang = language(request, fields)
    try:
        result = await run_in_threadpool(_scored, fieldwork.sync, user, *_key(fields),
                                         fields.get("ops", []))
    except SurveyError as exc:
        return _refusal(exc, lang)
    return JSONResponse(synced_json(result, lang), headers=NO_STORE)


async def submit(request: Request) -> Response:
    """Submit a tablet's draft (once)."""
    user = await _guard(request)
    if isinstance(user, Response):
        return user
    fields = await _json_body(request, MAX_SMALL_BODY)
    if isinstance(fields, Response):
        return fields
    try:
        outcome = await run_in_threadpool(_scored, fieldwork.submit_draft, user, *_key(fields))
    except SurveyError as exc:
        return _refusal(exc, language(request, fields))
    return JSONResponse(outcome_json(outcome), headers=NO_STORE)


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


async def photo(request: Request) -> Response:
    """Store a photo of a draft item (watermarked here)."""
    user = await _guard(request)
    if isinstance(user, Response):
        return user
    q = request.query_params
    lang = language(request)
    data = await _read(request, limits.PHOTO_BYTES)
    if data is None:
        size = request.headers.get("content-length", "?")
        return _error(413, "photo_too_large", render(
            "photo_too_large", lang, size=limits.human_bytes(int(size)) if size.isdigit() else size,
            limit=limits.human_bytes(limits.PHOTO_BYTES)))
    lon, lat = _float(q.get("lon")), _float(q.get("lat"))
    try:
        info = await run_in_threadpool(
            _scored, fieldwork.add_tablet_photo, user, q.get("round"),
            q.get("village"), q.get("surveyor"), q.get("draft"), q.get("item"), data,
            q.get("sha256"), q.get("taken"), [lon, lat] if lon is not None and lat is not None else None,
            (q.get("name") or "photo.jpg")[:limits.FIELD_CHARS])
    except SurveyError as exc:
        return _refusal(exc, lang)
    return JSONResponse({**photo_json(info), "received": len(data)}, headers=NO_STORE)


async def thumbnail(request: Request) -> Response:
    """A small JPEG of a photo of the user's draft."""
    user = await _guard(request)
    if isinstance(user, Response):
        return user
    q = request.query_params
    try:
        jpeg = await run_in_threadpool(fieldwork.tablet_thumbnail, config.db_path(), user,
                                       q.get("round") or "", q.get("village") or "",
                                       q.get("surveyor") or "", request.path_params["photo_id"])
    except (UsageError, NotFound) as exc:
        return _refusal(exc, language(request))
    # a photo never changes under its id: the browser may keep it (privately) for a day
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})
