"""The accounts page as an administrator uses it (AppTest)."""

from __future__ import annotations

from pathlib import Path

import scoped_db
from builders import table
from scoped_db import A2, PASSWORD, A
from streamlit.testing.v1 import AppTest

from survey import auth, store
from ui import keys

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "users.py")


def run(db: Path, monkeypatch, name: str = "admin") -> AppTest:
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state[keys.AUTH_USER] = name
    at.run()
    assert not at.exception, at.exception
    return at


def test_an_admin_creates_an_account_that_can_sign_in(scoped, monkeypatch):
    at = run(scoped, monkeypatch)
    assert table(at, "账号")["账号"].tolist() == sorted(scoped_db.USERS)
    at.text_input(key=keys.US_NAME).input("zhao")
    at.text_input(key=keys.US_DISPLAY).input("赵磊")
    at.selectbox(key=keys.US_ROLE).set_value("surveyor")
    at.text_input(key=keys.US_TOWNSHIPS).input(A2)
    at.text_input(key=keys.US_PASSWORD).input("zhao-password")
    at.button(key=f"FormSubmitter:{keys.US_FORM}-创建账号").click().run()
    assert at.success[0].value == "已创建账号 zhao"
    user = auth.login(scoped, "zhao", "zhao-password")
    assert (user.display_name, user.role, user.county, user.townships) == ("赵磊", "surveyor", A, (A2,))
    assert "zhao" in table(at, "账号")["账号"].tolist()
    added = store.audit_rows(scoped, entity="user", entity_id="zhao")[-1]
    assert (added["action"], added["actor"]) == ("user.add", "admin")


def test_an_admin_disables_an_account_and_changes_a_scope(scoped, monkeypatch):
    at = run(scoped, monkeypatch)
    at.selectbox(key=keys.US_PICK).set_value("li").run()
    at.button(key=keys.US_TOGGLE).click().run()
    assert at.success[0].value == "已更新账号 li"
    assert auth.active_user(scoped, "li") is None
    at.selectbox(key=f"{keys.US_SCOPE_ROLE}_li").set_value("reviewer")
    at.text_input(key=f"{keys.US_SCOPE_TOWNSHIPS}_li").input("")
    at.button(key=f"FormSubmitter:{keys.US_SCOPE_FORM}_li-保存角色与范围").click().run()
    assert at.success[0].value == "已更新 li 的角色与范围"
    assert auth.get_user(scoped, "li").scope == auth.Scope(A)


def test_a_short_password_is_refused_with_the_reason(scoped, monkeypatch):
    at = run(scoped, monkeypatch)
    at.selectbox(key=keys.US_PICK).set_value("wang").run()
    at.text_input(key=keys.US_NEW_PASSWORD).input("short")
    at.button(key=keys.US_SET_PASSWORD).click().run()
    assert at.error[0].value.startswith("密码至少 8 个字符")
    assert auth.login(scoped, "wang", PASSWORD).name == "wang"


def test_the_accounts_page_is_for_admins_only(scoped, monkeypatch):
    at = run(scoped, monkeypatch, "rev-a")
    assert [e.value for e in at.error] == ["当前账号无权查看此页面"] and not at.dataframe


def test_a_wrong_field_keeps_what_was_typed_in_the_new_account_form(scoped, monkeypatch):
    at = run(scoped, monkeypatch)
    at.text_input(key=keys.US_NAME).input("zhao")
    at.text_input(key=keys.US_DISPLAY).input("赵磊")
    at.selectbox(key=keys.US_ROLE).set_value("surveyor")
    at.text_input(key=keys.US_TOWNSHIPS).input(A2)
    at.text_input(key=keys.US_PASSWORD).input("short")  # too short
    at.button(key=f"FormSubmitter:{keys.US_FORM}-创建账号").click().run()
    assert at.error[0].value.startswith("密码至少 8 个字符")
    assert (at.text_input(key=keys.US_NAME).value, at.text_input(key=keys.US_DISPLAY).value,
            at.selectbox(key=keys.US_ROLE).value, at.text_input(key=keys.US_TOWNSHIPS).value) == (
        "zhao", "赵磊", "surveyor", A2)
    at.text_input(key=keys.US_PASSWORD).input("zhao-password")  # only the wrong field again
    at.button(key=f"FormSubmitter:{keys.US_FORM}-创建账号").click().run()
    assert at.success[0].value == "已创建账号 zhao"
    assert at.text_input(key=keys.US_NAME).value == ""  # made: the form is empty for the next one


def test_the_accounts_table_reads_in_words(scoped, monkeypatch):
    at = run(scoped, monkeypatch)
    accounts = table(at, "账号", "县", "乡镇").set_index("账号")
    assert accounts.loc["li", ["显示名", "角色", "县", "乡镇", "状态"]].tolist() == [
        "李明", "测评员", "甲县", "青石镇", "启用"]
    assert accounts.loc["rev-a", "乡镇"] == "全县"
    assert not [h for h in accounts.reset_index().columns if "代码" in h]


def test_the_audit_trail_reads_in_words(scoped, monkeypatch):
    auth.set_disabled(scoped, "li", True, by=auth.get_user(scoped, "admin"))
    at = run(scoped, monkeypatch)
    trail = table(at, "时间", "操作", "内容")
    assert "修改账号" in trail["操作"].tolist() and "新建账号" in trail["操作"].tolist()
    assert not [a for a in trail["操作"] if "." in a or a.isascii()]  # no user.add, draft.save
    changed = trail.loc[trail["操作"] == "修改账号", "内容"].tolist()
    assert changed[0] == "已停用：是"
    cells = " ".join(trail.astype(str).to_numpy().ravel())
    assert "None" not in cells and "{" not in cells and "surveyor" not in cells
