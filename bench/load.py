"""How many surveyors one server holds: ``python -m bench load [--n 5,10,20,40] [--workers 1]``.

For each N: a fresh copy of the demo county (``python -m survey demo``, plus a round open today
and N surveyor accounts made by the operator), the app started as ``make run`` serves it
(``streamlit run serve.py`` on a free loopback port; with ``--workers W`` > 1, W processes behind
Caddy: ``tools/workers.py``), and N simulated tablets driving it as the browser does (the sign-in
cookie from ``POST /auth/session``; :mod:`bench.stclient` for Streamlit's WebSocket). Each
tablet opens a village (a page load over the WebSocket with the village in the URL; the tablets
start at random moments within the first ``--ramp`` seconds) and reads the checklist
component's data from the page's messages (the draft, the ``/tablet`` address, the rubric); the
checklist then runs in the browser (``ui/components/tablet/tablet.js``), so each tap is what
tablet.js sends: ``POST /tablet/sync`` with the page's origin and the session cookie, the
village's key, the draft id and one change with its sequence number (``answer``; a grade item
criterion by criterion). A finding gets its note (another change) and a photo (``POST
/tablet/photo``, a 1600×1200 JPEG as the browser shrinks it); then the veto question (none), the
submit (``POST /tablet/submit``), and the next village. Meanwhile one office session loads the
dashboard and the map, again and again.

Per N it reports:

- ``tap_to_stored_p50_ms`` / ``_p95_ms``: from a tap's ``POST /tablet/sync`` leaving the tablet
  to the server's answer listing it as applied (the answer comes after the transaction's commit);
  the draft in the database (``store.load_draft``) is then checked to hold it;
- ``first_render_p95_ms``: a page load (WebSocket opened to the end of the first run), tablets'
  villages; ``office_render_p95_ms`` the dashboard's and the map's;
- ``errors``: exceptions and error boxes on the pages, runs that did not end within a minute,
  requests answered with anything but success (a change not applied, a photo or a submit
  refused), lost connections; ``lost``: taps acknowledged whose change the draft does not hold
  (looked for during 5 s), and submits acknowledged that ``round_status`` does not list;
- ``server_cpu_percent``: CPU time of the server's processes (app processes and Caddy) over the
  run's wall time (100 = one core busy); ``client_cpu_percent`` the same for this process,
  which runs on the same machine;
- and over all N: ``largest_ok_n``, the largest N with tap-to-stored p95 < 300 ms, no error and
  nothing lost.

Bounded: ``--duration`` seconds of tapping per N (then every tablet finishes its current gesture
and stops), loopback only; the servers are stopped at the end. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

import requests

from bench.stclient import FINISHED_OK, Browser

ROOT = Path(__file__).resolve().parents[1]
ROUND = "2026-LOAD"
PASSWORD = "load-test-password"
GOAL_MS = 300.0
LOST_AFTER = 5.0
#: The demo county's townships (a tablet's scope; the villages are shared out among the tablets).
DEMO_COUNTY = "429901"


@dataclass
class Tally:
    taps: list[float] = field(default_factory=list)  # tap to stored, seconds
    renders: list[float] = field(default_factory=list)
    office: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lost: int = 0
    photos: int = 0
    submissions: int = 0
    villages: int = 0
    gestures: int = 0  # every message that made the server run something: taps, notes, photos, loads


@dataclass
class Report:
    n: int
    workers: int
    seconds: float
    taps: int
    tap_to_stored_p50_ms: float | None
    tap_to_stored_p95_ms: float | None
    first_render_p95_ms: float | None
    office_render_p95_ms: float | None
    errors: int
    lost: int
    photos: int
    submissions: int
    server_cpu_percent: float
    server_cpu_ms_per_gesture: float | None  # CPU the server spent per page load, tap, note, photo, submit
    client_cpu_percent: float
    load_average: float  # the machine's 1-minute load average at the end (other work on it)
    core_share: float  # share of one core a busy process got at the start and end (1.0: an idle machine)
    error_samples: list[str]

    @property
    def ok(self) -> bool:
        return (self.taps > 0 and self.errors == 0 and self.lost == 0
                and self.tap_to_stored_p95_ms is not None and self.tap_to_stored_p95_ms < GOAL_MS)


def _pct(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0] * 1000, 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000, 1)


# --- the database ---------------------------------------------------------------------------------


def demo_template(folder: Path) -> Path:
    """The demo county loaded once (``python -m survey demo``), copied for every N."""
    db = folder / "demo.db"
    if not db.exists():
        env = {**os.environ, "SURVEY_DB": str(db)}
        subprocess.run([sys.executable, "-m", "survey", "demo"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    return db


def prepare(template: Path, db: Path, n: int) -> dict[str, list[str]]:
    """Copy the demo database to ``db``, open a round that is on today, add ``n`` surveyors
    (operator) and share the villages of the demo county out among them: name -> villages."""
    from core import config
    from survey import auth, service, store

    source, copy = sqlite3.connect(template), sqlite3.connect(db)
    try:
        source.backup(copy)  # a consistent copy (its WAL included)
    finally:
        copy.close()
        source.close()
    today = config.today()
    service.open_round(db, auth.operator(), ROUND, "负载测试", today.isoformat(),
                       (today + timedelta(days=60)).isoformat())
    villages = sorted(v.code for v in store.villages(db, county=DEMO_COUNTY))
    tablets: dict[str, list[str]] = {}
    for i in range(n):
        name = f"load{i:03d}"
        auth.add_user(db, name, auth.SURVEYOR, DEMO_COUNTY, PASSWORD, display_name=f"测评员{i:03d}",
                      by=auth.operator())
        tablets[name] = villages[i::n] or villages
    return tablets


def handoff(db: Path, name: str) -> str:
    """The one-time code a password sign-in hands the page (the password form itself is not
    what is measured: argon2 is slow on purpose)."""
    from survey import auth

    return auth.start_handoff(db, name, auth.start_session(db, name))


# --- the server -----------------------------------------------------------------------------------


class Server:
    """The app as ``make run`` serves it (one process), or W processes behind Caddy."""

    def __init__(self, db: Path, workers: int, folder: Path) -> None:
        self.db, self.workers, self.folder = db, workers, folder
        self.env = {**os.environ, "SURVEY_DB": str(db), "PYTHONUNBUFFERED": "1"}
        self.proc: subprocess.Popen | None = None
        self.pids: list[int] = []
        self.url = ""

    def __enter__(self) -> Server:
        cmd = [sys.executable, str(ROOT / "tools" / "workers.py"), "--workers", str(self.workers),
               "--port", str(_free_port()), "--run-dir", str(self.folder / "run")]
        if self.workers == 1:  # exactly `make run`: one process, no proxy
            port = _free_port()
            cmd = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.address", "127.0.0.1",
                   "--server.port", str(port), "--server.headless", "true",
                   "--browser.gatherUsageStats", "false"]
            self.url = f"http://127.0.0.1:{port}"
        self.log = open(self.folder / "server.log", "wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                     stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server stopped at start: {(self.folder / 'server.log').read_text()[-2000:]}")
            if self.workers == 1:
                if _healthy(self.url + "/_stcore/health"):
                    self.pids = [self.proc.pid]
                    return self
                time.sleep(0.2)
            else:
                line = self.proc.stdout.readline().decode()
                if line.startswith("ready "):
                    self.url = line.split()[1]
                    self.pids = [int(p) for p in line.split("pids=")[1].split()[0].split(",")]
                    return self
        self.__exit__()
        raise RuntimeError("the server did not start within 120 s")

    def cpu_seconds(self) -> float:
        return sum(_cpu(pid) for pid in self.pids)

    def __exit__(self, *_exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (and its waited-for children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(f) for f in fields[11:15]) / ticks  # utime stime cutime cstime


# --- a tablet -------------------------------------------------------------------------------------


def photo_jpeg(seed: int) -> bytes:
    """A 1600×1200 JPEG of the size a tablet's camera photo is resized to (~0.3 MB)."""
    from PIL import Image

    rnd = random.Random(seed)
    image = Image.effect_noise((400, 300), 40).convert("RGB").resize((1600, 1200))
    image = Image.blend(image, Image.new("RGB", image.size, (rnd.randrange(256), 120, 60)), 0.5)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _items(data: dict) -> list[dict]:
    return [item for section in data["rubric"]["sections"] for item in section["items"]]


