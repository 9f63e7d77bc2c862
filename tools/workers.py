"""Serve the app with all the cores: N Streamlit processes behind one local Caddy.

``python tools/workers.py --workers N [--address A] [--port P]`` (``make run WORKERS=N``): starts
N ``streamlit run serve.py`` processes on free loopback ports, writes a Caddyfile from
``tools/caddy/Caddyfile.template`` into a run folder, starts ``caddy run`` on ``A:P`` in front of
them, prints one line ``ready http://A:P pids=…`` once every process answers
``/_stcore/health`` through the proxy, and waits. Ctrl-C or SIGTERM stops Caddy and every app
process (and nothing else); when one of them dies, the others are stopped too.

Every process opens the one SQLite database (WAL: readers never wait for the writer; writers
queue on the busy timeout). What a process keeps in its own memory, and how the proxy keeps a
client on it:

- a browser's Streamlit session (its WebSocket, the files it uploads, the images it is shown):
  Caddy's affinity cookie ``xf_worker`` (``lb_policy cookie``), so every request of that browser
  reaches the process that holds its session;
- ODK Collect keeps no cookie; the parts of a split submission wait in the memory of the process
  that received the first part (``survey/openrosa.py``): ``/odk`` goes by the client's address
  (``lb_policy ip_hash``);
- everything else (accounts, sessions, the one-time sign-in codes, drafts, photos, the data
  version the page caches are keyed on) is in the database, so ``/auth/session`` works on any
  process. Caches (``st.cache_data``, Digest credentials, XForms) are per process and keyed on
  what they were made from.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "tools" / "caddy" / "Caddyfile.template"
START_SECONDS = 90


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def caddyfile(address: str, port: int, backends: list[int], run_dir: Path, secret: str) -> str:
    """The Caddyfile of this run, from the template."""
    text = TEMPLATE.read_text(encoding="utf-8")
    fields = {"ADDRESS": address, "PORT": str(port), "RUN_DIR": str(run_dir), "SECRET": secret,
              "UPSTREAMS": " ".join(f"127.0.0.1:{p}" for p in backends)}
    for name, value in fields.items():
        text = text.replace(f"@@{name}@@", value)
    return text


def healthy(url: str, headers: dict[str, str] | None = None) -> bool:
    try:
        request = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(request, timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


class Workers:
    """N app processes and their proxy; :meth:`start`, then :meth:`stop` (also on exit)."""

    def __init__(self, workers: int, address: str = "127.0.0.1", port: int | None = None,
                 run_dir: Path | None = None, env: dict[str, str] | None = None,
                 log=None) -> None:
        self.workers = max(1, workers)
        self.address = address
        self.port = port or free_port(address)
        self.backends = [free_port() for _ in range(self.workers)]
        self._own_dir = run_dir is None
        self.run_dir = Path(run_dir or tempfile.mkdtemp(prefix="xf-workers-"))
        self.env = dict(os.environ if env is None else env)
        self.log = log or (lambda message: print(message, file=sys.stderr, flush=True))
        self.procs: list[subprocess.Popen] = []
        self.caddy: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}"

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in [*self.procs, *([self.caddy] if self.caddy else [])]]

    def start(self) -> Workers:
        caddy = shutil.which("caddy")
        if caddy is None:
            raise RuntimeError("caddy not found: `make caddy-deps` installs Debian's package")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_hex(16)
        env = {**self.env, "PYTHONUNBUFFERED": "1", "STREAMLIT_SERVER_COOKIE_SECRET": secret}
        try:
            for i, port in enumerate(self.backends):
                out = open(self.run_dir / f"app-{i}.log", "wb")  # noqa: SIM115 - the child's, kept open
                self.procs.append(subprocess.Popen(
                    [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.address", "127.0.0.1",
                     "--server.port", str(port), "--server.headless", "true",
                     "--browser.gatherUsageStats", "false"],
                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
            config = self.run_dir / "Caddyfile"
            config.write_text(caddyfile(self.address, self.port, self.backends, self.run_dir, secret),
                              encoding="utf-8")
            caddy_env = {**env, "HOME": str(self.run_dir), "XDG_DATA_HOME": str(self.run_dir),
                         "XDG_CONFIG_HOME": str(self.run_dir)}
            self.caddy = subprocess.Popen(
                [caddy, "run", "--config", str(config), "--adapter", "caddyfile"], cwd=self.run_dir,
                env=caddy_env, stdout=open(self.run_dir / "caddy.out", "wb"),  # noqa: SIM115
                stderr=subprocess.STDOUT,
                start_new_session=True)
            self._wait()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        pending = [f"http://127.0.0.1:{p}/_stcore/health" for p in self.backends]
        pending.append(f"{self.url}/_stcore/health")
        while pending:
            for proc in [*self.procs, self.caddy]:
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(f"a process of the run stopped at start (exit {proc.returncode}):\n"
                                       f"{self._tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {START_SECONDS} s: {pending[0]}: {self._tail()}")
            if healthy(pending[0]):
                pending.pop(0)
            else:
                time.sleep(0.2)

    def _tail(self) -> str:
        """The last lines of every log of the run (the folder may be gone after :meth:`stop`)."""
        lines = []
        for log in sorted(self.run_dir.glob("*.log")) + sorted(self.run_dir.glob("*.out")):
            text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
            lines += [f"{log.name}: {line}" for line in text]
        return "\n".join(lines) or "(no log)"

    def alive(self) -> bool:
        return all(p.poll() is None for p in [*self.procs, *([self.caddy] if self.caddy else [])])

    def stop(self) -> None:
        """Stop Caddy, then every app process: SIGTERM, and SIGKILL after 10 s."""
        everyone = [p for p in [self.caddy, *self.procs] if p is not None]
        for proc in everyone:
            if proc.poll() is None:
                proc.terminate()
        for proc in everyone:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self.procs, self.caddy = [], None
        if self._own_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> Workers:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/workers.py", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="app processes (default 2)")
    parser.add_argument("--address", default="127.0.0.1", help="the proxy's address")
    parser.add_argument("--port", type=int, default=8501, help="the proxy's port")
    parser.add_argument("--run-dir", type=Path, help="Caddyfile and logs (default: a temporary folder)")
    args = parser.parse_args(argv)
    run = Workers(args.workers, args.address, args.port, args.run_dir)
    stopping = False

    def _stop(_signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        run.start()
        print(f"ready {run.url} pids={','.join(map(str, run.pids))} (Ctrl-C stops)", flush=True)
        while not stopping and run.alive():
            time.sleep(0.5)
        if not stopping:
            run.log("a process of the run stopped: stopping the others")
            return 1
        return 0
    finally:
        run.stop()


if __name__ == "__main__":
    raise SystemExit(main())
