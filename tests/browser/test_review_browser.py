"""The review page in Chromium: a click on a row of the queue opens that submission (issue 19,
item 4: the hint under the table says so, and it has to be true)."""

from __future__ import annotations

import re

import pytest
from scoped_db import PASSWORD, build

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def server(serve, tmp_path_factory):
    return serve(build(tmp_path_factory.mktemp("review") / "scoped.db"))


def test_a_click_on_a_row_opens_the_submission(server, new_page, steps):
    page = new_page(1366, 768)
    page.goto(server + "/review")
    steps.sign_in(page, "rev-a", PASSWORD)
    grid = page.locator("[class*='st-key-rv_table_'] [data-testid='stDataFrameResizable']")
    expect(grid).to_be_visible()
    expect(page.get_by_text("点选表格左侧的方框打开一条")).to_be_visible()
    box = grid.bounding_box()
    # the second row (乙村): header and rows are 35 px high; the row's box is the first column
    steps.rerun(page, lambda: page.mouse.click(box["x"] + 15, box["y"] + 35 + 35 + 17))
    expect(page.get_by_role("heading", name="乙村（429901100202）", exact=False)).to_be_visible()
    expect(page.get_by_role("button", name="通过")).to_be_visible()
    picker = page.locator(".st-key-rv_selected").get_by_role("combobox")
    expect(picker).to_have_value(re.compile("^乙村（429901100202）· 第 1 份 · 2026-05-20 · 提交于 .* · 王芳$"))
    assert not page.errors
