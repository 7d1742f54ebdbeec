"""Web sessions: a login survives a reload and a new tab; logout, the idle and
absolute limits and disabling the user end it; lock-out and the audit of
every login still hold.  Browser tests drive a real ``tongchou serve``; the
limits are tested on :class:`SessionBook` with a clock we move."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

import pytest

from tongchou.cli import seed_demo
from tongchou.audit import Keyring
from tongchou.ledger import Ledger
from tongchou.ui.app import TongchouApp
from tongchou.ui.sessions import COOKIE, SessionBook

from .conftest import _browser_missing, _tongchou, serve_ledger, tongchou

expect = pytest.importorskip("playwright.sync_api").expect

PASSWORD = "demo1234"


def login(page, server, user: str, path: str = "", password: str = PASSWORD):
    page.goto(server["base"] + path)
    page.locator(".tc-login-user input").fill(user)
    page.locator(".tc-login-password input").fill(password)
    page.locator(".tc-login-button button").click()
    expect(page.locator(".tc-logout button")).to_be_visible(timeout=15000)


def session_cookie(context, timeout_ms: int = 10000) -> dict:
    """The session cookie, once the page has exchanged its ticket for it."""
    page = context.pages[0]
    for _ in range(timeout_ms // 100):
        found = [c for c in context.cookies() if c["name"] == COOKIE]
        if found:
            return found[0]
        page.wait_for_timeout(100)
    raise AssertionError("no session cookie was set")


def audit(server, kind: str, actor: str) -> list[str]:
    with sqlite3.connect(f"file:{server['db']}?mode=ro", uri=True) as db:
        return [d for (d,) in db.execute("SELECT detail FROM audit_entry WHERE kind = ? AND actor = ? ORDER BY id",
                                         (kind, actor))]


def add_user(server, name: str) -> None:
    tongchou(server, "user", "add", name, "--role", "bureau", "--password-stdin", stdin=PASSWORD + "\n")


@pytest.mark.browser
def test_login_survives_reload_and_new_tab_with_an_httponly_cookie(page, ui_server):
    login(page, ui_server, "finance", path="?page=ledger")
    cookie = session_cookie(page.context)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert cookie["expires"] == -1  # ends with the browser
    # Page scripts never see it: not in document.cookie, not in Bokeh's session token in the page.
    assert COOKIE not in page.evaluate("document.cookie")
    assert cookie["value"] not in page.content()
    page.reload()
    expect(page.locator(".tc-page-ledger")).to_be_visible(timeout=15000)
    expect(page.locator(".tc-login-user input")).to_have_count(0)
    other = page.context.new_page()
    other.goto(ui_server["base"] + "?page=reports")
    expect(other.locator(".tc-page-reports")).to_be_visible(timeout=15000)
    expect(other.locator(".tc-user")).to_have_text(page.locator(".tc-user").inner_text())
    # Resuming is not a new login: the audit has one login for this session.
    assert len(audit(ui_server, "login", "finance")) >= 1


@pytest.mark.browser
def test_logout_ends_the_session_in_every_tab_and_for_a_copied_cookie(page, ui_server, browser):
    add_user(ui_server, "sess_logout")
    login(page, ui_server, "sess_logout")
    value = session_cookie(page.context)["value"]
    other = page.context.new_page()
    other.goto(ui_server["base"] + "?page=ledger")
    expect(other.locator(".tc-page-ledger")).to_be_visible(timeout=15000)

    page.locator(".tc-logout button").click()
    expect(page.locator(".tc-login-user input")).to_be_visible()
    # The other tab's next click finds the session ended.
    other.locator(".tc-nav-home button").click()
    expect(other.locator(".tc-login-message .tc-alert")).to_contain_text("会话已结束", timeout=10000)
    page.wait_for_timeout(300)
    assert not [c for c in page.context.cookies() if c["name"] == COOKIE]
    page.reload()
    expect(page.locator(".tc-login-user input")).to_be_visible(timeout=15000)
    # A copy of the old cookie (say, stolen before logout) opens nothing.
    stranger = browser.new_context()
    try:
        stranger.add_cookies([{"name": COOKIE, "value": value, "url": ui_server["base"]}])
        spy = stranger.new_page()
        spy.goto(ui_server["base"])
        expect(spy.locator(".tc-login-user input")).to_be_visible(timeout=15000)
        expect(spy.locator(".tc-logout")).to_have_count(0)
    finally:
        stranger.close()
    assert any('"reason":"logout"' in d for d in audit(ui_server, "logout", "sess_logout"))


@pytest.mark.browser
def test_forged_cookie_opens_nothing(page, ui_server):
    page.context.add_cookies([{"name": COOKIE, "value": "eyJwIjoic2Vzc2lvbiIsInUiOiJhZG1pbiJ9.00",
                               "url": ui_server["base"]}])
    page.goto(ui_server["base"] + "?page=admin")
    expect(page.locator(".tc-login-user input")).to_be_visible(timeout=15000)
    expect(page.locator(".tc-nav-admin")).to_have_count(0)


@pytest.mark.browser
def test_disabling_a_user_stops_their_session_at_once(page, ui_server):
    add_user(ui_server, "sess_disabled")
    login(page, ui_server, "sess_disabled")
    session_cookie(page.context)
    tongchou(ui_server, "user", "disable", "sess_disabled")
    page.locator(".tc-nav-ledger button").click()
    expect(page.locator(".tc-login-message .tc-alert")).to_contain_text("账号已停用", timeout=10000)
    expect(page.locator(".tc-page-ledger")).to_have_count(0)
    page.reload()
    expect(page.locator(".tc-login-user input")).to_be_visible(timeout=15000)
    expect(page.locator(".tc-logout")).to_have_count(0)


@pytest.mark.browser
def test_lockout_and_audit_of_every_login_still_hold(page, ui_server):
    add_user(ui_server, "sess_lock")
    page.goto(ui_server["base"])
    for _ in range(5):
        page.locator(".tc-login-user input").fill("sess_lock")
        page.locator(".tc-login-password input").fill("wrong-password")
        page.locator(".tc-login-button button").click()
        # The form empties the password box once the attempt is answered.
        expect(page.locator(".tc-login-password input")).to_have_value("", timeout=10000)
        expect(page.locator(".tc-login-message .tc-alert")).to_contain_text("用户名或密码错误")
    # Locked: the right password is refused too, and no cookie is set.
    page.locator(".tc-login-password input").fill(PASSWORD)
    page.locator(".tc-login-button button").click()
    page.wait_for_timeout(1500)
    expect(page.locator(".tc-logout")).to_have_count(0)
    assert not [c for c in page.context.cookies() if c["name"] == COOKIE]
    failed = audit(ui_server, "login_failed", "sess_lock")
    assert len(failed) == 6 and '"locked":true' in failed[4] and '"reason":"locked"' in failed[5]
    assert audit(ui_server, "login", "sess_lock") == []


@pytest.fixture(scope="module")
def short_server(tmp_path_factory):
    """A server whose sessions idle out after 12 s and end after 24 s (wide
    enough that a loaded machine's slow clicks do not look idle)."""
    reason = _browser_missing()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("short")
    db = folder / "short.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGCHOU_")}
    env.update(TONGCHOU_AUDIT_KEY_FILE=str(folder / "audit.key"), TONGCHOU_UI_IDLE_MINUTES="0.2",
               TONGCHOU_UI_SESSION_HOURS=str(24 / 3600))
    subprocess.run(_tongchou() + ["--db", str(db), "init"], check=True, env=env, capture_output=True, timeout=120)
    server = {"db": db, "env": env}
    for name in ("idler", "busy"):
        add_user(server, name)
    with serve_ledger(folder, db, env) as base:
        yield {**server, "base": base}


