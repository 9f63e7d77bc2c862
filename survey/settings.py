"""The county's other rules (县级设置): values that differ from place to place, each with its
default, where that default comes from, and who changed it and when.

Defaults live in ``data/settings.yaml`` (validated like the rubric: every problem reported with
its file and line, nothing used until the file is right); an administrator may override a value
for the whole database (scope ``""``) or for one county (its 6-digit code), with who decided it
and when (stored in the ``settings`` table, audited). A value is resolved county override →
database override → file. The tools read them from here, never from constants:

======================  =========================================================================
``radius_m``            radiation radius of demonstration villages (maps, belts)
``buffer_m``            buffer of a road imported without ``--buffer-m``
``gps_accuracy_m``      the tablet warns when the position is less accurate than this
``gps_distance_m``      the tablet warns when the position is farther from the village than this
``civilized_from``      the lowest title that counts as civilized (县级; some cities count 市级)
``target``              the share target of civilized villages when none was set for the place
``township_target``     the share target of civilized townships
``veto_months``         how long a veto record is in force from its date
======================  =========================================================================

Grade factors are rubric knowledge: they stay in ``data/rubric/`` (a default table in
``rubric.yaml``, an item's own in its section file), validated when the rubric is loaded.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

from core import config, limits
from core.errors import DataError, UsageError, problem
from core.model import TITLES

#: Where a value in force comes from: the file, the database's own default, a county's own.
FROM_FILE, FROM_DATABASE, FROM_COUNTY = "file", "database", "county"


class Spec(NamedTuple):
    """What a setting accepts: ``kind`` metres / percent / months / title, and its bounds
    (``low`` excluded for metres: a radius of 0 is no radius)."""

    kind: str
    low: Decimal | None = None
    high: Decimal | None = None


#: Every setting, in the order the page lists them.
SPECS: dict[str, Spec] = {
    "radius_m": Spec("metres", Decimal(0), Decimal(100_000)),
    "buffer_m": Spec("metres", Decimal(0), Decimal(50_000)),
    "gps_accuracy_m": Spec("metres", Decimal(0), Decimal(10_000)),
    "gps_distance_m": Spec("metres", Decimal(0), Decimal(100_000)),
    "civilized_from": Spec("title"),
    "target": Spec("percent", Decimal(0), Decimal(100)),
    "township_target": Spec("percent", Decimal(0), Decimal(100)),
    "veto_months": Spec("months", Decimal(1), Decimal(60)),
}
LEVELS = TITLES[1:]  # 县级 市级 省级 全国


@dataclass(frozen=True)
class Settings:
    """The values in force for one place. Numbers are exact."""

    radius_m: Decimal
    buffer_m: Decimal
    gps_accuracy_m: Decimal
    gps_distance_m: Decimal
    civilized_from: str
    target: Decimal
    township_target: Decimal
    veto_months: int

    @property
    def civilized_titles(self) -> frozenset[str]:
        """The titles that count as civilized: ``civilized_from`` and every higher level."""
        return frozenset(LEVELS[LEVELS.index(self.civilized_from):])


class FileValue(NamedTuple):
    value: Any
    source: str
    line: int


# --- values: checked one way, from the file or from the page ---------------------------------------


def _expected(spec: Spec) -> tuple[str, str]:
    if spec.kind == "metres":
        return f"大于 0、不超过 {spec.high} 的米数", f"a number of metres above 0 and at most {spec.high}"
    if spec.kind == "percent":
        return f"{spec.low}–{spec.high} 之间的百分数", f"a percentage within {spec.low}–{spec.high}"
    return f"{spec.low}–{spec.high} 之间的整月数", f"a whole number of months within {spec.low}–{spec.high}"


def check_value(key: str, value: Any, file: str, line: int | None = None) -> Any:
    """``value`` (a number, or text as typed) as setting ``key`` holds it: an exact Decimal, an
    int of months, a title level. :class:`DataError` located at ``file``/``line``, field
    ``key``, when it is unknown or out of range (a negative radius, a target above 100)."""
    spec = SPECS.get(key)
    if spec is None:
        raise DataError([problem("setting_unknown", file, line, key, known="、".join(SPECS))])
    shown = _show(value)
    if spec.kind == "title":
        text = value.strip() if isinstance(value, str) else value
        if text not in LEVELS:
            raise DataError([problem("setting_choice", file, line, key, choices="/".join(LEVELS), value=shown)])
        return text
    number = _number(value)
    zh, en = _expected(spec)
    bad = DataError([problem("setting_range", file, line, key, expected=zh, expected_en=en, value=shown)])
    if number is None or number > spec.high:  # type: ignore[operator]
        raise bad
    if spec.kind == "metres":
        if number <= spec.low:  # type: ignore[operator]
            raise bad
        return number
    if number < spec.low:  # type: ignore[operator]
        raise bad
    if spec.kind == "months":
        if number != number.to_integral_value():
            raise bad
        return int(number)
    return number


def _number(value: Any) -> Decimal | None:
    """An exact finite Decimal from an int, a Decimal, a float or text; None otherwise."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, int | Decimal):
            number = Decimal(value)
        elif isinstance(value, str) and value.strip():
            number = Decimal(value.strip().rstrip("%").strip())
        else:
            return None
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _show(value: Any) -> str:
    if value is None:
        return "（空）"
    return repr(value) if isinstance(value, str) else str(value)


