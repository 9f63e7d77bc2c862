"""Who is signed in, and which pages they see.

The session holds only the login name (``keys.AUTH_USER``), the time of the last run
(``keys.AUTH_SEEN``) and the SHA-256 of its sign-in token (``keys.AUTH_SESSION``); the account
itself is read from the database on every run, so a disabled account or a changed scope takes
effect at once. Every page starts with :func:`require`, which stops the page for anybody its
role does not allow (:data:`PAGES`).

A reload of the page starts a new Streamlit session: signing in with the password also starts a
persistent session (``survey.auth``) whose token the browser keeps in an HttpOnly cookie. Only a
server answer can set such a cookie: :func:`sign_in` makes a one-time code
(``auth.start_handoff``) and :func:`cookie_jar` has our browser component post it to the app's
route (``ui/endpoints/session.py``), which answers with the cookie; signing out, or a session
that ended, has the component ask the route to delete it. A new Streamlit session with that
cookie (``st.context.cookies`` sees HttpOnly cookies: they come with the page's connection) is
signed in again without the password. The token itself never reaches a script of the page, and
the Streamlit session keeps only its SHA-256.

Tests sign in by creating an account and setting ``at.session_state[keys.AUTH_USER]`` before
``at.run()`` (see ``tests/conftest.py``).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import NamedTuple

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from survey import auth
from survey.auth import User
from ui import browser, keys, shell
from ui.text import Md, md, t

ROOT = Path(__file__).resolve().parents[1]
FIRST_ADMIN = ("echo 'PASSWORD' | python -m survey users add NAME --role admin --county CODE "
               "--password-stdin")

class Page(NamedTuple):
    """A page of the app: its file, title key, icon, and the roles that may open it."""

    file: str
    title: str
    icon: str
    roles: tuple[str, ...]


#: The one table of pages (listed in this order) and the roles that see them; every page checks
#: it again itself (:func:`require`), and the use cases check the user's scope once more.
PAGES: dict[str, Page] = {
    "tablet": Page("pages/tablet.py", "nav_survey", ":material/fact_check:", (auth.SURVEYOR, auth.ADMIN)),
    # the household register and its ten-star rating: the township liaison and the county office
    "households": Page("pages/households.py", "nav_households", ":material/family_restroom:",
                       (auth.LIAISON, auth.REVIEWER, auth.ADMIN)),
    # a surveyor sees their own submissions there, and the comments on returned ones
    "review": Page("pages/review.py", "nav_review", ":material/rule:", (auth.SURVEYOR, auth.REVIEWER, auth.ADMIN)),
    "recheck": Page("pages/recheck.py", "nav_recheck", ":material/task_alt:",
                    (auth.SURVEYOR, auth.REVIEWER, auth.ADMIN)),
    # the township liaison's page (乡镇联络员): the open entries of its townships
    "fixes": Page("pages/fixes.py", "nav_fixes", ":material/construction:", (auth.LIAISON, auth.ADMIN)),
    "dashboard": Page("pages/dashboard.py", "nav_dashboard", ":material/flag:", (auth.REVIEWER, auth.ADMIN)),
    "ledger": Page("pages/ledger.py", "nav_ledger", ":material/assignment_late:", (auth.REVIEWER, auth.ADMIN)),
    "map": Page("pages/map.py", "nav_map", ":material/map:", (auth.REVIEWER, auth.ADMIN)),
    "belts": Page("pages/belts.py", "nav_belts", ":material/route:", (auth.REVIEWER, auth.ADMIN)),
    "export": Page("pages/export.py", "nav_export", ":material/upload_file:", (auth.REVIEWER, auth.ADMIN)),
    "setup": Page("pages/setup.py", "nav_setup", ":material/settings:", (auth.ADMIN,)),
    "users": Page("pages/users.py", "nav_users", ":material/manage_accounts:", (auth.ADMIN,)),
    # the office's veto records, a village's (or township's) titles and their history
    "vetoes": Page("pages/vetoes.py", "nav_vetoes", ":material/gavel:", (auth.REVIEWER, auth.ADMIN)),
    "village": Page("pages/village.py", "nav_village", ":material/workspace_premium:", (auth.REVIEWER, auth.ADMIN)),
    # the county's other rules: radius, buffer, GPS warnings, civilized titles, targets, veto window
    "settings": Page("pages/settings.py", "nav_settings", ":material/tune:", (auth.ADMIN,)),
}
GROUPS = {"group_field": ("tablet", "recheck"), "group_township": ("fixes",),
          "group_villages": ("households",),
          "group_office": ("review", "dashboard", "ledger", "map", "belts", "export", "vetoes", "village"),
          "group_admin": ("setup", "settings", "users")}
#: The page a role lands on: the first of these it may open (else its first page).
LANDING = ("tablet", "fixes", "review")


@st.cache_resource(show_spinner=False)
def favicon():
    """The browser-tab icon, drawn here: a ``:material/…:`` page icon would be fetched from
    Google's servers as the favicon, and the app works with no internet."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((2, 2, 62, 62), radius=12, fill="#b71c1c")
    draw.polygon([(14, 34), (32, 16), (50, 34)], fill="white")  # a roof
    draw.rectangle((20, 34, 44, 52), fill="white")
    draw.rectangle((29, 40, 35, 52), fill="#b71c1c")  # a door
    return image


