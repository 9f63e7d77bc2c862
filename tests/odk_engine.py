"""Run ODK's own form engine (``tools/odk-engine``, @getodk/xforms-engine under Node) on an XForm:
one Node process per batch of answer sets, JSON in and out. ``make test`` installs it
(``make odk-engine``); without Node or the install, :func:`missing` says why and tests skip."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

ENGINE = Path(__file__).resolve().parents[1] / "tools" / "odk-engine"


def missing() -> str | None:
    """Why the engine cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "Node.js is not installed: ODK's form engine cannot run"
    if not (ENGINE / "node_modules" / "@getodk" / "xforms-engine").is_dir():
        return "ODK's form engine is not installed: run `make odk-engine` (npm ci in tools/odk-engine)"
    return None


def run(xform: str, cases: list[dict[str, Any]], attachments: dict[str, str] | None = None,
        timeout: float = 600) -> list[dict[str, Any]]:
    """Each case ``{"username", "set": [[ref, text], …], "read": [ref, …]}`` run on a fresh
    instance of ``xform``; returns per case ``{"values", "hints", "violations", "xml", "error"}``."""
    payload = json.dumps({"xform": xform, "attachments": attachments or {}, "cases": cases},
                         ensure_ascii=False)
    done = subprocess.run(["node", str(ENGINE / "run.mjs")], input=payload.encode("utf-8"),
                          capture_output=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the engine failed ({done.returncode}): {done.stderr.decode('utf-8', 'replace')}")
    result = json.loads(done.stdout)
    assert result["load"] in ("success", "warning"), result["load"]
    return result["cases"]