def text(value: Any) -> str:
    """A setting's value as stored and shown: ``5000``, ``0.5``, ``市级``, ``12``."""
    if isinstance(value, Decimal):
        s = format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
        return s.rstrip("0").rstrip(".") if "." in s else s
    return str(value)


# --- the file --------------------------------------------------------------------------------------


def file_values(path: str | Path | None = None) -> dict[str, FileValue]:
    """The defaults of ``data/settings.yaml`` (or ``path``): setting -> (value, source, line).
    Cached until the file changes. :class:`DataError` with every problem of the file."""
    file = Path(path) if path is not None else config.SETTINGS_FILE
    if not file.is_file():
        raise DataError([problem("file_missing", _display(file))])
    stat = file.stat()
    return _file_cached(str(file.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _file_cached(path: str, _mtime: int, _size: int) -> dict[str, FileValue]:
    name = _display(Path(path))
    limits.file_size(Path(path), limits.RUBRIC_BYTES, name)
    data = Path(path).read_bytes()
    try:
        source = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError([problem("file_encoding", name, limits.line_of(data, e.start))]) from None
    return parse_settings(source, name)


def parse_settings(source: str, name: str = "data/settings.yaml") -> dict[str, FileValue]:
    """Validate the settings YAML ``source``: every setting present once, nothing unknown, each
    a mapping of ``value`` and ``source`` (a non-empty text), each value within its range."""
    from survey.rubric import _Map, _Validator

    v = _Validator()
    tree = v.parse(name, source)
    if tree is None:
        raise DataError(v.problems)
    out: dict[str, FileValue] = {}
    for key in tree:
        if key not in SPECS:
            v.add("setting_unknown", name, tree.lines[key], key, known="、".join(SPECS))
    for key in SPECS:
        if key not in tree:
            v.add("setting_missing", name, tree.line, key)
            continue
        entry, line = tree[key], tree.lines[key]
        if not isinstance(entry, _Map):
            v.add("rubric_mapping", name, line, key)
            continue
        v.fields(name, entry, f"{key}.", ("value", "source"), ())
        origin = v.text(name, entry, "source", f"{key}.")
        if "value" not in entry:
            continue
        try:
            value = check_value(key, entry["value"], name, entry.lines["value"])
        except DataError as exc:
            v.problems.extend(exc.problems)
            continue
        if origin:
            out[key] = FileValue(value, origin, entry.lines["value"])
    if v.problems:
        raise DataError(v.problems)
    return out


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(config.REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def defaults(path: str | Path | None = None) -> Settings:
    """The file's values (no override): what a place gets when nobody changed anything."""
    return _settings({k: fv.value for k, fv in file_values(path).items()})


def _settings(values: Mapping[str, Any]) -> Settings:
    return Settings(**{f.name: values[f.name] for f in fields(Settings)})


# --- resolution over the overrides -------------------------------------------------------------------


@dataclass(frozen=True)
class Book:
    """The file's values and every override of the database: the settings of any place."""

    file: Mapping[str, FileValue]
    overrides: Mapping[tuple[str, str], Mapping[str, Any]]  # (scope, key) -> stored row

    def value(self, key: str, county: str | None = None) -> tuple[Any, str, Mapping[str, Any] | None]:
        """(value, where it comes from, the override row or None) of ``key`` for ``county``
        (None: the database as a whole)."""
        for scope, origin in (((county, FROM_COUNTY),) if county else ()) + (("", FROM_DATABASE),):
            row = self.overrides.get((scope, key))
            if row is not None:
                return check_value(key, row["value"], "settings"), origin, row
        return self.file[key].value, FROM_FILE, None

    def settings(self, county: str | None = None) -> Settings:
        """The values in force for ``county`` (None: the database's own)."""
        return _settings({key: self.value(key, county)[0] for key in SPECS})

    def counties(self, codes: Iterable[str]) -> dict[str, Settings]:
        return {code: self.settings(code) for code in codes}


def book(db_path: str | Path) -> Book:
    """The settings book of the database: the file's values and the stored overrides."""
    from survey import store

    rows = store.setting_rows(db_path)
    return Book(file_values(), {(r["scope"], r["key"]): r for r in rows})


def load(db_path: str | Path, county: str | None = None) -> Settings:
    """The settings in force for ``county`` (6 digits; None: the database as a whole)."""
    return book(db_path).settings(county)


# --- the page: every setting with its default, source, and who changed it -----------------------------


@dataclass(frozen=True)
class SettingRow:
    """One setting as the settings page shows it for a scope."""

    key: str
    value: Any  # in force for the scope
    origin: str  # FROM_FILE / FROM_DATABASE / FROM_COUNTY
    default: Any  # the file's value
    source: str  # where the file's value comes from
    by: str | None  # who decided the override in force (None: the file's value)
    at: str | None
    actor: str | None  # the account that entered it


def _admin(user) -> None:
    if not user.admin:
        raise UsageError("forbidden")


def _scope(db_path: str | Path, user, scope: str) -> str:
    """``""`` (the whole database) or a county of the registry within the user's scope."""
    from survey import store

    scope = (scope or "").strip()
    if scope:
        user.scope.check_county(scope)
        known = store.counties(db_path)
        if scope not in known:
            from core.errors import NotFound

            raise NotFound("county_unknown", value=scope, known="、".join(known) or "（无 none）")
    return scope


def rows(db_path: str | Path, user, scope: str = "") -> list[SettingRow]:
    """Every setting for ``scope`` (``""``: the whole database; a county code), in order
    (administrators)."""
    _admin(user)
    scope = _scope(db_path, user, scope)
    b = book(db_path)
    out = []
    for key in SPECS:
        value, origin, row = b.value(key, scope or None)
        out.append(SettingRow(key, value, origin, b.file[key].value, b.file[key].source,
                              row and row["set_by"], row and row["set_at"], row and row["actor"]))
    return out


def change(db_path: str | Path, user, scope: str, key: str, value: Any, by: str) -> Any:
    """Set ``key`` for ``scope`` (``""`` or a county code) to ``value``, recording who decided it
    (``by``: a person or a document) and when; returns the value stored. Administrators only.
    A value out of range (a negative radius, a target above 100) or an unknown setting:
    :class:`DataError` naming it, nothing written. A change of ``veto_months`` applies the veto
    records again to the submissions they reach, in the same transaction."""
    _admin(user)
    scope = _scope(db_path, user, scope)
    checked = check_value(key, value, "设置 settings")
    if not (by or "").strip():
        raise UsageError("setting_by")
    from survey import store

    store.set_setting(db_path, scope, key, text(checked), by.strip(), actor=user.name)
    return checked


def reset(db_path: str | Path, user, scope: str, key: str) -> bool:
    """Remove the override of ``key`` for ``scope`` (the next level's value applies again);
    False when there was none. Administrators only."""
    _admin(user)
    scope = _scope(db_path, user, scope)
    if key not in SPECS:
        raise DataError([problem("setting_unknown", "设置 settings", None, key, known="、".join(SPECS))])
    from survey import store

    return store.reset_setting(db_path, scope, key, actor=user.name)