@pytest.mark.browser
def test_an_idle_session_ends_in_the_open_tab_and_on_reload(page, short_server):
    login(page, short_server, "idler")
    session_cookie(page.context)
    # No click needed: the server's idle check logs the tab out.
    expect(page.locator(".tc-login-message .tc-alert")).to_contain_text("空闲", timeout=40000)
    page.reload()
    expect(page.locator(".tc-login-user input")).to_be_visible(timeout=15000)
    expect(page.locator(".tc-logout")).to_have_count(0)
    assert any('"reason":"idle"' in d for d in audit(short_server, "logout", "idler"))


@pytest.mark.browser
def test_a_busy_session_still_ends_at_the_absolute_limit(page, short_server):
    login(page, short_server, "busy")
    session_cookie(page.context)
    started = time.monotonic()
    message = page.locator(".tc-login-message .tc-alert")
    while time.monotonic() - started < 90 and message.count() == 0:
        page.locator(".tc-nav-ledger button, .tc-login-user input").first.wait_for(timeout=5000)
        if page.locator(".tc-nav-ledger button").count():
            page.locator(".tc-nav-ledger button").click()
        page.wait_for_timeout(1000)
    expect(message).to_contain_text("登录已超过", timeout=10000)
    # a lower bound only (slowness cannot break it): the session did not end early
    assert 22 < time.monotonic() - started
    page.reload()
    expect(page.locator(".tc-login-user input")).to_be_visible(timeout=15000)


