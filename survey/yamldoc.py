"""Reading county data written as YAML (the rubric, the ten-star set): one reader, every problem
located.

:class:`Validator` parses a YAML text into a tree of :class:`Map` / :class:`Seq` / scalars that
remember their lines, refusing anchors, aliases and deep nesting from the parser's events before
anything is composed (:mod:`core.limits`), and reads fields from it, collecting each problem as
``FILE:LINE: field: message``. Numbers are exact: a YAML float is read as
:class:`~decimal.Decimal` from its text (``0.5`` is ``Decimal("0.5")``), never a float.
:func:`read_texts` reads the files themselves (size checked first, UTF-8 with or without BOM).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from core import config, limits
from core.errors import DataError, Problem, problem

#: A code of the data (item, section, star, tier...): a letter first, at most 16 characters.
CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,15}$")


def display(path: Path) -> str:
    """``data/rubric/x.yaml`` for files of the repository, else the path as given."""
    try:
        return path.resolve().relative_to(config.REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def read_texts(paths: list[Path]) -> dict[str, str]:
    """``{display name: text}`` of YAML files: each refused above :data:`core.limits.RUBRIC_BYTES`
    before it is read, and located at the line where it stops being UTF-8."""
    docs = {}
    for path in paths:
        limits.file_size(path, limits.RUBRIC_BYTES, display(path))
        data = path.read_bytes()
        try:
            docs[display(path)] = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise DataError([problem("file_encoding", display(path), limits.line_of(data, e.start))]) from None
    return docs


class Map(dict):
    """A YAML mapping that remembers its line and the line of each key's value."""

    line: int
    lines: dict[str, int]


class Seq(list):
    """A YAML sequence that remembers its line and each element's line."""

    line: int
    lines: list[int]


_SCALARS = SafeConstructor()


