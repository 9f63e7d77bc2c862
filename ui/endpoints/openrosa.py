"""``/odk``: the app as an OpenRosa server for ODK Collect and KoboCollect (spec ``openrosa.md``).
Collect's server address is the app's own address followed by ``/odk``; the account is the
surveyor's own.

- ``GET /odk/formList``: the form of each open round the account may fill, with absolute
  ``downloadUrl`` (``/odk/forms/<form id>/form.xml``) and ``manifestUrl``
  (``/odk/forms/<form id>/manifest``, naming ``villages.csv`` at ``…/media/villages.csv``: the
  account's villages only);
- ``HEAD /odk/submission`` answers 204 with ``X-OpenRosa-Accept-Content-Length``; ``POST`` takes
  the multipart body Collect sends (``xml_submission_file`` and the photos by file name, and
  ``*isIncomplete*`` on all but the last part of a split submission) and answers 201, for a new
  submission and for a repeat alike (stored once).

Every response carries ``X-OpenRosa-Version: 1.0``; a refusal is an OpenRosa response whose
``<message nature="error">`` Collect shows (4xx). Authentication on every request: HTTP Basic
over HTTPS (checked as a sign-in by :func:`survey.auth.check_password`: counted, locked after
five failures, then believed for a few minutes without hashing again) or HTTP Digest (RFC 7616,
SHA-256 or MD5, ``qop=auth``, as Collect's okhttp-digest speaks it) over HTTPS, and over plain
HTTP from this machine (127.0.0.1) only. Plain HTTP from elsewhere is refused (403) before any
credential is looked at. HTTPS is the request's own scheme: TLS on Streamlit's port, or
``X-Forwarded-Proto: https`` from a proxy uvicorn trusts (README). Like every route, this one
parses the request, calls the use cases (:mod:`survey.openrosa`) and answers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from core import config, limits
from core.errors import DataError, SurveyError, UsageError, render
from survey import auth, openrosa
from survey.auth import User
from ui.text import both

PATH = "/odk"
VERSION_HEADER = {"X-OpenRosa-Version": "1.0"}
XML_TYPE = "text/xml; charset=utf-8"
#: How long a Digest nonce is good for; Collect then gets ``stale=true`` and answers again.
NONCE_SECONDS = 600
_LOCAL = ("127.0.0.1", "::1")
_log = logging.getLogger(__name__)


def routes(prefix: str = "") -> list[BaseRoute]:
    base = prefix + PATH
    return [
        Route(base + "/formList", _bound(form_list, base), methods=["GET"]),
        Route(base + "/forms/{form_id}/form.xml", _bound(form, base), methods=["GET"]),
        Route(base + "/forms/{form_id}/manifest", _bound(manifest, base), methods=["GET"]),
        Route(base + "/forms/{form_id}/media/{name}", _bound(media, base), methods=["GET"]),
        Route(base + "/submission", _bound(submission, base), methods=["HEAD", "POST"]),
        Route(base + "/{rest:path}", _bound(unknown, base),
              methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    ]


def _bound(handler, base: str):
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request, base)
        except Exception:
            _log.exception("OpenRosa request %s %s failed", request.method, request.url.path)
            return _refusal(500, "服务器内部错误，请稍后再试（internal server error; try again later）")
    endpoint.__name__ = handler.__name__
    return endpoint


# --- answers -----------------------------------------------------------------------------------


def _headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**VERSION_HEADER, "Cache-Control": "no-store", **(extra or {})}


def _xml(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=XML_TYPE, headers=_headers())


def _refusal(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An OpenRosa response with ``<message nature="error">`` (Collect shows it)."""
    return Response(openrosa.response_xml(message, "error"), status_code=status, media_type=XML_TYPE,
                    headers=_headers(headers))


def _problems(exc: DataError) -> str:
    return "\n".join(f"{p.field}: {p.message}" if p.field else p.message for p in exc.problems)


_STATUS = {"openrosa_role": 403, "forbidden": 403, "login_locked": 403, "login_disabled": 403,
           "openrosa_digest_unset": 403, "openrosa_form_unknown": 404, "openrosa_busy": 503,
           "submission_conflict": 409, "photo_too_large": 413, "openrosa_too_large": 413}