# -- the limits, without a browser ------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = time.time()  # audit entries carry the real time

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sessions")
    ledger = Ledger.open(str(folder / "demo.db"), jurisdiction="xichuan", key_file=folder / "audit.key")
    seed_demo(ledger, __import__("datetime").date.today())
    yield ledger
    ledger.close()


def test_tickets_are_signed_short_lived_and_used_once(demo):
    clock = Clock()
    book = SessionBook(demo, idle_minutes=30, session_hours=10, clock=clock)
    session = book.issue(demo.authenticate("bureau", PASSWORD))
    ticket = book.ticket(session)
    cookie = book.cookie_for_ticket(ticket)
    assert cookie and book.verify_cookie(cookie) == session
    assert book.cookie_for_ticket(ticket) is None  # used up
    late = book.ticket(session)
    clock.now += 61
    assert book.cookie_for_ticket(late) is None  # too old
    assert book.cookie_for_ticket(cookie) is None  # a cookie is not a ticket
    assert book.verify_cookie(book.ticket(session)) is None  # nor a ticket a cookie
    body, mac = cookie.split(".")
    assert book.verify_cookie(body + "." + "0" * len(mac)) is None
    assert book.verify_cookie(body.replace("b", "c", 1) + "." + mac) is None
    # Another ledger's key (another audit key file) does not accept it.
    other = SessionBook(demo, clock=clock)
    other._derived = (demo.audit.keys, [b"x" * 32])
    assert other.verify_cookie(cookie) is None


def test_idle_and_absolute_limits(demo):
    clock = Clock()
    book = SessionBook(demo, idle_minutes=30, session_hours=10, clock=clock)
    session = book.issue(demo.authenticate("bureau", PASSWORD))
    clock.now += 29 * 60
    assert book.problem(session) is None
    book.touch(session)
    clock.now += 29 * 60
    assert book.problem(session) is None
    clock.now += 2 * 60
    assert book.problem(session) == "idle"
    # Kept busy, it still ends at the absolute limit.
    fresh = book.issue(demo.actor("bureau"))
    for _ in range(40):
        clock.now += 20 * 60
        book.touch(fresh)
        if book.problem(fresh) is not None:
            break
    assert book.problem(fresh) == "expired"
    assert clock.now - fresh.issued > 10 * 3600 - 20 * 60


def test_a_logout_on_one_server_ends_the_session_on_another(demo):
    """Two servers share the ledger and the audit key: the logout entry is what
    the other one finds when the page is loaded there."""
    clock = Clock()
    here = SessionBook(demo, clock=clock)
    there = SessionBook(demo, clock=clock)
    session = here.issue(demo.actor("drc"))
    cookie = here.cookie_for_ticket(here.ticket(session))
    assert there.verify_cookie(cookie) == session
    assert there.problem(session, check_log=True) is None
    here.end(session, "logout")
    assert here.problem(session) == "ended"
    assert there.problem(session, check_log=True) == "ended"


def test_app_resumes_a_session_and_logs_out_when_it_ends(demo):
    clock = Clock()
    book = SessionBook(demo, idle_minutes=30, clock=clock)
    session = book.issue(demo.actor("leader"))
    app = TongchouApp(demo, sessions=book, session=session, idle_minutes=30)
    assert app.actor is not None and app.actor.name == "leader" and app.nav.objects
    second = TongchouApp(demo, sessions=book, session=session, idle_minutes=30)
    clock.now += 20 * 60
    app.touch()  # one tab in use keeps the other alive
    clock.now += 20 * 60
    assert not second.check_idle()
    clock.now += 31 * 60
    assert second.check_idle() and second.actor is None
    assert "30 分钟" in second.login_widgets[3].object
    # The idle logout ended the session for the first tab too.
    assert app.check_idle() and app.actor is None
    assert TongchouApp(demo, sessions=book, session=session).actor is None