def may_open(user: User | None, page: str) -> bool:
    """True when ``user`` (None: nobody signed in) may open ``page``."""
    return user is not None and page in PAGES and user.role in PAGES[page].roles


def through_router() -> None:
    """Make sure the page runs under app.py's navigation. Streamlit treats a ``pages/`` folder
    as a legacy multipage app (every file a page, app.py not run) until some session has called
    ``st.navigation``: the first requests after a server start, for a page's URL, run the page
    on its own. Such a run switches the legacy mode off and reruns through app.py.

    The mode is one flag of the whole process, read when a run starts: when several sessions
    load pages at once, the first one's ``st.navigation`` switches it off while the others'
    runs, started in the legacy mode, are under way. So whether *this* run went through app.py
    is read from this session's pages, not from the flag: the legacy mode registers app.py
    itself as a page (app.py's navigation never does)."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory or _legacy_run():
        PagesManager.uses_pages_directory = False
        st.rerun()


def _legacy_run() -> bool:
    """Whether this run is Streamlit's legacy ``pages/`` navigation (app.py among the pages)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return False
    main = Path(ctx.pages_manager.main_script_path).resolve()
    if main != ROOT / "app.py":  # a page file run on its own (a test): no router to go through
        return False
    return any(info.get("script_path") and Path(info["script_path"]).resolve() == main
               for info in ctx.pages_manager.get_pages().values())


def current_user() -> User | None:
    """The signed-in account, or None (never signed in, signed out, idle too long, disabled)."""
    state = st.session_state
    name = state.get(keys.AUTH_USER)
    if not name:
        return _resume()
    now = time.time()
    digest = state.get(keys.AUTH_SESSION)
    if auth.idle_expired(state.get(keys.AUTH_SEEN), now):
        # The tablet page answers through its own requests (ui/endpoints/tablet.py), which keep
        # the session alive without a run of the page: idle only when the session says so too.
        if not (digest and auth.touch_session(shell.db(), digest)):
            return _ended("idle", "login_expired")
        state[keys.AUTH_TOUCHED] = now
    user = auth.active_user(shell.db(), name)
    if user is None:
        return _ended("disabled")
    if digest and now - state.get(keys.AUTH_TOUCHED, 0.0) >= auth.TOUCH_SECONDS:
        if not auth.touch_session(shell.db(), digest):
            return _ended("session_ended", "login_ended")
        state[keys.AUTH_TOUCHED] = now
    state[keys.AUTH_SEEN] = now
    return user


