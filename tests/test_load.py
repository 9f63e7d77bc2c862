"""Issue 20: the load test's harness runs (its figures are never asserted), and several app
processes serve through Caddy (``make run WORKERS=N``: ``tools/workers.py``) and stop cleanly."""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from bench.stclient import FINISHED_OK, Browser
from survey import auth
from ui import keys

ROOT = Path(__file__).resolve().parents[1]
REPORT_FIELDS = {
    "n", "workers", "seconds", "taps", "tap_to_stored_p50_ms", "tap_to_stored_p95_ms",
    "first_render_p95_ms", "office_render_p95_ms", "errors", "lost", "photos", "submissions",
    "server_cpu_percent", "server_cpu_ms_per_gesture", "client_cpu_percent", "load_average", "core_share",
    "error_samples",
}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def _server_pids(folder: Path) -> list[int]:
    """Every process started from ``folder`` (the harness's app processes name their database)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                environ = (proc / "environ").read_bytes()
            except OSError:
                continue
            if str(folder).encode() in environ and int(proc.name) != os.getpid():
                found.append(int(proc.name))
    return found


@pytest.mark.slow
def test_load_harness_drives_two_tablets_and_reports_every_field(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bench", "load", "--n", "2", "--duration", "4", "--pace", "0.05-0.1",
         "--findings", "0", "--ramp", "0", "--json", "--keep", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert set(out) == {"reports", "largest_ok_n", "goal_ms", "pace_s"}
    [report] = out["reports"]
    assert set(report) == REPORT_FIELDS
    assert (report["n"], report["workers"]) == (2, 1)
    assert report["taps"] >= 1, done.stderr[-3000:]  # answers tapped and found in the database
    assert report["tap_to_stored_p50_ms"] is not None and report["first_render_p95_ms"] is not None
    assert set(out["largest_ok_n"]) == {"1"}
    assert _server_pids(tmp_path) == []  # the app it started is gone


def _caddy() -> str:
    found = shutil.which("caddy")
    if found is None:
        pytest.skip("caddy is not installed (make caddy-deps installs Debian's package)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _affinity_cookie(caddyfile: str, backend: str) -> str:
    """The value of Caddy's affinity cookie that sends a request to ``backend`` (HMAC-SHA256 of
    its address with the secret of the run's Caddyfile, as Caddy computes it)."""
    secret = re.search(r"lb_policy cookie xf_worker (\w+)", caddyfile).group(1)
    return hmac.new(secret.encode(), backend.encode(), hashlib.sha256).hexdigest()


@pytest.mark.slow
def test_two_processes_behind_caddy_serve_two_sessions_and_stop_cleanly(scoped, tmp_path):
    _caddy()
    port, run_dir = _free_port(), tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "tools/workers.py", "--workers", "2", "--port", str(port), "--run-dir", str(run_dir)],
        cwd=ROOT, env={**os.environ, "SURVEY_DB": str(scoped)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith(f"ready http://127.0.0.1:{port} "), proc.stderr.read()[-3000:]
        pids = [int(p) for p in line.split("pids=")[1].split()[0].split(",")]
        assert len(pids) == 3 and all(_alive(p) for p in pids)  # two app processes and Caddy
        caddyfile = (run_dir / "Caddyfile").read_text()
        backends = re.search(r"reverse_proxy (127[^{]*)\{", caddyfile).group(1).split()
        assert len(backends) == 2
        cookies = {_affinity_cookie(caddyfile, b): b for b in backends}
        base = f"http://127.0.0.1:{port}"
        # a first request is given the affinity cookie of one of the two processes
        first = requests.get(base + "/_stcore/health", timeout=30)
        assert first.status_code == 200 and first.cookies.get("xf_worker") in cookies

        async def session(name: str, backend: str) -> tuple[object, set[str]]:
            browser = Browser(base)
            browser.http.cookies.set("xf_worker", _affinity_cookie(caddyfile, backend))
            browser.health()
            # the one-time code is made by this process and redeemed by whichever app process
            # the proxy chose: nothing of a sign-in lives in one process's memory
            code = auth.start_handoff(scoped, name, auth.start_session(scoped, name))
            browser.sign_in(name, code)
            assert "xf_session" in browser.http.cookies
            run = await browser.open("review")  # through the proxy's WebSocket
            await browser.close()
            return run, set(browser.widgets)

        for name, backend in zip(("rev-a", "wang"), backends, strict=True):
            # a loop of its own in a thread of its own: the browser journeys' Playwright may
            # hold a running loop in this thread when the suite runs them first
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                run, widgets = pool.submit(asyncio.run, session(name, backend)).result()
            assert run.status in FINISHED_OK and not run.exceptions, (name, backend, run)
            assert keys.LOGOUT in widgets  # signed in from the cookie, on that process
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, proc.stderr.read()[-3000:]
    assert [p for p in pids if _alive(p)] == []
