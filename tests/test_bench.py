"""The benchmark harness runs end to end at the tiny scale (speed is never asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Every figure of issue 8.
FIGURES = (
    "registry_import", "submissions_import", "shares_flags_rankings", "belt_membership",
    "map_county_build", "map_county_html", "map_overview_build", "map_overview_html",
    "export_round", "export_peak_rss",
    "concurrent_save_p50", "concurrent_save_p95", "concurrent_save_errors", "concurrent_save_lost",
    "trends_province", "bulletin_county", "ledger_bulk_approve", "ledger_county_page",
)


def test_tiny_scale_prints_every_figure_with_its_floor_and_ratio():
    done = subprocess.run([sys.executable, "-m", "bench", "--scale", "tiny", "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert sorted(figures) == sorted(FIGURES)
    for name, figure in figures.items():
        assert set(figure) == {"value", "unit", "floor", "ratio"}, name
        assert isinstance(figure["unit"], str) and figure["unit"], name
        assert isinstance(figure["value"], int | float), name
    for name in FIGURES[:10] + FIGURES[14:]:  # timings, sizes, memory: measured, with a measured floor
        f = figures[name]
        assert f["value"] > 0 and f["floor"] > 0, name
        assert f["ratio"] == round(f["value"] / f["floor"], 2), name
    # 20 writers at once: every save is stored, none fails
    assert figures["concurrent_save_errors"]["value"] == 0
    assert figures["concurrent_save_lost"]["value"] == 0