class Validator:
    """Collects located problems while reading YAML data files."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, key: str, file: str, line: int | None, field: str | None, **fields: Any) -> None:
        self.problems.append(problem(key, file, line, field, **fields))

    def parse(self, name: str, text: str) -> Map | None:
        """YAML text -> a tree of Map/Seq/scalars, or None after reporting a problem.
        Anchors and aliases are refused (the data needs none, and an alias makes a
        "billion laughs" or a loop of the tree), as is nesting deeper than YAML_DEPTH, from
        the parser's events, before anything is composed."""
        # (characters first: encoding a huge text only to measure it is the cost avoided)
        if len(text) > limits.RUBRIC_BYTES or len(text.encode("utf-8")) > limits.RUBRIC_BYTES:
            self.add("too_large", name, None, None, size=limits.human_bytes(len(text.encode("utf-8"))),
                     limit=limits.human_bytes(limits.RUBRIC_BYTES))
            return None
        try:
            if not self._plain(name, text):
                return None
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            detail = " ".join(x for x in (e.context, e.problem) if x)
            self.add("yaml", name, mark.line + 1 if mark else None, None, detail=detail)
            return None
        except yaml.YAMLError as e:
            self.add("yaml", name, None, None, detail=str(e))
            return None
        if node is None:
            self.add("yaml_empty", name, None, None)
            return None
        tree = self._convert(name, node)
        if not isinstance(tree, Map):
            self.add("rubric_mapping", name, node.start_mark.line + 1, "(file)")
            return None
        return tree

    def _plain(self, name: str, text: str) -> bool:
        """False (after reporting it) when ``text`` has an anchor, an alias or deep nesting."""
        depth = 0
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                mark = "*" if isinstance(event, yaml.AliasEvent) else "&"
                self.add("yaml_alias", name, event.start_mark.line + 1, None, value=f"{mark}{event.anchor}"[:40])
                return False
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > limits.YAML_DEPTH:
                    self.add("yaml_depth", name, event.start_mark.line + 1, None, limit=limits.YAML_DEPTH)
                    return False
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return True

    def _convert(self, name: str, node: yaml.Node) -> Any:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out = Map()
            out.line, out.lines = line, {}
            for k, val in node.value:
                key = str(k.value) if isinstance(k, yaml.ScalarNode) else "?"
                if key in out:
                    self.add("yaml_key_duplicate", name, k.start_mark.line + 1, key)
                out[key] = self._convert(name, val)
                out.lines[key] = val.start_mark.line + 1
            return out
        if isinstance(node, yaml.SequenceNode):
            seq = Seq(self._convert(name, n) for n in node.value)
            seq.line, seq.lines = line, [n.start_mark.line + 1 for n in node.value]
            return seq
        tag, raw = node.tag, node.value
        if tag.endswith(":int"):
            return _SCALARS.construct_yaml_int(node)
        if tag.endswith(":float"):
            try:
                d = Decimal(raw.replace("_", ""))
            except InvalidOperation:
                return raw  # .inf / .nan: reported as "not a number" where a number is expected
            return d if d.is_finite() else raw
        if tag.endswith(":bool"):
            return _SCALARS.construct_yaml_bool(node)
        if tag.endswith(":null"):
            return None
        return raw

    # -- field readers: each reports its own problem and returns None when wrong --

    def fields(self, name: str, m: Map, prefix: str, required: tuple[str, ...], optional: tuple[str, ...]) -> bool:
        """Report missing required and unknown keys of ``m``; True when all required are there."""
        ok = True
        for key in required:
            if key not in m:
                self.add("rubric_missing", name, m.line, prefix + key)
                ok = False
        known = required + optional
        for key in m:
            if key not in known:
                self.add("rubric_unknown", name, m.lines[key], prefix + key, known=", ".join(known))
        return ok

    def text(self, name: str, m: Map, key: str, prefix: str, required: bool = True) -> str | None:
        if key not in m:
            return None if required else ""
        val = m[key]
        if not isinstance(val, str) or not val.strip():
            self.add("rubric_text", name, m.lines[key], prefix + key, value=show(val))
            return None
        return val.strip()

    def number(self, name: str, m: Map, key: str, prefix: str) -> Decimal | None:
        """A number > 0 as an exact Decimal (bools and text rejected)."""
        if key not in m:
            return None
        d = decimal_of(m[key])
        if d is None or d <= 0:
            self.add("rubric_number", name, m.lines[key], prefix + key, value=show(m[key]))
            return None
        return d

    def code(self, name: str, m: Map, prefix: str) -> str | None:
        val = m.get("code")
        if "code" not in m:
            return None
        if not isinstance(val, str) or not CODE.match(val):
            self.add("rubric_code", name, m.lines["code"], prefix + "code", value=show(val))
            return None
        return val

    def seq(self, name: str, m: Map, key: str, prefix: str) -> Seq | None:
        if key not in m:
            return None
        val = m[key]
        if not isinstance(val, Seq) or not val:
            self.add("rubric_list", name, m.lines[key], prefix + key)
            return None
        return val

    def mapping(self, name: str, m: Map, key: str, prefix: str) -> Map | None:
        if key not in m:
            return None
        val = m[key]
        if not isinstance(val, Map) or not val:
            self.add("rubric_mapping", name, m.lines[key], prefix + key)
            return None
        return val


def decimal_of(val: Any) -> Decimal | None:
    """An exact Decimal for a YAML int or float (bool and text are not numbers)."""
    if isinstance(val, bool):
        return None
    if isinstance(val, int):
        return Decimal(val)
    if isinstance(val, Decimal):
        return val
    return None


def show(val: Any) -> str:
    """A value as the officer wrote it, for messages."""
    if val is None:
        return "（空）"
    if isinstance(val, bool):
        return "true" if val else "false"
    if isinstance(val, (Map, Seq)):
        return type(val).__name__.strip("_").lower()
    return repr(val) if isinstance(val, str) else str(val)
