"""Benchmark figures of the rounds issue, measured by :mod:`bench.runner` on its province:

- ``trends_province`` — every township's and county's projected share over all rounds of the
  province (:func:`survey.store.trends.history`: one query for all rounds, then
  :func:`survey.trends.township_trends` and :func:`~survey.trends.county_trends`); floor: one
  hand-written SQL aggregate of every (round, township)'s counts (:data:`TRENDS_SQL`, the
  counting submission by a correlated lookup, as ``SHARES_SQL`` does for one round). The two
  must agree on every projected count.
- ``bulletin_county`` — the Word bulletin of one county for the last round
  (:func:`survey.bulletin.bulletin_docx`: compose from the store, draw the chart, write the
  document); floor: python-docx writing a document with the same paragraphs, tables and picture
  (the bare cost of the file itself).

Run alone: ``python -m bench.bench_rounds [--scale county]`` (builds the province of the scale
in a temporary folder, as ``python -m bench`` does).
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from contextlib import closing
from decimal import Decimal
from pathlib import Path

from bench import best, run_alone

#: The floor of the trends: every round's township counts in one statement.
TRENDS_SQL = """
SELECT r.id, v.township_code, COUNT(*) AS villages, SUM(v.civ) AS civilized_now, COUNT(p) AS assessed,
       SUM(COALESCE(p, 0)) AS passed, SUM(COALESCE(p, v.civ)) AS projected
FROM (SELECT r.id, v.code, v.township_code, v.title IN ('县级', '市级', '省级', '全国') AS civ,
             (SELECT s.passed FROM submissions s
              WHERE s.round_id = r.id AND s.village_code = v.code AND s.status != 'returned'
              ORDER BY s.date DESC, s.rowid DESC LIMIT 1) AS p
      FROM rounds r CROSS JOIN villages v) AS v
JOIN rounds r ON r.id = v.id
GROUP BY r.id, v.township_code ORDER BY r.id, v.township_code
"""


def trends_figure(db: Path, log: Callable[[str], None], repeat: int):
    from bench.runner import Figure, _s
    from survey import store, trends
    from survey.targets import TargetPolicy

    policy = TargetPolicy(Decimal(70))

    def product():
        h = store.trends.history(db)
        towns = trends.township_trends(h, policy)
        return h, towns, trends.county_trends(h, policy, townships=towns)

    def floor():
        with closing(sqlite3.connect(db)) as conn:
            return conn.execute(TRENDS_SQL).fetchall()

    t_product, (h, towns, counties) = best(product, repeat)
    t_floor, aggregate = best(floor, repeat)
    got = sorted((p.round.id, code, p.row.projected) for code, points in towns.items() for p in points)
    if got != sorted((a[0], a[1], a[6]) for a in aggregate):
        raise AssertionError("the township trends and the SQL aggregate disagree")
    log(f"trends: {len(h.villages):,} villages × {len(h.rounds)} rounds, {len(towns):,} townships, "
        f"{len(counties)} counties")
    return [Figure("trends_province", f"trends of {len(h.villages):,} villages over {len(h.rounds)} rounds "
                   "(every township and county)", _s(t_product), "s", _s(t_floor), "< 1 s")]


def _bare_copy(data: bytes) -> bytes:
    """The same paragraphs, tables and picture written by python-docx with nothing composed."""
    import docx
    from docx.shared import Cm

    source = docx.Document(io.BytesIO(data))
    pictures = [p.blob for p in source.part.package.parts if p.content_type == "image/png"]
    doc = docx.Document()
    for p in source.paragraphs:
        doc.add_paragraph(p.text)
    for t in source.tables:
        cells = [[c.text for c in r.cells] for r in t.rows]
        table = doc.add_table(rows=len(cells), cols=len(cells[0]))
        for row, values in zip(table.rows, cells):
            for cell, value in zip(row.cells, values):
                cell.text = value
    for blob in pictures:
        doc.add_picture(io.BytesIO(blob), width=Cm(16))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def bulletin_figure(db: Path, round_id: str, county: str, log: Callable[[str], None], repeat: int):
    from bench.runner import Figure, _s
    from survey import store
    from survey.bulletin import bulletin_docx

    villages = len(store.villages(db, county))
    t_product, (data, warnings) = best(lambda: bulletin_docx(db, round_id, county), repeat)
    t_floor, bare = best(lambda: _bare_copy(data), repeat)
    log(f"bulletin: {len(data) / 1000:.0f} KB (bare copy {len(bare) / 1000:.0f} KB), warnings {len(warnings)}")
    return [Figure("bulletin_county", f"bulletin (Word, with chart) of a county of {villages:,} villages",
                   _s(t_product), "s", _s(t_floor), "< 3 s")]


def figures(db: Path, round_id: str, county: str, repeat: int, log: Callable[[str], None]):
    return trends_figure(db, log, repeat) + bulletin_figure(db, round_id, county, log, repeat)


def main(argv: list[str] | None = None) -> int:
    return run_alone(argv, __doc__, "rounds.db", lambda db, province, scale, work, log: figures(
        db, province.rounds[-1].id, province.counties[0], scale.repeat, log))


if __name__ == "__main__":
    raise SystemExit(main())