def _error(exc: SurveyError) -> Response:
    """The refusal for an error of the use cases."""
    if isinstance(exc, DataError):
        keys = {p.key for p in exc.problems}
        status = max((_STATUS[k] for k in keys if k in _STATUS), default=400)
        return _refusal(status, _problems(exc))
    return _refusal(_STATUS.get(getattr(exc, "key", ""), 400), str(exc))


# --- authentication ----------------------------------------------------------------------------

_nonce_key = secrets.token_bytes(32)  # per process: a restart makes every nonce stale
_opaque = secrets.token_hex(16)
_seen: dict[str, set[str]] = {}  # nonce -> the nonce counts used with it (no replay)
_seen_lock = threading.Lock()
_PARAM = re.compile(r'([A-Za-z0-9_*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)')


def _hash(algorithm: str, text: str) -> str:
    return {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}[algorithm](text.encode()).hexdigest()


def _nonce(now: float) -> str:
    """A new nonce: when it was made, a random part (two clients challenged in the same second
    get different nonces, so their counts never collide) and our MAC of both."""
    stamp = f"{int(now):x}.{secrets.token_hex(8)}"
    return f"{stamp}.{hmac.new(_nonce_key, stamp.encode(), hashlib.sha256).hexdigest()[:32]}"


def _nonce_age(nonce: str, now: float) -> float | None:
    """Seconds since we made ``nonce``; None when we did not make it."""
    stamp, _, mac = nonce.rpartition(".")
    if not re.fullmatch(r"[0-9a-f]{1,12}\.[0-9a-f]{16}", stamp):
        return None
    if not hmac.compare_digest(mac, hmac.new(_nonce_key, stamp.encode(), hashlib.sha256).hexdigest()[:32]):
        return None
    return now - int(stamp.split(".")[0], 16)


def _fresh(nonce: str, now: float) -> bool:
    """Whether we made ``nonce`` at most :data:`NONCE_SECONDS` ago."""
    age = _nonce_age(nonce, now)
    return age is not None and 0 <= age <= NONCE_SECONDS


def _first_use(nonce: str, count: str, now: float) -> bool:
    """Record ``count`` as used with ``nonce``; False when it was used already (a replay)."""
    with _seen_lock:
        if len(_seen) > 10_000:
            for old in [n for n in _seen if not _fresh(n, now)]:
                del _seen[old]
        used = _seen.setdefault(nonce, set())
        if count in used or len(used) > 100_000:
            return False
        used.add(count)
        return True


def https(request: Request) -> bool:
    return request.url.scheme == "https"


def _local(request: Request) -> bool:
    return request.client is not None and request.client.host in _LOCAL


def _challenge(request: Request, message: str, stale: bool = False) -> Response:
    """401 asking for credentials: Basic (over HTTPS) and Digest (SHA-256, then MD5)."""
    nonce = _nonce(time.time())
    digest = [f'Digest realm="{auth.DIGEST_REALM}", qop="auth", algorithm={algorithm}, nonce="{nonce}", '
              f'opaque="{_opaque}", charset=UTF-8' + (", stale=true" if stale else "")
              for algorithm in auth.DIGEST_ALGORITHMS]
    basic = [f'Basic realm="{auth.DIGEST_REALM}", charset="UTF-8"'] if https(request) else []
    response = _refusal(401, message)
    for value in basic + digest:
        response.headers.append("WWW-Authenticate", value)
    return response


def _digest_params(text: str) -> dict[str, str]:
    out = {}
    for name, value in _PARAM.findall(text):
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out[name.lower()] = value
    return out


