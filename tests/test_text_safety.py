"""Text from data is only ever text on the page: the Markdown escaper of ``ui/text.py`` and a
reading of every page and part of the UI that fails when a Markdown place (a body, a title, an
alert, a label, a ``help`` tooltip, a metric, the options of radio/pills/segmented controls,
image captions) is fed anything but ``t()``, ``md()``, a literal, or a function declared to
return ``Md`` whose every ``return`` is one of those."""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import text
from ui.text import Md, code_span, md, plain, t

ROOT = Path(__file__).resolve().parents[1]
UI_FILES = sorted((ROOT / "pages").glob("*.py")) + sorted((ROOT / "ui").glob("*.py")) + [ROOT / "app.py"]

#: The issue's payloads, and what else Streamlit's Markdown would act on.
HOSTILE = (
    "![x](http://127.0.0.2:9/px.png)",
    "[a](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "{{ 7*191 }}",
    ":red[红]",
    "**粗**",
    ":material/home: :material_home: :smile: :streamlit:",
    "a -> b <- c <-> d -- e >= f <= g ~= h",
    "$x^2$ and $$y$$",
    "# 标题\n- 列表\n+ 加\n> 引用\n1. 一\n2) 二\n===\n---",
    "a | b\n--|--\nc | d",
    "`code` ~~删~~ _斜_ __粗__ \\* &amp; &#60;b&#62;",
    "www.example.com http://127.0.0.2/x HTTPS://a.b mail@example.com",
    "<http://127.0.0.2/> <!-- c -->",
    ":blue-background[蓝] :small[小] :orange-badge[徽]",
)


def unescaped(source: str) -> str:
    """What CommonMark shows for escaped text: backslash escapes undone, word joiners invisible."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", source).replace(text.WORD_JOINER, "")


# --- the escaper -------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", HOSTILE)
def test_md_leaves_no_markdown_and_shows_the_same_characters(payload):
    source = md(payload)
    assert isinstance(source, Md)
    assert unescaped(source) == payload
    bare = re.sub(r"\\[!-/:-@\[-`{-~]", "", source)  # every escaped character taken out
    assert not re.search(r"[\[\]<>`*_~$&|:\\]", bare), bare  # no opener left unescaped
    for line in source.split("\n"):  # no block marker at a line start
        assert not re.match(r"[ \t]*([#>+\-=*]|\d+[.)]([ \t]|$))", line), line
    assert ":material/" not in source  # Streamlit rewrites it before parsing
    nodes = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", source)  # the text as parsed, joiners kept
    assert not re.search(r"(?i)(?<!\u2060)(https?://|www\.|@)", nodes)  # no bare autolink
    assert not re.search(r":(streamlit:|material_)", nodes)  # nor Streamlit's logo or an icon
    assert not re.search(r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)", nodes)  # nor arrows or dashes


def test_md_keeps_ordinary_text_and_is_idempotent():
    for ordinary in ("示范县城关镇甲村", "王芳", "第三次双月测评", "2026-B3", "84.5", "村口垃圾点两处（已整改）"):
        assert md(ordinary) == ordinary
    assert md(md("**粗**")) == md("**粗**")
    assert md(Decimal("84.5")) == "84.5" and md(3) == "3"


def test_t_escapes_every_field_and_keeps_nested_text():
    heading = t("sv_village_head", village="![x](http://127.0.0.2:9/px.png)", township="**粗**")
    assert isinstance(heading, Md)
    assert heading == md("![x](http://127.0.0.2:9/px.png)") + "（" + md("**粗**") + "）"
    inner = t("rv_filter", round="2026-B3", status="待审核", township="[a](javascript:alert(1))", result="全部")
    outer = t("rv_bulk_filter", n=3, filter=inner)
    assert inner in outer and "\\\\" not in outer  # escaped once, not twice
    assert t("sv_total", total=1, answered=2, count=3, total_max=4, pass_mark=5).startswith("当前得分 **1**")


def test_plain_formats_without_escaping_and_refuses_markdown_source():
    assert plain("dash_whole_county", name="**甲县**") == "全县（**甲县**）"
    with pytest.raises(TypeError):
        plain("dash_whole_county", name=md("x"))


def test_code_span_fences_any_backticks():
    assert code_span("var/survey.db") == "` var/survey.db `"
    assert code_span("a``b") == "``` a``b ```"


def _markdown_app():
    import streamlit as st

    from ui.text import md as escape

    for payload in st.session_state["payloads"]:
        st.markdown(escape(payload))
        st.caption(escape(payload))


def test_an_app_renders_the_escaped_form_in_its_markdown_elements():
    at = AppTest.from_function(_markdown_app)
    at.session_state["payloads"] = list(HOSTILE)
    at.run()
    assert [m.value for m in at.markdown] == [md(p) for p in HOSTILE]
    assert [c.value for c in at.caption] == [md(p) for p in HOSTILE]


# --- every page and part of the UI -------------------------------------------------------------

#: Streamlit calls whose positional arguments (all of them for ``metric``: label, value, delta)
#: are rendered as Markdown.
MARKDOWN_FIRST = {"markdown", "caption", "title", "header", "subheader", "success", "info", "warning",
                  "error", "toast", "expander", "popover", "button", "form_submit_button",
                  "download_button", "link_button", "checkbox", "toggle", "radio", "selectbox",
                  "multiselect", "text_input", "text_area", "number_input", "date_input",
                  "time_input", "file_uploader", "camera_input", "segmented_control", "pills",
                  "slider", "select_slider", "color_picker", "feedback"}
MARKDOWN_ALL = {"metric", "tabs", "write"}
#: Keyword arguments rendered as Markdown wherever they appear.
MARKDOWN_KWARGS = {"help", "label", "value_label", "delta", "caption"}
#: Widgets whose options (``format_func``) are rendered as Markdown; other option lists
#: (selectbox, multiselect) are plain text.
MARKDOWN_OPTIONS = {"radio", "segmented_control", "pills"}
PLAIN_OPTIONS = {"selectbox", "multiselect"}
#: Numbers as text: digits, a point, a sign.
NUMERIC = {"num", "fmt1", "len"}
SAFE = {"t", "md", "code_span"}


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _md_functions() -> set[str]:
    """Functions of the UI declared to return ``Md``."""
    found = set(SAFE)
    for path in UI_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and isinstance(node.returns, ast.Name) \
                    and node.returns.id == "Md":
                found.add(node.name)
    return found


MD_FUNCTIONS = _md_functions()


def safe(node: ast.expr) -> bool:
    """Whether ``node`` is Markdown source that holds no unescaped data."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, int, float)) or node.value is None
    if isinstance(node, ast.Call):
        name = _name(node.func)
        if name in MD_FUNCTIONS or name in NUMERIC:
            return True
        # "sep".join(<safe> for ...)
        return (name == "join" and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Constant) and len(node.args) == 1
                and isinstance(node.args[0], (ast.GeneratorExp, ast.ListComp)) and safe(node.args[0].elt))
    if isinstance(node, ast.JoinedStr):
        return all(safe(v.value) if isinstance(v, ast.FormattedValue) else True for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return safe(node.left) and safe(node.right)
    if isinstance(node, ast.IfExp):
        return safe(node.body) and safe(node.orelse)
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(safe(e) for e in node.elts)
    if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
        return safe(node.elt)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Dict):  # {"zh": "中文"}[code]
        return all(isinstance(v, ast.Constant) for v in node.value.values)
    if isinstance(node, ast.Lambda):
        return safe(node.body)
    return False