def _resume() -> User | None:
    """Sign in again from the session cookie this browser connected with (a reloaded page),
    trying it once per Streamlit session; a cookie of an ended session is deleted."""
    token = st.context.cookies.get(auth.SESSION_COOKIE)
    # (an AppTest's mocked client answers a mock, not text: no cookie there)
    if not isinstance(token, str) or not token or st.session_state.get(keys.AUTH_TRIED):
        return None
    user = auth.resume_session(shell.db(), token)
    # marked tried only now, together with its outcome: a run cut short by a rerun in between
    # (the browser's first answers arrive as the page loads) tries again instead of leaving
    # the session marked tried and signed out
    if user is None:
        st.session_state[keys.AUTH_TRIED] = True
        _cookie(None)
        st.session_state[keys.AUTH_NOTICE] = "login_ended"
        return None
    _enter(user.name, auth.token_digest(token))
    st.session_state[keys.AUTH_TRIED] = True
    return user


def _ended(reason: str, notice: str | None = None) -> None:
    sign_out(reason)
    if notice:
        st.session_state[keys.AUTH_NOTICE] = notice


def _enter(name: str, digest: str) -> None:
    state = st.session_state
    state.pop(keys.AUTH_NOTICE, None)
    state[keys.AUTH_USER], state[keys.AUTH_SESSION] = name, digest
    state[keys.AUTH_SEEN] = state[keys.AUTH_TOUCHED] = time.time()


def sign_in(user: User) -> None:
    """Sign ``user`` in (the password was right) with a new persistent session; the browser
    collects its cookie with a one-time code on the next run (:func:`cookie_jar`)."""
    token = auth.start_session(shell.db(), user.name)
    _enter(user.name, auth.token_digest(token))
    _cookie((auth.start_handoff(shell.db(), user.name, token), user.name))


def sign_out(reason: str = "logout") -> None:
    """End the session (recorded in the audit trail; its cookie deleted) and forget everything
    it held."""
    name, digest = st.session_state.get(keys.AUTH_USER), st.session_state.get(keys.AUTH_SESSION)
    if digest:
        auth.end_session(shell.db(), digest)
    if name:
        auth.logout(shell.db(), name, reason)
    lang = st.session_state.get(keys.LANG)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if lang:
        st.session_state[keys.LANG] = lang
    st.session_state[keys.AUTH_TRIED] = True  # the cookie this browser connected with is spent
    if digest:
        _cookie(None)


def _cookie(handoff: tuple[str, str] | None) -> None:
    """Have the browser collect its session cookie with ``handoff`` (one-time code, account), or
    (None) have the server end the session of its cookie and delete it."""
    st.session_state[keys.AUTH_COOKIE] = (uuid.uuid4().hex[:8], handoff)


def cookie_jar() -> None:
    """The pending session-cookie request, in a hidden frame of the sidebar, until the browser
    has the server's answer (which reruns the app). app.py calls it once per run."""
    pending = st.session_state.get(keys.AUTH_COOKIE)
    if not pending:
        return
    request, handoff = pending
    key = f"{keys.AUTH_COOKIE}_{request}"
    with st.sidebar:
        status = browser.hand_over_session(*handoff, key) if handoff else browser.end_session(key)
    if status is not None:  # 204; otherwise the cookie stays as it was (served without serve.py)
        del st.session_state[keys.AUTH_COOKIE]


def require(page: str) -> User:
    """The signed-in user when their role may open ``page``; otherwise say so and stop."""
    through_router()
    user = current_user()
    if user is None:
        st.warning(t("login_required"), icon=":material/lock:")
        st.stop()
    if not may_open(user, page):
        st.error(t("no_access"), icon=":material/block:")
        st.stop()
    return user


def role_label(role: str) -> Md:
    return t(f"role_{role}")