def _target(request: Request) -> str:
    """The request target as the client wrote it (path and query): a Digest ``uri``."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    return raw.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")


async def _authenticate(request: Request) -> User | Response:
    """The signed-in account of this request, or the answer that asks for it or refuses."""
    if not https(request) and not _local(request):
        return _refusal(403, render("openrosa_https"))
    scheme, _, credentials = request.headers.get("authorization", "").strip().partition(" ")
    scheme = scheme.lower()
    db = config.db_path()
    try:
        if scheme == "basic" and https(request):
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True)
            except (binascii.Error, ValueError):
                return _challenge(request, render("login_failed"))
            text = decoded.decode("utf-8") if _utf8(decoded) else decoded.decode("latin-1")
            name, sep, password = text.partition(":")
            if not sep or len(text) > 1024:
                return _challenge(request, render("login_failed"))
            return await run_in_threadpool(auth.check_password, db, name, password)
        if scheme == "digest":
            return await _digest(request, _digest_params(credentials), db)
    except UsageError as exc:
        if exc.key == "login_failed":
            return _challenge(request, str(exc))
        return _error(exc)
    return _challenge(request, render("login_failed"))


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


async def _digest(request: Request, p: dict[str, str], db: Any) -> User | Response:
    """Check a Digest response (RFC 7616, ``qop=auth``). A nonce we did not make (or made before
    a restart), an old one, or one used again with the same count is answered with a new
    challenge marked ``stale`` and nothing counted; a wrong response to a good nonce counts as a
    failed sign-in."""
    now = time.time()
    algorithm = (p.get("algorithm") or "MD5").upper()
    name, nonce, count, cnonce = p.get("username", ""), p.get("nonce", ""), p.get("nc", ""), p.get("cnonce", "")
    if (algorithm not in auth.DIGEST_ALGORITHMS or p.get("qop") != "auth" or p.get("realm") != auth.DIGEST_REALM
            or not re.fullmatch(r"[0-9a-fA-F]{8}", count) or not cnonce or not name or p.get("userhash") == "true"):
        return _challenge(request, render("login_failed"))
    if p.get("uri") != _target(request):
        return _refusal(400, "Digest uri does not match the request")
    if not _fresh(nonce, now) or not _first_use(nonce, count.lower(), now):
        # stale, whatever the response: a client that knows the password answers the new nonce
        # (after a restart too); nothing is checked, so an old nonce tells a guesser nothing
        return _challenge(request, render("login_failed"), stale=True)
    ha2 = _hash(algorithm, f"{request.method}:{p['uri']}")
    answer = p.get("response", "").lower()

    def verify(stored: dict[str, str]) -> bool:
        ha1 = stored.get(algorithm)
        if not isinstance(ha1, str):
            return False
        expected = _hash(algorithm, f"{ha1}:{nonce}:{count}:{cnonce}:auth:{ha2}")
        return hmac.compare_digest(expected, answer)

    return await run_in_threadpool(auth.check_digest, db, name, verify)


# --- the routes --------------------------------------------------------------------------------


def _base_url(request: Request, base: str) -> str:
    """The server address Collect uses: scheme, host (and port) of this request, then ``base``."""
    return f"{request.url.scheme}://{request.url.netloc}{base}"


async def form_list(request: Request, base: str) -> Response:
    user = await _authenticate(request)
    if isinstance(user, Response):
        return user
    try:
        entries = await run_in_threadpool(openrosa.forms, config.db_path(), user)
    except SurveyError as exc:
        return _error(exc)
    return _xml(openrosa.form_list_xml(entries, _base_url(request, base)))


async def form(request: Request, base: str) -> Response:
    user = await _authenticate(request)
    if isinstance(user, Response):
        return user
    try:
        body = await run_in_threadpool(openrosa.xform, config.db_path(), user, request.path_params["form_id"])
    except SurveyError as exc:
        return _error(exc)
    return _xml(body)


async def manifest(request: Request, base: str) -> Response:
    user = await _authenticate(request)
    if isinstance(user, Response):
        return user
    form_id = request.path_params["form_id"]
    try:
        files = await run_in_threadpool(openrosa.media, config.db_path(), user, form_id)
    except SurveyError as exc:
        return _error(exc)
    return _xml(openrosa.manifest_xml(files, f"{_base_url(request, base)}/forms/{form_id}"))


async def media(request: Request, base: str) -> Response:
    user = await _authenticate(request)
    if isinstance(user, Response):
        return user
    try:
        files = await run_in_threadpool(openrosa.media, config.db_path(), user, request.path_params["form_id"])
    except SurveyError as exc:
        return _error(exc)
    name = request.path_params["name"]
    if name not in files:
        return _refusal(404, render("openrosa_not_found"))
    return Response(files[name], media_type="text/csv; charset=utf-8", headers=_headers())


async def unknown(request: Request, base: str) -> Response:
    return _refusal(404, render("openrosa_not_found"))


class _TooLarge(Exception):
    def __init__(self, size: int):
        self.size = size


def _limited(receive, limit: int):
    """``receive`` that stops a body growing past ``limit`` bytes (a declared length may lie,
    a chunked body declares none)."""
    seen = 0

    async def wrapped() -> dict:
        nonlocal seen
        message = await receive()
        if message.get("type") == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge(seen)
        return message
    return wrapped


def _too_large(size: int, limit: int, known: bool = True) -> Response:
    """413 for a body of ``size`` bytes (``known``: declared; else only that much was read)."""
    return _refusal(413, render("openrosa_too_large", size=limits.human_bytes(size) + ("" if known else "+"),
                                limit=limits.human_bytes(limit)))


async def submission(request: Request, base: str) -> Response:
    user = await _authenticate(request)
    if isinstance(user, Response):
        return user
    accept = {"X-OpenRosa-Accept-Content-Length": str(limits.OPENROSA_ACCEPT_BYTES)}
    if request.method == "HEAD":
        return Response(status_code=204, headers=_headers(accept))
    limit = limits.openrosa_body_bytes()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return _too_large(int(declared), limit)
    body = Request(request.scope, _limited(request.receive, limit))
    try:
        form_data = await body.form(max_files=limits.OPENROSA_FILES, max_fields=16, max_part_size=limits.XML_BYTES)
    except _TooLarge as exc:
        return _too_large(exc.size, limit, known=False)
    except HTTPException as exc:  # Starlette's answer to a malformed or oversized multipart body
        return _refusal(400, render("openrosa_multipart", detail=str(exc.detail)[:200]))
    except (MultiPartException, AssertionError, KeyError, ValueError) as exc:
        return _refusal(400, render("openrosa_multipart", detail=str(exc)[:200]))
    try:
        xml, files = await _parts(form_data)
        if xml is None:
            return _refusal(400, render("openrosa_no_xml"))
        incomplete = str(form_data.get("*isIncomplete*", "")).strip().lower() == "yes"
        got = await run_in_threadpool(openrosa.receive, config.db_path(), user, xml, files, incomplete)
    except SurveyError as exc:
        return _error(exc)
    finally:
        await form_data.close()
    fields = {"village": got.village_name, "code": got.village}
    if not got.complete:
        message = both("odk_received_part", **fields)
    elif got.added:
        message = both("odk_received", total=got.total, photos=got.photos, **fields)
    else:
        message = both("odk_received_again", **fields)
    return Response(openrosa.response_xml(message), status_code=201, media_type=XML_TYPE, headers=_headers(accept))


async def _parts(form_data: Any) -> tuple[bytes | None, dict[str, openrosa.Attachment]]:
    """The instance document and the attached files (by file name) of a multipart body."""
    xml: bytes | None = None
    files: dict[str, openrosa.Attachment] = {}
    for key, value in form_data.multi_items():
        if key == openrosa.XML_PART:
            if isinstance(value, UploadFile):
                size = value.size or 0
                if size > limits.XML_BYTES:
                    raise DataError([_xml_too_large(size)])
                xml = await value.read()
            else:
                xml = str(value).encode("utf-8")
        elif isinstance(value, UploadFile):
            name = (value.filename or key).replace("\\", "/").rsplit("/", 1)[-1]
            files[name] = openrosa.Attachment(value.size or 0, _reader(value))
    return xml, files


def _xml_too_large(size: int):
    from core.errors import problem

    return problem("openrosa_too_large", openrosa.XML_PART, size=limits.human_bytes(size),
                   limit=limits.human_bytes(limits.XML_BYTES))


def _reader(upload: UploadFile):
    def read() -> bytes:  # called in the thread pool: the spooled file is read synchronously
        upload.file.seek(0)
        return upload.file.read()
    return read