def test_a_password_or_role_change_ends_the_users_other_sessions_on_every_server(demo):
    clock = Clock()
    here, there = SessionBook(demo, clock=clock), SessionBook(demo, clock=clock)
    demo.add_user("moving", "unit", "县教育局", password=PASSWORD)
    stolen = here.issue(demo.authenticate("moving", PASSWORD))
    cookie = here.cookie_for_ticket(here.ticket(stolen))
    other = there.verify_cookie(cookie)
    assert other == stolen and there.problem(other) is None
    # an unrelated user's change ends nothing of this one
    demo.set_password("bureau", PASSWORD)
    assert here.problem(stolen) is None
    demo.set_password("moving", "a new password 1")
    assert here.problem(stolen) == "changed" and there.problem(other) == "changed"
    fresh = here.issue(demo.authenticate("moving", "a new password 1"))
    assert there.problem(there.verify_cookie(here.cookie_for_ticket(here.ticket(fresh)))) is None
    demo.set_role("moving", "unit", "县卫健委") if "县卫健委" in dict(demo.units()).values() else \
        demo.set_role("moving", "bureau")
    assert here.problem(fresh) == "changed"
    app = TongchouApp(demo, sessions=here, session=fresh)
    assert app.actor is None and "已变更" in app.login_widgets[3].object


def test_a_key_rotation_under_a_running_server_keeps_sessions_and_the_chain(demo, tmp_path):
    clock = Clock()
    book = SessionBook(demo, clock=clock)
    session = book.issue(demo.authenticate("drc", PASSWORD))
    cookie = book.cookie_for_ticket(book.ticket(session))
    # another process (the CLI) rotates the key file under this running "server"
    done = subprocess.run([sys.executable, "-m", "tongchou", "--db", demo.url, "audit", "rotate-key"],
                          env={**os.environ, "TONGCHOU_AUDIT_KEY_FILE": str(demo.key_path)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    first_new = max(start for start, _k in Keyring.read(demo.key_path).keys)
    assert book.verify_cookie(cookie) == session and book.problem(session) is None
    # the server signs with the new key from now on: its next entries verify,
    # and logins keep working without a restart
    later = book.issue(demo.authenticate("drc", PASSWORD))
    assert demo.audit.keys.for_entry(first_new) != demo.audit.keys.for_entry(first_new - 1)
    assert demo.verify_audit().ok
    assert book.verify_cookie(book.cookie_for_ticket(book.ticket(later))) == later


@pytest.mark.browser
def test_security_headers_on_every_page_and_the_app_still_works_under_them(page, ui_server):
    import urllib.request

    for path in ("", "?page=ledger", "static/js/bokeh.min.js"):
        with urllib.request.urlopen(ui_server["base"] + path, timeout=30) as resp:
            headers = resp.headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, path
        assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "no-referrer"
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text else None)
    # Under the policy Bokeh still renders, logs in, opens a project and its table.
    login(page, ui_server, "bureau", path="?page=ledger")
    expect(page.locator(".tc-page-ledger")).to_be_visible(timeout=15000)
    page.goto(ui_server["base"] + f"?project={next(iter(ui_server['ids'].values()))}")
    expect(page.locator(".tc-logout button")).to_be_visible(timeout=15000)
    assert violations == []
    # And nothing may frame it.
    framed = page.context.new_page()
    framed.set_content(f'<iframe id="f" src="{ui_server["base"]}"></iframe>')
    framed.wait_for_timeout(1500)
    assert framed.frame_locator("#f").locator(".tc-login-user input").count() == 0


@pytest.mark.browser
def test_an_anonymous_websocket_cannot_send_a_big_message(ui_server):
    """Before login the socket takes 256 KB messages at most; a bigger one closes
    it from its frame header (nothing buffered), and the server keeps serving."""
    import asyncio
    import re
    import urllib.request

    from tornado.websocket import WebSocketClosedError, websocket_connect

    with urllib.request.urlopen(ui_server["base"], timeout=30) as resp:
        html = resp.read().decode()
    token = re.search(r'"token":\s*"([^"]+)"', html) or re.search(r"token=([A-Za-z0-9._-]+)", html)
    assert token, "no Bokeh session token in the page"

    async def send(size: int):
        url = ui_server["base"].replace("http", "ws") + "ws"
        conn = await websocket_connect(url, subprotocols=["bokeh", token.group(1)])
        cut = False
        try:
            await conn.write_message("x" * size)
        except WebSocketClosedError:
            # The server closed the socket from the frame header while the rest of the
            # message was still being sent: refused before reading it, as it should be.
            cut = True
        while True:  # Bokeh's ACK (three frames), then the close
            msg = await asyncio.wait_for(conn.read_message(), 10)
            if msg is None:
                return msg, conn.close_code, cut

    import concurrent.futures
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # away from playwright's loop
        msg, code, cut = pool.submit(asyncio.run, send(2 * 1024 * 1024)).result(timeout=60)
    # "message too big"; or the socket was closed under the sender before its close frame was read
    assert msg is None and (code == 1009 or (cut and code is None)), (code, cut)
    with urllib.request.urlopen(ui_server["base"], timeout=30) as resp:
        assert resp.status == 200
