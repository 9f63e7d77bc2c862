"""``python -m survey``: every command of the command line (../shared/spec/cli.md, version 2).

One parser (:func:`build_parser`), one function per command (``_cmd_<name>``: read the options,
call one use case of ``survey``, print), and one place that turns errors into exit codes
(:func:`main`): 0 on success, 1 when the input data is wrong (one ``FILE:LINE: field: message``
line per problem on stderr), 2 for wrong usage. Summaries go to stderr, data to stdout.
"""

from __future__ import annotations

import argparse
import codecs
import json
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from core import config
from core.errors import DataError, SurveyError, UsageError
from survey import auth, service, store

Command = Callable[[argparse.Namespace], int]


def _err(text: str) -> None:
    print(text, file=sys.stderr)


# --- version 1 -----------------------------------------------------------------------------------


def _cmd_init(args: argparse.Namespace) -> int:
    print(store.migrate(args.db))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    result = service.load_demo(args.db, auth.operator())
    v, (roads_added, roads_replaced), s = result["villages"], result["roads"], result["submissions"]
    _err(f"villages: {v.added} added, {v.updated} updated, {v.unchanged} unchanged; "
         f"roads: {roads_added} added, {roads_replaced} replaced; "
         f"submissions: {s.added} added, {s.skipped} already stored; "
         f"demo accounts: {result['accounts']} added (see README)")
    return 0


def _cmd_import_villages(args: argparse.Namespace) -> int:
    s = service.import_villages_file(args.db, auth.operator(), args.file)
    _err(f"{args.file}: {s.added} added, {s.updated} updated, {s.unchanged} unchanged")
    return 0


def _cmd_import_roads(args: argparse.Namespace) -> int:
    added, replaced = service.import_roads_file(args.db, auth.operator(), args.file, buffer_m=args.buffer_m)
    _err(f"{args.file}: {added} roads added, {replaced} replaced")
    return 0


def _cmd_import_boundaries(args: argparse.Namespace) -> int:
    from survey import belts

    done = belts.import_boundaries_file(args.db, auth.operator(), args.file)
    _err(f"{args.file}: {done.added} township boundaries added, {done.replaced} replaced, "
         f"{done.unchanged} unchanged")
    return 0


def _cmd_import_submissions(args: argparse.Namespace) -> int:
    r = service.import_submissions_file(args.db, auth.operator(), args.file)
    for w in r.warnings:
        _err(f"warning: {w}")
    _err(f"{args.file}: {r.added} added, {r.skipped} already stored")
    return 0


def _cmd_checklists(args: argparse.Namespace) -> int:
    from survey.rubric import load_rubric

    doc = (service.rubric_for_round(args.db, args.round) if args.round else load_rubric()).to_json()
    print(json.dumps(doc, ensure_ascii=False, indent=None if args.json else 2))
    return 0


def _cmd_flags(args: argparse.Namespace) -> int:
    """The townships table of every county, in the export's CSV dialect. To ``--out FILE``:
    UTF-8 with BOM, as the spec's default (Excel opens it). To stdout: the same bytes without
    the BOM, so pipes and ``grep`` see a clean first line."""
    from survey.csvio import atomic_write, csv_bytes
    from survey.export import TOWNSHIP_COLUMNS, township_rows
    from survey.targets import flags_table

    table = flags_table(args.db, args.round, args.target)
    data, _ = csv_bytes(TOWNSHIP_COLUMNS, township_rows(table), "utf-8-sig")
    if args.out:
        atomic_write(args.out, data)
    else:
        sys.stdout.buffer.write(data.removeprefix(codecs.BOM_UTF8))
        sys.stdout.flush()
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    """Prints each file written (stdout) and each warning (stderr)."""
    from survey.export import export_round

    result = export_round(args.db, auth.operator(), args.round, args.out, args.encoding, args.county)
    for path in result.files:
        print(path)
    for w in result.warnings:
        _err(str(w))
    return 0


