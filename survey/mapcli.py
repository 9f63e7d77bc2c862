"""``python -m survey map [--round R] --out FILE.html``: a standalone map for reports and e-mail.

The file holds everything it needs (Leaflet inlined, no tiles): it opens from disk with no
network at all. Without ``--round`` the newest round is drawn.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.maps import build_map
from geo.offline import standalone_html
from survey.csvio import atomic_write
from survey.mapdata import county_map_data, latest_round


def cmd_map(args: argparse.Namespace) -> int:
    round_id = args.round or latest_round(args.db)
    data = county_map_data(args.db, round_id)
    m = build_map(data.results, data.roads, data.membership, radiation=data.radiation)
    page = standalone_html(m).encode("utf-8")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, page)
    assessed = sum(1 for r in data.results if r.assessed)
    print(f"{out}: {len(data.results)} villages ({assessed} assessed in round {round_id or '-'}), "
          f"{len(data.roads)} belts, {len(page) // 1024} KB", file=sys.stderr)
    return 0