def scope_text(user: User) -> Md:
    """The user's scope in words, with the registry's names (codes where a name is unknown)."""
    if user.admin:
        return t("scope_everything")
    names = shell.place_names()
    county = names.get(user.county) or user.county
    if user.townships:
        towns = "、".join(names.get(code) or code for code in user.townships)
        return t("scope_townships", county=county, townships=towns)
    return t("scope_county", county=county)


def router(user: User | None) -> st.Page:
    """``st.navigation`` over the pages ``user`` may open, by group. Nobody signed in gets the
    login page at every page's address (no menu): once signed in, the same address, with its
    query parameters, opens the page itself when the role allows it."""
    if user is None:
        login = ROOT / "pages/login.py"
        pages = [st.Page(login, title=t("nav_login"), icon=":material/login:", url_path="login",
                         default=True)]
        pages += [st.Page(login, title=t("nav_login"), url_path=page_id) for page_id in PAGES]
        return st.navigation(pages, position="hidden")
    # expanded: every page of the role is listed (Streamlit would fold an administrator's 15
    # pages to 10 behind "View 5 more", hiding 设置, 县级设置 and 账号)
    return st.navigation(_groups(user), expanded=True)


def _groups(user: User) -> dict[str, list[st.Page]]:
    """The pages ``user`` may open, by group; the first is the default page."""
    groups: dict[str, list[st.Page]] = {}
    landing = next((p for p in (*LANDING, *PAGES) if may_open(user, p)), None)
    for group, ids in GROUPS.items():
        for page_id in ids:
            if not may_open(user, page_id):
                continue
            file, title, icon, _roles = PAGES[page_id]
            if page_id == "review" and not user.reviews:  # a surveyor's own submissions
                group, title = "group_field", "nav_my_submissions"
            groups.setdefault(t(group), []).append(st.Page(
                ROOT / file, title=t(title), icon=icon, url_path=page_id, default=page_id == landing))
    # every other page keeps its address, hidden from the menu: opened by its URL it says the
    # role may not see it (Streamlit would pop up its English "Page not found" otherwise)
    forbidden = [st.Page(_forbidden(page_id), title=t(PAGES[page_id].title), url_path=page_id,
                         visibility="hidden") for page_id in PAGES if not may_open(user, page_id)]
    if forbidden and groups:
        next(iter(groups.values())).extend(forbidden)
    return groups


def _forbidden(page_id: str):
    """The page shown at the address of ``page_id`` to a role that may not open it."""
    def page() -> None:
        st.error(t("no_access"), icon=":material/block:")
    page.__name__ = f"forbidden_{page_id}"  # Streamlit tells callable pages apart by name
    return page


def go(page: str, **query: str) -> None:
    """Switch to ``page`` of the navigation with ``query`` in the URL. A page run on its own
    (an AppTest of one page file) has no navigation: it stays, and reruns."""
    try:
        st.switch_page(ROOT / PAGES[page][0], query_params=query)
    except StreamlitPageNotFoundError:
        st.rerun()


def link(user: User, page: str, label: Md, icon: str = ":material/arrow_forward:") -> None:
    """A link to ``page`` when ``user`` may open it (a page run on its own, in an AppTest, has
    no navigation to link into: the label is shown as a caption there)."""
    if not may_open(user, page):
        return
    try:
        st.page_link(ROOT / PAGES[page].file, label=md(label), icon=icon)
    except StreamlitPageNotFoundError:
        st.caption(md(label))


def account(user: User) -> None:
    """The sidebar box: who is signed in, their scope, and signing out."""
    with st.sidebar:
        st.caption(t("account_caption", name=user.display_name, role=role_label(user.role)))
        st.caption(scope_text(user))
        if st.button(t("logout"), key=keys.LOGOUT, icon=":material/logout:"):
            sign_out()
            st.session_state[keys.AUTH_NOTICE] = "login_signed_out"
            st.rerun()