def _cmd_map(args: argparse.Namespace) -> int:
    from survey.csvio import atomic_write
    from survey.mapdata import standalone_map

    page = standalone_map(args.db, args.round)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, page.html)
    _err(f"{out}: {page.villages} villages ({page.assessed} assessed in round {page.round_id or '-'}), "
         f"{page.belts} belts, {len(page.html) // 1024} KB")
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    counts = store.stats(args.db)
    if args.json:
        print(json.dumps(counts))
    else:
        for key, value in counts.items():
            print(f"{key}\t{value}")
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    info = service.backup(args.db, auth.operator(), args.out)
    _err(f"{args.out}: backup of {args.db} checked (integrity ok, schema {info['schema_version']}, "
         f"{info['pages']} pages)")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    info = service.restore(args.db, auth.operator(), args.file)
    _err(f"{args.db}: restored from {args.file} (schema {info['schema_version']}, {info['pages']} pages)")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    """The bulletin, and a PDF beside it when LibreOffice is installed (``--no-pdf`` skips it).
    Prints the files written; warnings go to stderr. Unknown round or county: exit 1."""
    from survey.bulletin import report_for

    options = {k: v for k, v in (("review_share", args.review_share), ("review_rounds", args.review_rounds))
               if v is not None}
    report = report_for(args.db, auth.operator(), args.round, args.county, args.out, pdf=not args.no_pdf,
                        **options)
    for w in report.warnings:
        _err(str(w))
    print(report.docx)
    if report.pdf:
        print(report.pdf)
    return 0


def _cmd_xlsform(args: argparse.Namespace) -> int:
    from survey.xlsform import form_id, write_form

    form_path, csv_path = write_form(args.db, args.round, args.out)
    _err(f"{form_path}: form {form_id(args.round)}; {csv_path}: villages")
    return 0


def _cmd_import_odk(args: argparse.Namespace) -> int:
    from survey.odk import import_file

    result = import_file(args.db, auth.operator(), args.file)
    for w in result.warnings:
        _err(f"warning: {w}")
    _err(f"{args.file}: {result.added} added, {result.skipped} already stored, "
         f"{result.photos} photos ({result.source})")
    return 0


def _cmd_import_townships(args: argparse.Namespace) -> int:
    from survey.titles import import_townships_file

    s = import_townships_file(args.db, auth.operator(), args.file)
    _err(f"{args.file}: {s.added} townships added, {s.updated} updated, {s.unchanged} unchanged")
    return 0


def _cmd_import_vetoes(args: argparse.Namespace) -> int:
    from survey.vetoes import import_file

    r = import_file(args.db, auth.operator(), args.file)
    _err(f"{args.file}: {r.added} veto records added, {r.updated} updated, {r.unchanged} unchanged")
    return 0


