"""``/auth/session``: the sign-in cookie, written and deleted by the server so that it can be
HttpOnly (no script on the page can read it).

- ``POST`` with ``{"code": …, "user": …}`` (the one-time code of ``survey.auth.start_handoff``,
  posted by our browser component right after a password sign-in) answers 204 with
  ``Set-Cookie: xf_session=…; HttpOnly; SameSite=Strict; Path=/`` (and ``Secure`` over HTTPS);
  a code that is unknown, spent, expired or made for another account gets 403.
- ``DELETE`` ends the session of the cookie it carries and answers with the cookie expired
  (sign-out, or a session that ended on the server).

Both refuse a request whose ``Origin`` is not the app's own (403), and bodies over
:data:`MAX_BODY` bytes (413). HTTPS is the request's own scheme: TLS on Streamlit's port, or
``X-Forwarded-Proto: https`` from a reverse proxy that uvicorn trusts (its peer address is in
``FORWARDED_ALLOW_IPS``, by default ``127.0.0.1,::1``: a proxy on the same machine; README).
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from core import config
from survey import auth

PATH = "/auth/session"
MAX_BODY = 1024
NO_STORE = {"Cache-Control": "no-store"}
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}
_log = logging.getLogger(__name__)


def routes(prefix: str = "") -> list[BaseRoute]:
    return [Route(prefix + PATH, hand_over, methods=["POST"]),
            Route(prefix + PATH, end, methods=["DELETE"])]


def https(request: Request) -> bool:
    """Whether the browser talks to us over HTTPS (the Secure attribute is then set)."""
    return request.url.scheme == "https"


def same_origin(request: Request) -> bool:
    """Whether the request comes from a page of this app: its ``Origin`` (browsers send it with
    every POST and DELETE of ``fetch``) is this request's scheme, host and port. A page of
    another site cannot post a code of its own; and a page served over HTTPS whose request
    reaches us as plain HTTP (a proxy that sends no ``X-Forwarded-Proto``, or one uvicorn does
    not trust) is refused rather than given a cookie without ``Secure``, and logged."""
    origin, host = request.headers.get("origin"), request.headers.get("host")
    if not origin or not host:
        return False
    parts, scheme = urlsplit(origin), request.url.scheme
    if parts.scheme not in _DEFAULT_PORTS or scheme not in _DEFAULT_PORTS:
        return False
    if parts.netloc.lower().removesuffix(_DEFAULT_PORTS[parts.scheme]) != \
            host.lower().removesuffix(_DEFAULT_PORTS[scheme]):
        return False
    if parts.scheme != scheme:
        _log.warning("a page of %s reached %s as %s: set X-Forwarded-Proto in the reverse proxy "
                     "and list its address in FORWARDED_ALLOW_IPS (README, HTTPS)", origin,
                     request.url.path, scheme)
        return False
    return True


async def _body(request: Request) -> bytes | None:
    """The request body, or None when it is larger than :data:`MAX_BODY` (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared and (not declared.isdigit() or int(declared) > MAX_BODY):
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _refused(status: int = 403) -> Response:
    return Response(status_code=status, headers=NO_STORE)


async def hand_over(request: Request) -> Response:
    """Exchange a one-time code for the HttpOnly session cookie."""
    if not same_origin(request):
        return _refused()
    body = await _body(request)
    if body is None:
        return _refused(413)
    try:
        fields = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _refused(400)
    if not isinstance(fields, dict):
        return _refused(400)
    token = await run_in_threadpool(auth.redeem_handoff, config.db_path(), fields.get("code"),
                                    fields.get("user"))
    if token is None:
        return _refused()
    response = Response(status_code=204, headers=NO_STORE)
    response.set_cookie(auth.SESSION_COOKIE, token, max_age=auth.SESSION_HOURS * 3600, path="/",
                        secure=https(request), httponly=True, samesite="strict")
    return response


async def end(request: Request) -> Response:
    """End the session of the cookie sent (if any) and delete the cookie."""
    if not same_origin(request):
        return _refused()
    token = request.cookies.get(auth.SESSION_COOKIE)
    if token:
        await run_in_threadpool(auth.end_session, config.db_path(), auth.token_digest(token))
    response = Response(status_code=204, headers=NO_STORE)
    response.delete_cookie(auth.SESSION_COOKIE, path="/", secure=https(request), httponly=True,
                           samesite="strict")
    return response
