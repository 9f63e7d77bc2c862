"""What ODK Collect does over HTTP, for the tests of ``/odk`` (ui/endpoints/openrosa.py).

:class:`Collect` talks as Collect's OkHttp stack does (``OkHttpConnection`` with okhttp-digest's
``DispatchingAuthenticator``): a request goes out without credentials; a 401 is answered with
the first challenge it has an authenticator for (Basic only over HTTPS, Digest always; Digest
takes the first ``Digest`` header), and the answer is then sent with every later request
(Basic as is, Digest with the nonce count raised), a fresh one only on another 401 (a stale
nonce). Every request carries ``X-OpenRosa-Version: 1.0``. :meth:`Collect.send` is Collect's
upload: HEAD on the submission URL, then the multipart POST of ``xml_submission_file`` and the
photos, split over several POSTs (``*isIncomplete*``) when larger than the server accepts.

:func:`instance_xml` writes a filled form (``odk_exports.answer_set``) as Collect saves it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import secrets
from typing import Any
from xml.etree import ElementTree

import odk_exports as ex

from survey import xlsform as xf
from survey.rubric import Rubric

HEADERS = {"X-OpenRosa-Version": "1.0"}


def challenges(response) -> list[tuple[str, dict[str, str]]]:
    """(scheme, parameters) of each WWW-Authenticate header, in order."""
    out = []
    for header in response.headers.get_list("www-authenticate"):
        scheme, _, rest = header.partition(" ")
        params = {k.lower(): v.strip('"') for k, v in re.findall(r'([\w-]+)=("[^"]*"|[^,\s]*)', rest)}
        out.append((scheme.lower(), params))
    return out


def digest_answer(params: dict[str, str], method: str, uri: str, name: str, password: str,
                  count: int, cnonce: str, algorithm: str | None = None) -> str:
    """The ``Authorization: Digest …`` value for a challenge (RFC 7616, qop=auth)."""
    algorithm = algorithm or params.get("algorithm", "MD5")
    h = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}[algorithm.upper()]

    def H(text: str) -> str:
        return h(text.encode()).hexdigest()

    nc = f"{count:08x}"
    ha1 = H(f"{name}:{params['realm']}:{password}")
    response = H(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{H(f'{method}:{uri}')}")
    return (f'Digest username="{name}", realm="{params["realm"]}", nonce="{params["nonce"]}", uri="{uri}", '
            f'response="{response}", algorithm={algorithm}, qop=auth, nc={nc}, cnonce="{cnonce}", '
            f'opaque="{params.get("opaque", "")}"')


class Collect:
    """One device with a server account (``client``: Starlette's TestClient or an httpx client
    whose base URL is the server's)."""

    def __init__(self, client: Any, name: str, password: str, https: bool = True):
        self.client, self.name, self.password, self.https = client, name, password, https
        self.scheme: str | None = None  # what the last 401 chose: "basic" / "digest"
        self.digest: dict[str, str] = {}
        self.count = 0
        self.cnonce = secrets.token_hex(8)
        self.answered_401 = 0

    def _authorization(self, method: str, url: str) -> str | None:
        if self.scheme == "basic":
            return "Basic " + base64.b64encode(f"{self.name}:{self.password}".encode()).decode()
        if self.scheme == "digest":
            self.count += 1
            path = re.sub(r"^[a-z]+://[^/]+", "", url)
            return digest_answer(self.digest, method, path, self.name, self.password, self.count, self.cnonce)
        return None

    def _choose(self, response) -> bool:
        """Take the first challenge Collect can answer; False when none (or Digest failed with
        a nonce that is not stale: okhttp-digest gives up rather than loop)."""
        for scheme, params in challenges(response):
            if scheme == "basic" and self.https:
                if self.scheme == "basic":
                    return False
                self.scheme = "basic"
                return True
            if scheme == "digest":
                if self.scheme == "digest" and params.get("stale") != "true":
                    return False
                self.scheme, self.digest, self.count = "digest", params, 0
                return True
        return False

    def request(self, method: str, url: str, **kwargs: Any):
        extra = kwargs.pop("headers", {})
        for _ in range(3):
            headers = dict(HEADERS, **extra)
            authorization = self._authorization(method, url)
            if authorization:
                headers["Authorization"] = authorization
            response = self.client.request(method, url, headers=headers, **kwargs)
            if response.status_code != 401:
                return response
            self.answered_401 += 1
            if not self._choose(response):
                return response
        return response

    def get(self, url: str, **kwargs: Any):
        return self.request("GET", url, **kwargs)

    def send(self, xml: bytes, photos: dict[str, bytes] | None = None, url: str = "/odk/submission",
             accept: int | None = None, extra: dict[str, Any] | None = None) -> list:
        """Collect's upload: HEAD, then the POST(s). Returns every response (HEAD first)."""
        head = self.request("HEAD", url)
        responses = [head]
        if head.status_code == 401 or (200 <= head.status_code < 300 and head.status_code != 204):
            return responses  # InstanceServerUploader: ask for credentials / not an OpenRosa server
        if head.status_code == 204 and accept is None:
            accept = int(head.headers.get("x-openrosa-accept-content-length", 10_000_000))
        accept = accept or 10_000_000
        names = list(photos or {})
        start = 0
        while True:  # as OkHttpConnection.uploadSubmissionAndFiles splits a large submission
            files = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
            size, n = len(xml), start
            data: dict[str, str] = dict(extra or {})
            while n < len(names):
                files.append((names[n], (names[n], photos[names[n]], "image/jpeg")))
                size += len(photos[names[n]])
                n += 1
                if n < len(names) and size + len(photos[names[n]]) > accept:
                    data["*isIncomplete*"] = "yes"
                    break
            response = self.request("POST", url, files=files, data=data or None)
            responses.append(response)
            if response.status_code not in (201, 202) or n >= len(names):
                return responses
            start = n


def message(response) -> str:
    """The text of the first ``<message>`` of an OpenRosa response, as Collect shows it."""
    root = ElementTree.fromstring(response.content)
    node = next(root.iter("{http://openrosa.org/http/response}message"))
    return node.text or ""


def instance_xml(rubric: Rubric, round_id: str, filled: ex.Filled, version: str | None = None,
                 form_id: str | None = None) -> bytes:
    """The instance document Collect saves for ``filled``: the form's groups and fields in form
    order, ``id`` and ``version`` on the root, ``meta/instanceID``."""
    version = version if version is not None else xf.form_version(round_id, rubric)
    root = ElementTree.Element("data", {"id": form_id or xf.form_id(round_id), "version": version,
                                        "xmlns:jr": "http://openrosa.org/javarosa",
                                        "xmlns:orx": "http://openrosa.org/xforms"})
    groups: dict[tuple[str, ...], ElementTree.Element] = {(): root}
    for name, path, _kind in ex.field_paths(rubric, round_id):
        parent = root
        for depth in range(1, len(path)):
            key = tuple(path[:depth])
            if key not in groups:
                groups[key] = ElementTree.SubElement(parent, path[depth - 1])
            parent = groups[key]
        ElementTree.SubElement(parent, name).text = filled.values.get(name, "")
    out = io.BytesIO()
    ElementTree.ElementTree(root).write(out, encoding="utf-8", xml_declaration=False)
    return out.getvalue()


def jpeg(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (40, 120, 60)) -> bytes:
    """A small real JPEG (a photo as Collect attaches it)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG")
    return out.getvalue()