def _cmd_export_submissions(args: argparse.Namespace) -> int:
    """The round's submissions as JSON Lines (interchange.md, with ``unmet``), to ``--out`` or stdout."""
    from survey.csvio import atomic_write
    from survey.service import submissions_jsonl

    data = submissions_jsonl(args.db, auth.operator(), args.round, args.county)
    if args.out:
        atomic_write(args.out, data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def _cmd_settings(args: argparse.Namespace) -> int:
    """The county's other rules in force (``--county``: that county's), with where each comes from."""
    from survey import settings

    rows = settings.rows(args.db, auth.operator(), args.county or "")
    if args.json:
        print(json.dumps({r.key: {"value": settings.text(r.value), "from": r.origin,
                                  "default": settings.text(r.default),
                                  "source": r.source, "by": r.by, "at": r.at} for r in rows}, ensure_ascii=False))
    else:
        for r in rows:
            print("\t".join([r.key, settings.text(r.value), r.origin, r.by or "-", r.at or "-"]))
    return 0


def _cmd_approve(args: argparse.Namespace) -> int:
    """Approve the round's pending submissions as the reviewer account ``--as`` (audited as it);
    prints how many were approved; a named village with nothing pending is said on stderr."""
    from survey import review

    approved, idle = review.approve_round(args.db, review.reviewer(args.db, args.as_name), args.round,
                                          args.village or ())
    for code in idle:
        _err(f"{code}: no pending submission in round {args.round}")
    print(approved)
    return 0


def _cmd_ledger(args: argparse.Namespace) -> int:
    """The fix-it ledger (ledger.md): to ``--out FILE`` as CSV or XLSX by its ending, else as
    CSV on stdout (the same bytes, BOM included, as the file)."""
    from survey.ledger import write_ledger

    result = write_ledger(args.db, auth.operator(), args.out, args.round, args.county, args.status)
    if isinstance(result, bytes):
        sys.stdout.buffer.write(result)
        sys.stdout.flush()
    else:
        _err(f"{result}: fix-it ledger written")
    return 0


# --- ten-star households ---------------------------------------------------------------------------


def _cmd_import_households(args: argparse.Namespace) -> int:
    from survey.households import import_file

    s = import_file(args.db, auth.operator(), args.file, args.village)
    _err(f"{args.file}: {s.added} households added, {s.updated} updated, {s.unchanged} unchanged")
    return 0


def _cmd_households(args: argparse.Namespace) -> int:
    """The village's register with each household's rating, in the export's CSV dialect (to
    ``--out FILE.csv`` with a BOM, to stdout without); ``--out FILE.docx``: the public notice
    (公示) of ``--period`` (default: the latest period rated)."""
    from survey.csvio import atomic_write, csv_bytes
    from survey.households import LISTING_COLUMNS, default_period, listing

    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() == ".docx":
        from survey.notice import write_notice
        from survey.stars import load_stars

        period = args.period or default_period(args.db, load_stars(), village=args.village)
        print(write_notice(args.db, auth.operator(), args.village, period, out))
        return 0
    if out is not None and out.suffix.lower() != ".csv":
        raise UsageError("households_out", value=str(out))
    data, _ = csv_bytes(LISTING_COLUMNS, listing(args.db, auth.operator(), args.village, args.period))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, data)
    else:
        sys.stdout.buffer.write(data.removeprefix(codecs.BOM_UTF8))
        sys.stdout.flush()
    return 0


def _cmd_stars(args: argparse.Namespace) -> int:
    from survey.stars import load_stars

    doc = load_stars().to_json()
    print(json.dumps(doc, ensure_ascii=False, indent=None if args.json else 2))
    return 0


# --- accounts ------------------------------------------------------------------------------------


def _stdin_password(args: argparse.Namespace) -> str:
    if not args.password_stdin:
        raise UsageError("password_stdin")
    return sys.stdin.readline().rstrip("\r\n")


def _cmd_users(args: argparse.Namespace) -> int:
    """``users add|list|disable|enable|password``: the server operator's account management."""
    action = args.users_command
    if action == "add":
        user = auth.add_user(args.db, args.name, args.role, args.county, _stdin_password(args),
                             args.townships.split(","), args.display_name, by=auth.operator())
        _err(f"user {user.name} added: {user.role}, county {user.county}"
             + (f", townships {','.join(user.townships)}" if user.townships else ""))
    elif action == "list":
        rows = [{"name": u.name, "display_name": u.display_name, "role": u.role, "county": u.county,
                 "townships": list(u.townships), "disabled": u.disabled} for u in auth.users(args.db)]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        else:
            for r in rows:
                print("\t".join([r["name"], r["display_name"], r["role"], r["county"],
                                 ",".join(r["townships"]) or "-", "disabled" if r["disabled"] else "active"]))
    elif action in ("disable", "enable"):
        auth.set_disabled(args.db, args.name, action == "disable", by=auth.operator())
        _err(f"user {args.name} {action}d")
    else:
        auth.set_password(args.db, args.name, _stdin_password(args), by=auth.operator())
        _err(f"password of {args.name} set")
    return 0