class Tablet:
    """One surveyor's tablet as the browser runs it (``ui/components/tablet/tablet.js``): the page
    over Streamlit's WebSocket (its first run measured), then every tap a ``POST /tablet/sync``
    of one change with its sequence number, photos ``POST /tablet/photo``, ``POST /tablet/submit``."""

    def __init__(self, name: str, villages: list[str], run: Run) -> None:
        self.name, self.villages, self.run = name, villages, run
        self.rnd = random.Random(name)
        self.browser = Browser(run.url)
        self.tapped = 0
        self.clock = 0

    async def pause(self) -> None:
        low, high = self.run.pace
        await asyncio.sleep(self.rnd.uniform(low, high))

    def _check(self, outcome, what: str) -> bool:
        tally = self.run.tally
        tally.gestures += 1
        if outcome.exceptions or outcome.errors:
            tally.errors += [f"{self.name} {what}: {e[:200]}" for e in outcome.exceptions + outcome.errors]
            return False
        if outcome.status not in FINISHED_OK:
            tally.errors.append(f"{self.name} {what}: run ended {outcome.status}")
            return False
        return True

    def next_seq(self) -> int:
        """As tablet.js ``nextSeq``: one more than the last, or the clock in ms when later."""
        self.clock = max(self.clock + 1, int(time.time() * 1000))
        return self.clock

    def post(self, path: str, **kw) -> tuple[int, dict | None]:
        """A request of the page's script: same origin, the session cookie (HttpOnly) sent along."""
        headers = {"Origin": self.browser.base, **kw.pop("headers", {"Content-Type": "application/json"})}
        try:
            answer = self.browser.http.post(self.api + path, headers=headers, timeout=60, **kw)
        except requests.ConnectionError:
            # a kept-alive connection the server closed as the request left (uvicorn closes idle
            # ones after 5 s, about a tablet's pace): a browser sends the request again on a new
            # one, and so does this tablet, once
            answer = self.browser.http.post(self.api + path, headers=headers, timeout=60, **kw)
        try:
            return answer.status_code, answer.json()
        except ValueError:
            return answer.status_code, None

    async def go(self) -> None:
        tally = self.run.tally
        try:
            await asyncio.sleep(self.rnd.uniform(0, self.run.ramp))  # tablets do not all start at once
            code = await asyncio.to_thread(handoff, self.run.db, self.name)
            await asyncio.to_thread(self.browser.sign_in, self.name, code)
            for village in self.villages:
                if self.run.over() and self.tapped >= self.run.min_taps:
                    break
                await self.village(village)
        except Exception as exc:  # any failure of this tablet is counted, the others go on
            tally.errors.append(f"{self.name}: {type(exc).__name__}: {str(exc)[:200] or 'no answer within 60 s'}")
        finally:
            await self.browser.close()

    async def village(self, village: str) -> None:
        tally, b = self.run.tally, self.browser
        opened = await b.open("tablet", f"village={village}")
        tally.renders.append(opened.seconds)
        if not self._check(opened, f"open {village}"):
            return
        data = next((v for k, v in b.components.items() if k.endswith("xf_tablet")), None)
        if not data:
            tally.errors.append(f"{self.name}: village {village} shows no checklist "
                                f"(status {opened.status}; {' / '.join(opened.notices)[:200]})")
            return
        await b.close()  # the checklist runs in the browser: the WebSocket is not needed for it
        tally.villages += 1
        self.api = self.browser.base + data["api"]
        self.key = {"lang": data["lang"], **{k: data["key"][k] for k in ("round", "village", "surveyor")}}
        self.draft = data["draft"]["id"]
        self.clock = max(self.clock, data["draft"].get("seq") or 0)
        for item in _items(data):
            if self.run.over() and self.tapped >= self.run.min_taps:
                return
            finding = self.rnd.random() < self.run.finding_share
            if item["type"] == "grade":  # answered criterion by criterion
                taps = [{"kind": "criterion", "item": item["code"], "index": i,
                         "value": not (finding and i == len(item["criteria"]) - 1)}
                        for i in range(len(item["criteria"]))]
            else:
                value = (not finding) if item["type"] == "check" else int(finding)
                taps = [{"kind": "answer", "item": item["code"], "value": value}]
            for op in taps:
                await self.pause()
                if not await self.tap(op, village):
                    return
            if finding:  # its note, and a photo
                await self.pause()
                if not await self.change({"kind": "note", "item": item["code"], "value": "现场发现问题，已拍照。"},
                                         f"note {item['code']}"):
                    return
                await self.pause()
                await self.photo(item["code"])
        await self.pause()
        if not await self.change({"kind": "veto", "item": "", "value": []}, "veto"):
            return
        if self.run.over():
            return
        await self.pause()
        await self.submit(village)

    async def change(self, op: dict, what: str) -> dict | None:
        """One change sent as tablet.js sends a queue of one: its answer (None: an error)."""
        op = {"seq": self.next_seq(), **op}
        body = json.dumps({**self.key, "draft": self.draft, "ops": [op]}, ensure_ascii=False).encode()
        self.run.tally.gestures += 1
        try:
            status, answer = await asyncio.to_thread(self.post, "/sync", data=body)
        except Exception as exc:  # a dead link
            self.run.tally.errors.append(f"{self.name} {what}: {type(exc).__name__}: {str(exc)[:160]}")
            return None
        done = (*answer.get("applied", ()), *answer.get("stale", ())) if isinstance(answer, dict) else ()
        if status != 200 or not answer or not answer.get("draft") or op["seq"] not in done:
            self.run.tally.errors.append(f"{self.name} {what}: {status} {json.dumps(answer, ensure_ascii=False)[:200]}")
            return None
        self.draft = answer["draft"]["id"]
        self.clock = max(self.clock, answer["draft"].get("seq") or 0)
        return {"seq": op["seq"], **answer}

    async def tap(self, op: dict, village: str) -> bool:
        """A tap: tap-to-stored is the POST's answer; then the database must hold it."""
        what = f"tap {op['item']}" + (f"[{op['index']}]" if "index" in op else "")
        t0 = time.perf_counter()
        answer = await self.change(op, what)
        if answer is None:
            return False
        seconds = time.perf_counter() - t0
        self.tapped += 1
        field = f"criterion:{op['item']}:{op['index']}" if op["kind"] == "criterion" else f"answer:{op['item']}"
        if await self.stored(village, op, answer["seq"]):
            self.run.tally.taps.append(seconds)
        else:
            self.run.tally.lost += 1
            self.run.tally.errors.append(f"{self.name} {what}: acknowledged, not in the draft ({field})")
        return True

    async def stored(self, village: str, op: dict, seq: int) -> bool:
        deadline = time.perf_counter() + LOST_AFTER
        while True:
            if await asyncio.to_thread(self.run.has_change, village, self.name, op, seq):
                return True
            if time.perf_counter() > deadline:
                return False
            await asyncio.sleep(0.05)

    async def photo(self, item: str) -> None:
        query = {**self.key, "draft": self.draft, "item": item, "sha256": self.run.photo_sha256,
                 "name": f"{item}.jpg"}
        self.run.tally.gestures += 1
        try:
            status, answer = await asyncio.to_thread(self.post, "/photo", params=query, data=self.run.photo,
                                                     headers={"Content-Type": "image/jpeg"})
        except Exception as exc:
            self.run.tally.errors.append(f"{self.name} photo {item}: {type(exc).__name__}: {str(exc)[:160]}")
            return
        if status == 200 and answer and answer.get("received") == len(self.run.photo):
            self.run.tally.photos += 1
        else:
            said = json.dumps(answer, ensure_ascii=False)[:200]
            self.run.tally.errors.append(f"{self.name} photo {item}: {status} {said}")

    async def submit(self, village: str) -> None:
        tally = self.run.tally
        tally.gestures += 1
        body = json.dumps({**self.key, "draft": self.draft}).encode()
        try:
            status, answer = await asyncio.to_thread(self.post, "/submit", data=body)
        except Exception as exc:
            tally.errors.append(f"{self.name} submit {village}: {type(exc).__name__}: {str(exc)[:160]}")
            return
        if status != 200 or not answer or answer.get("missing") or not answer.get("submission_id"):
            tally.errors.append(f"{self.name}: submit of {village} not accepted: {status} "
                                f"{json.dumps(answer, ensure_ascii=False)[:200]}")
        elif await asyncio.to_thread(self.run.submitted, village, self.name):  # acknowledged: stored?
            tally.submissions += 1
        else:
            tally.lost += 1


