"""``python -m survey``: the command line of ../shared/spec/cli.md (version 1).

Exit status 0 on success, 1 when the input data is wrong, 2 for wrong usage. Data errors print
one line per problem to stderr as ``FILE:LINE: field: message``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from core import config
from survey import service, store
from core.errors import DataError, SurveyError


def _cmd_init(args: argparse.Namespace) -> int:
    print(store.migrate(args.db))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    result = service.load_demo(args.db)
    v, (roads_added, roads_replaced), s = result["villages"], result["roads"], result["submissions"]
    print(f"villages: {v.added} added, {v.updated} updated, {v.unchanged} unchanged; "
          f"roads: {roads_added} added, {roads_replaced} replaced; "
          f"submissions: {s.added} added, {s.skipped} already stored; "
          f"demo accounts: {result['accounts']} added (see README)", file=sys.stderr)
    return 0


def _cmd_import_villages(args: argparse.Namespace) -> int:
    s = service.import_villages_file(args.db, args.file)
    print(f"{args.file}: {s.added} added, {s.updated} updated, {s.unchanged} unchanged", file=sys.stderr)
    return 0


def _cmd_import_roads(args: argparse.Namespace) -> int:
    added, replaced = service.import_roads_file(args.db, args.file, buffer_m=args.buffer_m)
    print(f"{args.file}: {added} roads added, {replaced} replaced", file=sys.stderr)
    return 0


def _cmd_import_submissions(args: argparse.Namespace) -> int:
    r = service.import_submissions_file(args.db, args.file)
    print(f"{args.file}: {r.added} added, {r.skipped} already stored", file=sys.stderr)
    return 0


def _cmd_checklists(args: argparse.Namespace) -> int:
    from survey.rubric import load_rubric

    doc = load_rubric().to_json()
    print(json.dumps(doc, ensure_ascii=False, indent=2 if not args.json else None))
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    counts = store.stats(args.db)
    if args.json:
        print(json.dumps(counts))
    else:
        for key, value in counts.items():
            print(f"{key}\t{value}")
    return 0


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A command implemented in another module, imported only when run."""

    def run(args: argparse.Namespace) -> int:
        import importlib

        return getattr(importlib.import_module(module), name)(args)

    return run


def build_parser() -> argparse.ArgumentParser:
    db_help = "database file (default: $SURVEY_DB, else var/survey.db)"
    # --db is accepted before and after the command; SUPPRESS keeps a subcommand from
    # resetting a value given before it.
    db_parent = argparse.ArgumentParser(add_help=False)
    db_parent.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=db_help)
    parser = argparse.ArgumentParser(prog="python -m survey",
        description="乡风 Xiangfeng: civilized-village assessment, command line (spec version 1)")
    parser.add_argument("--db", metavar="PATH", default=None, help=db_help)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[db_parent], help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    add("init", _cmd_init, "create or migrate the database; print the schema version")
    add("demo", _cmd_demo, "load the demo county (idempotent)")
    add("import-villages", _cmd_import_villages,
        "add or update villages from CSV, XLSX, GeoJSON or a zipped Shapefile").add_argument("file")
    p = add("import-roads", _cmd_import_roads, "add or replace roads as demonstration belts")
    p.add_argument("file")
    p.add_argument("--buffer-m", type=_positive, default=config.DEFAULT_BUFFER_M, metavar="N",
                   help="buffer around the road in metres (default 2000)")
    add("import-submissions", _cmd_import_submissions,
        "add submissions from a JSON Lines file").add_argument("file")
    add("checklists", _cmd_checklists, "print the active rubric").add_argument(
        "--json", action="store_true", help="compact JSON on one line")
    add("stats", _cmd_stats, "print counts").add_argument("--json", action="store_true")
    # --- commands of later features -----------------------------------------------------------
    p = add("flags", _lazy("survey.targets", "cmd_flags"),
            "write the township table (share target) of a round")
    p.add_argument("--round", required=True, metavar="R")
    p.add_argument("--target", type=_percent, metavar="P", help="share target in percent, e.g. 55")
    p.add_argument("--out", metavar="FILE")
    p = add("export", _lazy("survey.export", "cmd_export"),
            "write the provincial CSV pair(s) of a round")
    p.add_argument("--round", required=True, metavar="R")
    p.add_argument("--out", default=".", metavar="DIR")
    p.add_argument("--encoding", default="utf-8-sig", choices=["utf-8-sig", "gbk"])
    p.add_argument("--county", metavar="CODE")
    p = add("map", _lazy("survey.mapcli", "cmd_map"), "write a standalone map that opens offline")
    p.add_argument("--round", metavar="R")
    p.add_argument("--out", required=True, metavar="FILE.html")
    p = add("xlsform", _lazy("survey.xlsform", "cmd_xlsform"),
            "write the round's rubric as an XLSForm for ODK/Kobo Collect, villages.csv beside it")
    p.add_argument("--round", required=True, metavar="R")
    p.add_argument("--out", required=True, metavar="FORM.xlsx")
    add("import-odk", _lazy("survey.odk", "cmd_import_odk"),
        "add submissions from an ODK Central export (ZIP with media, or CSV) or a KoboToolbox "
        "export (CSV or XLSX) of the round's form").add_argument("file")
    p = add("users", _lazy("survey.auth", "cmd_users"),
            "manage accounts: add, list, disable, enable, password")
    users = p.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    u = users.add_parser("add", parents=[db_parent], help="create an account (password on stdin)")
    u.add_argument("name")
    u.add_argument("--role", required=True, choices=["surveyor", "reviewer", "admin"])
    u.add_argument("--county", required=True, metavar="CODE", help="6-digit county code")
    u.add_argument("--townships", default="", metavar="CODES",
                   help="comma-separated 9-digit township codes (default: the whole county)")
    u.add_argument("--display-name", metavar="TEXT", help="the name surveys are signed with")
    u.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    users.add_parser("list", parents=[db_parent], help="list accounts").add_argument(
        "--json", action="store_true")
    for action in ("disable", "enable"):
        users.add_parser(action, parents=[db_parent], help=f"{action} an account").add_argument("name")
    u = users.add_parser("password", parents=[db_parent], help="set a new password (stdin)")
    u.add_argument("name")
    u.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    return parser


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text!r}")
    return value


def _percent(text: str):
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text.strip().rstrip("%"))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a percentage: {text!r}") from None
    if not (0 <= value <= 100):
        raise argparse.ArgumentTypeError(f"must be within 0–100: {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.db = config.db_path(args.db)
    try:
        return args.func(args)
    except DataError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return 1
    except SurveyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # e.g. `| head`
        return 0
