"""``python -m bench [--scale tiny|county|province] [--json]``: every figure beside its floor.
``python -m bench load [--n 5,10,20,40] [--workers 1,2] …``: the load test (:mod:`bench.load`).

Progress goes to stderr; stdout gets a Markdown table (the README's), or with ``--json`` only
``{"figure": {"value": …, "unit": "…", "floor": …, "ratio": …}, …}``.
"""

from __future__ import annotations

import argparse
import json
import sys

from bench import runner, stderr_log, synth


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["load"]:  # the load test: python -m bench load --help
        from bench import load

        return load.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(synth.SCALES), default="province",
                        help="tiny: proves the harness; county: one county, quick; province: 25,000 villages")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    parser.add_argument("--child", nargs=4, metavar=("KIND", "DB", "ROUND", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return runner.child(*args.child)
    scale = synth.SCALES[args.scale]
    log = stderr_log()

    log(f"scale {scale.name}: {scale.total_villages:,} villages; {runner.machine()}")
    figures = runner.run(scale, log)
    if args.json:
        print(json.dumps({f.name: f.to_json() for f in figures}, ensure_ascii=False, indent=1))
    else:
        print(f"scale {scale.name}, {runner.machine()}\n")
        print(runner.table(figures))
    log("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