# --- the office -----------------------------------------------------------------------------------


async def office(run: Run) -> None:
    tally = run.tally
    browser = Browser(run.url)
    try:
        code = await asyncio.to_thread(handoff, run.db, "reviewer")
        await asyncio.to_thread(browser.sign_in, "reviewer", code)
        while not run.over():
            for page in ("dashboard", "map"):
                outcome = await browser.open(page)
                tally.office.append(outcome.seconds)
                tally.gestures += 1
                if outcome.exceptions or outcome.errors or outcome.status not in FINISHED_OK:
                    tally.errors += [f"office {page}: {e[:200]}" for e in outcome.exceptions + outcome.errors]
                    if outcome.status not in FINISHED_OK:
                        tally.errors.append(f"office {page}: run ended {outcome.status}")
                await asyncio.sleep(max(run.pace[1], 0.5))
                if run.over():
                    break
    except Exception as exc:  # counted; the tablets go on
        tally.errors.append(f"office: {type(exc).__name__}: {str(exc)[:200]}")
    finally:
        await browser.close()


# --- one N ----------------------------------------------------------------------------------------


@dataclass
class Run:
    url: str
    db: Path
    duration: float
    pace: tuple[float, float]
    photo: bytes
    finding_share: float = 0.1
    ramp: float = 0.0  # seconds over which the tablets start
    office: bool = True  # one office session loads the dashboard and the map meanwhile
    min_taps: int = 1  # taps each tablet makes whatever the clock says (a busy machine still measures)
    tally: Tally = field(default_factory=Tally)
    deadline: float = 0.0
    measured: tuple[float, float, float] = (0.0, 0.0, 0.0)  # wall, server CPU, client CPU seconds
    core_share: float = 0.0

    def over(self) -> bool:
        return time.monotonic() > self.deadline

    @property
    def photo_sha256(self) -> str:
        return hashlib.sha256(self.photo).hexdigest()

    def has_change(self, village: str, surveyor: str, op: dict, seq: int) -> bool:
        """Whether the draft saved holds the change ``op`` (sequence number ``seq`` or a later one
        on its field): an answer, or a grade item's criterion."""
        from survey import store

        payload = store.load_draft(self.db, ROUND, village, f"测评员{surveyor[4:]}") or {}
        if op["kind"] == "criterion":
            met = (payload.get("criteria") or {}).get(op["item"]) or []
            held = len(met) > op["index"] and met[op["index"]] == op["value"]
            field = f"criterion:{op['item']}:{op['index']}"
        else:
            held = (payload.get("answers") or {}).get(op["item"]) == op["value"]
            field = f"answer:{op['item']}"
        return held or (payload.get("seqs") or {}).get(field, 0) >= seq

    def submitted(self, village: str, surveyor: str) -> bool:
        from survey import auth, fieldwork

        user = auth.get_user(self.db, surveyor)
        return fieldwork.round_status(self.db, user, ROUND, user.display_name).get(village) == "submitted"