def _plain_problem(node: ast.expr) -> str | None:
    """A plain-text place given escaped text (it would show its backslashes)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and _name(sub.func) == "md":
            return "md() in a plain-text place"
        if isinstance(sub, ast.Call) and _name(sub.func) == "t" and sub.keywords:
            return "t() with fields in a plain-text place: use plain()"
    return None


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def problems(path: Path) -> list[str]:
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name, where = node.func.attr, f"{_shown(path)}:{node.lineno}"
        checked: list[ast.expr] = []
        if name in MARKDOWN_FIRST and node.args:
            checked.append(node.args[0])
        elif name in MARKDOWN_ALL:
            checked.extend(node.args)
        if name in MARKDOWN_FIRST | MARKDOWN_ALL or name == "image":
            checked.extend(k.value for k in node.keywords if k.arg in MARKDOWN_KWARGS)
        for k in node.keywords:
            if k.arg == "format_func" and name in MARKDOWN_OPTIONS:
                checked.append(k.value)
            elif k.arg == "format_func" and name in PLAIN_OPTIONS and _plain_problem(k.value):
                found.append(f"{where}: {name}: {_plain_problem(k.value)}")
        if name == "dataframe" and node.args and _plain_problem(node.args[0]):
            found.append(f"{where}: dataframe: {_plain_problem(node.args[0])}")
        found += [f"{where}: {name}: {ast.unparse(arg)[:80]}" for arg in checked if not safe(arg)]
    for node in ast.walk(tree):  # functions declared to return Md return only safe text
        if isinstance(node, ast.FunctionDef) and isinstance(node.returns, ast.Name) \
                and node.returns.id == "Md" and path.name != "text.py":
            found += [f"{_shown(path)}:{r.lineno}: {node.name} returns {ast.unparse(r.value)[:80]}"
                      for r in ast.walk(node) if isinstance(r, ast.Return) and not safe(r.value)]
        if isinstance(node, ast.Call) and _name(node.func) == "Md" and path.name != "text.py":
            found.append(f"{_shown(path)}:{node.lineno}: Md() outside ui/text.py")
    return found


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_markdown_place_gets_escaped_text(path):
    assert problems(path) == []


def test_the_reading_catches_data_in_markdown_places(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "st.markdown(village.name)\n"
        "st.subheader(f'{village.name}')\n"
        "st.error(str(exc))\n"
        "c1.metric(t('x'), item.status)\n"
        "st.pills('p', codes, format_func=names.get)\n"
        "st.selectbox('s', codes, format_func=lambda c: t('x', name=c))\n"
        "st.image(pics, caption=[p.code for p in pics])\n"
        "st.expander('e', help=note)\n", encoding="utf-8")
    assert len(problems(bad)) == 8