# --- the parser ----------------------------------------------------------------------------------


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0: {text!r}")
    return value


def _percent(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().rstrip("%"))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a percentage: {text!r}") from None
    if not value.is_finite() or not (0 <= value <= 100):
        raise argparse.ArgumentTypeError(f"must be within 0–100: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The one parser of ``python -m survey``: its commands are README's command table."""
    db_help = "database file (default: $SURVEY_DB, else var/survey.db)"
    # --db is accepted before and after the command; SUPPRESS keeps a subcommand from
    # resetting a value given before it.
    db_parent = argparse.ArgumentParser(add_help=False)
    db_parent.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=db_help)
    parser = argparse.ArgumentParser(prog="python -m survey",
        description="乡风 Xiangfeng: civilized-village assessment, command line (spec version 2)")
    parser.add_argument("--db", metavar="PATH", default=None, help=db_help)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Command, help_: str, parent=sub) -> argparse.ArgumentParser:
        p = parent.add_parser(name, parents=[db_parent], help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    add("init", _cmd_init, "create or migrate the database; print the schema version")
    add("demo", _cmd_demo, "load the demo county (idempotent)")
    add("import-villages", _cmd_import_villages,
        "add or update villages from CSV, XLSX, GeoJSON or a zipped Shapefile").add_argument("file")
    p = add("import-roads", _cmd_import_roads, "add or replace roads as demonstration belts")
    p.add_argument("file")
    p.add_argument("--buffer-m", type=_positive, default=None, metavar="N",
                   help="buffer around the road in metres (default: the setting buffer_m, 2000 unless changed)")
    add("import-boundaries", _cmd_import_boundaries,
        "add or replace township boundaries (GeoJSON or zipped Shapefile polygons keyed by the 9-digit "
        "township code, any declared CRS)").add_argument("file")
    add("import-submissions", _cmd_import_submissions,
        "add submissions from a JSON Lines file").add_argument("file")
    p = add("checklists", _cmd_checklists, "print the active rubric, or the one pinned by a round")
    p.add_argument("--json", action="store_true", help="compact JSON on one line")
    p.add_argument("--round", metavar="R", help="the rubric round R is scored with")
    p = add("flags", _cmd_flags, "write the township table (share target) of a round")
    p.add_argument("--round", required=True, metavar="R")
    p.add_argument("--target", type=_percent, metavar="P", help="share target in percent, e.g. 55")
    p.add_argument("--out", metavar="FILE")
    p = add("export", _cmd_export, "write the provincial CSV pair(s) of a round")
    p.add_argument("--round", required=True, metavar="R")
    p.add_argument("--out", default=".", metavar="DIR")
    p.add_argument("--encoding", default="utf-8-sig", choices=["utf-8-sig", "gbk"])
    p.add_argument("--county", metavar="CODE")
    p = add("map", _cmd_map, "write a standalone map that opens offline")
    p.add_argument("--round", metavar="R")
    p.add_argument("--out", required=True, metavar="FILE.html")
    add("stats", _cmd_stats, "print counts").add_argument("--json", action="store_true")
    add("backup", _cmd_backup, "a consistent copy of the database taken while it is in use, checked"
        ).add_argument("--out", required=True, metavar="FILE")
    add("restore", _cmd_restore, "replace the database with a checked backup (stop the app first)"
        ).add_argument("file")
    p = add("report", _cmd_report,
            "write the round bulletin (测评通报) of a county as Word, and PDF when LibreOffice is installed")
    p.add_argument("--round", required=True, metavar="R")
    p.add_argument("--county", metavar="C", help="6-digit county code (default: the database's only county)")
    p.add_argument("--out", required=True, metavar="FILE.docx")
    p.add_argument("--no-pdf", action="store_true", help="do not convert to PDF")
    p.add_argument("--review-share", type=_percent, default=None, metavar="P",
                   help="share of titled villages listed for title review, percent (default 10)")
    p.add_argument("--review-rounds", type=_count, default=None, metavar="N",
                   help="rounds the title review ranks on (default 3)")

    p = add("xlsform", _cmd_xlsform,
            "write the round's rubric as an XLSForm for ODK/Kobo Collect, villages.csv beside it")
    p.add_argument("--round", required=True, metavar="R")
    p.add_argument("--out", required=True, metavar="FORM.xlsx")
    add("import-odk", _cmd_import_odk,
        "add submissions from an ODK Central export (ZIP with media, or CSV) or a KoboToolbox "
        "export (CSV or XLSX) of the round's form").add_argument("file")

    add("import-townships", _cmd_import_townships,
        "add or update townships and their civilized-township titles (CSV, XLSX)").add_argument("file")
    add("import-vetoes", _cmd_import_vetoes,
        "add veto records kept by the office (CSV, XLSX): a village or a whole township, item, date, "
        "source, document").add_argument("file")
    p = add("export-submissions", _cmd_export_submissions,
            "write a round's submissions as JSON Lines (interchange form, with the unmet criteria)")
    p.add_argument("--round", required=True, metavar="R")
    p.add_argument("--county", metavar="CODE")
    p.add_argument("--out", metavar="FILE")
    p = add("settings", _cmd_settings, "print the county's other rules in force, with where each comes from")
    p.add_argument("--county", metavar="CODE", help="a county's own values (default: the database's)")
    p.add_argument("--json", action="store_true")

    p = add("approve", _cmd_approve,
            "approve the round's pending submissions as a reviewer account (audited as it); prints how many")
    p.add_argument("--round", required=True, metavar="R")
    p.add_argument("--as", required=True, dest="as_name", metavar="NAME", help="the reviewer account")
    p.add_argument("--village", nargs="+", action="extend", metavar="CODE",
                   help="only these villages (12-digit codes)")
    p = add("ledger", _cmd_ledger, "write the fix-it ledger (整改台账) as CSV, or XLSX when FILE ends in .xlsx")
    p.add_argument("--round", metavar="R", help="entries found in this round")
    p.add_argument("--county", metavar="C", help="6-digit county code")
    p.add_argument("--status", choices=["open", "fixed", "closed", "overdue"])
    p.add_argument("--out", metavar="FILE", help="FILE.csv or FILE.xlsx (default: CSV on stdout)")
    p = add("import-households", _cmd_import_households,
            "add or update a village register of households (CSV, XLSX, XLS; see interchange.md)")
    p.add_argument("file")
    p.add_argument("--village", metavar="CODE",
                   help="the village the file is for (its village column may then be left out)")
    p = add("households", _cmd_households,
            "a village's households with their latest rating (CSV), or its public notice (.docx)")
    p.add_argument("--village", required=True, metavar="CODE")
    p.add_argument("--period", metavar="P", help="the rating period, e.g. 2026 (default: the latest rating)")
    p.add_argument("--out", metavar="FILE", help="FILE.csv (default: stdout) or FILE.docx (the public notice)")
    add("stars", _cmd_stars, "print the county's ten-star set (checks data/tenstar/stars.yaml)").add_argument(
        "--json", action="store_true", help="compact JSON on one line")

    p = add("users", _cmd_users, "manage accounts: add, list, disable, enable, password")
    users = p.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    u = users.add_parser("add", parents=[db_parent], help="create an account (password on stdin)")
    u.add_argument("name")
    u.add_argument("--role", required=True, choices=list(auth.ROLES))
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


def commands() -> list[str]:
    """The names of every command, as the parser knows them (README's table lists the same)."""
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(action.choices)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be ≥ 1: {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.db = config.db_path(args.db)
    try:
        return args.func(args)
    except DataError as exc:
        for p in exc.problems:
            _err(str(p))
        return 1
    except SurveyError as exc:
        _err(f"error: {exc}")
        return exc.exit_code
    except BrokenPipeError:  # e.g. `| head`
        return 0