async def warm(run: Run, workers: int) -> None:
    """One page load of each page measured in every process, before the clock starts (a server
    that has just started imports and caches on its first runs; a county's server has been up
    for days). Behind Caddy, new browsers are tried until each process has been reached (their
    affinity cookies differ), at most 8 per process."""
    reached: set[str] = set()
    for _ in range(8 * workers):
        if len(reached) >= workers:
            break
        office, tablet = Browser(run.url), Browser(run.url)
        try:
            await asyncio.to_thread(office.sign_in, "reviewer", await asyncio.to_thread(handoff, run.db, "reviewer"))
            worker = office.http.cookies.get("xf_worker") or ""
            if worker in reached:
                continue
            reached.add(worker)
            for page in ("dashboard", "map"):
                await office.open(page)
            if worker:  # the same process for the tablet page
                tablet.http.cookies.set("xf_worker", worker)
            await asyncio.to_thread(tablet.sign_in, "surveyor", await asyncio.to_thread(handoff, run.db, "surveyor"))
            await tablet.open("tablet")
        finally:
            await office.close()
            await tablet.close()


def core_share(cpu_seconds: float = 0.25) -> float:
    """The share of one core a busy process gets now: CPU time over wall time of a busy loop
    (1.0 on an idle machine; other jobs on the machine lower it, and every figure with it)."""
    t0, c0 = time.perf_counter(), time.process_time()
    while time.process_time() - c0 < cpu_seconds:
        sum(range(10_000))
    return (time.process_time() - c0) / (time.perf_counter() - t0)


async def _drive(run: Run, tablets: dict[str, list[str]], server: Server) -> None:
    # every tablet's requests and database checks run in threads: enough for all at once
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=2 * len(tablets) + 8))
    await warm(run, server.workers)
    share = core_share()
    run.deadline = time.monotonic() + run.duration
    cpu0, client0, t0 = server.cpu_seconds(), time.process_time(), time.monotonic()
    jobs = [Tablet(name, villages, run).go() for name, villages in tablets.items()]
    await asyncio.gather(*([office(run)] if run.office else []), *jobs)
    run.measured = (time.monotonic() - t0, server.cpu_seconds() - cpu0, time.process_time() - client0)
    run.core_share = round((share + core_share()) / 2, 2)


def measure(n: int, workers: int, duration: float, pace: tuple[float, float], template: Path,
            folder: Path, log, findings: float = 0.1, ramp: float = 0.0, with_office: bool = True) -> Report:
    work = folder / f"n{n}-w{workers}"
    work.mkdir(parents=True, exist_ok=True)
    db = work / "survey.db"
    tablets = prepare(template, db, n)
    with Server(db, workers, work) as server:
        log(f"N={n}: {workers} process(es) at {server.url}, {duration:.0f} s")
        run = Run(server.url, db, duration, pace, photo_jpeg(n), findings, ramp=ramp, office=with_office)
        asyncio.run(_drive(run, tablets, server))
        wall, cpu, client = run.measured
    tally = run.tally
    return Report(
        n=n, workers=workers, seconds=round(wall, 1), taps=len(tally.taps),
        tap_to_stored_p50_ms=_pct(tally.taps, 50), tap_to_stored_p95_ms=_pct(tally.taps, 95),
        first_render_p95_ms=_pct(tally.renders, 95), office_render_p95_ms=_pct(tally.office, 95),
        errors=len(tally.errors), lost=tally.lost, photos=tally.photos, submissions=tally.submissions,
        server_cpu_percent=round(100 * cpu / wall, 1),
        server_cpu_ms_per_gesture=round(1000 * cpu / tally.gestures, 1) if tally.gestures else None,
        client_cpu_percent=round(100 * client / wall, 1),
        load_average=float(Path("/proc/loadavg").read_text().split()[0]) if Path("/proc/loadavg").exists() else 0.0,
        core_share=run.core_share,
        error_samples=tally.errors[:5])


def table(reports: list[Report]) -> str:
    head = ("| N | processes | taps | tap→stored p50 / p95 ms | page first render p95 ms (tablet / office) "
            "| errors | lost | photos | submits | server CPU % | server CPU ms per gesture | client CPU % "
            "| load avg | core share |\n|" + "---|" * 14)
    rows = [f"| {r.n} | {r.workers} | {r.taps} | {r.tap_to_stored_p50_ms} / {r.tap_to_stored_p95_ms} "
            f"| {r.first_render_p95_ms} / {r.office_render_p95_ms} | {r.errors} | {r.lost} | {r.photos} "
            f"| {r.submissions} | {r.server_cpu_percent} | {r.server_cpu_ms_per_gesture} | {r.client_cpu_percent} "
            f"| {r.load_average} | {r.core_share} |"
            for r in reports]
    return "\n".join([head, *rows])


def largest_ok(reports: list[Report]) -> int | None:
    ok = [r.n for r in reports if r.ok]
    return max(ok) if ok else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench load", description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="5,10,20,40", help="tablets at once, comma-separated (default 5,10,20,40)")
    parser.add_argument("--workers", default="1", help="app processes, comma-separated (>1: behind Caddy)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of tapping per N (default 60)")
    parser.add_argument("--pace", default="3-5", help="seconds between a tablet's taps, LOW-HIGH (default 3-5)")
    parser.add_argument("--ramp", type=float, default=10.0,
                        help="seconds over which the tablets start, at random (default 10)")
    parser.add_argument("--findings", type=float, default=0.1,
                        help="share of taps that are findings (a note and a photo follow; default 0.1)")
    parser.add_argument("--template", type=Path,
                        help="a database holding the demo county to copy (default: made by `python -m survey demo`)")
    parser.add_argument("--no-office", action="store_true",
                        help="no office session (the tablets' own cost: server CPU per tap)")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON only")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (databases, logs)")
    args = parser.parse_args(argv)
    low, _, high = args.pace.partition("-")
    pace = (float(low), float(high or low))
    counts = [int(x) for x in args.n.split(",") if x.strip()]
    workers = [int(x) for x in args.workers.split(",") if x.strip()]
    start = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - start:7.1f} s] {message}", file=sys.stderr, flush=True)

    def _interrupt(_signum, _frame) -> None:
        raise KeyboardInterrupt  # SIGTERM stops the servers as Ctrl-C does

    signal.signal(signal.SIGTERM, _interrupt)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="xf-load-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        if args.template:
            template = args.template
        else:
            log("demo county (python -m survey demo)")
            template = demo_template(folder)
        reports = []
        for w in workers:
            for n in counts:
                report = measure(n, w, args.duration, pace, template, folder, log, args.findings, args.ramp,
                                 not args.no_office)
                log(f"N={n} W={w}: {report.taps} taps, p95 {report.tap_to_stored_p95_ms} ms, "
                    f"{report.errors} errors, {report.lost} lost, server CPU {report.server_cpu_percent} %")
                for sample in report.error_samples:
                    log(f"  error: {sample}")
                reports.append(report)
        summary = {w: largest_ok([r for r in reports if r.workers == w]) for w in workers}
        if args.json:
            print(json.dumps({"reports": [asdict(r) for r in reports],
                              "largest_ok_n": {str(w): n for w, n in summary.items()},
                              "goal_ms": GOAL_MS, "pace_s": list(pace)}, ensure_ascii=False, indent=1))
        else:
            print(table(reports))
            for w, n in summary.items():
                print(f"\nlargest N with tap→stored p95 < {GOAL_MS:.0f} ms and nothing lost, "
                      f"{w} process(es): {n if n is not None else 'none'}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0
