"""The upload route's doors and the pages one user may hold, against a real
``tongchou serve`` (the helpers and the served demo ledger are those of
test_upload_limits.py; this module gets its own server).  Runs without a browser:
the route is spoken to over raw HTTP and websockets."""
from __future__ import annotations

import contextlib
import json
import socket
import sys

import pytest

# The fixtures are imported by name so that pytest finds them here.
from .test_upload_limits import (MB, Frames, _auth, _kept, _post, _token, _ws_handshake, _ws_open,  # noqa: F401
                                 server, upload_auth)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc like test_upload_limits")


def test_the_upload_route_takes_files_only_from_a_live_page_of_this_site(server, upload_auth):
    body = b"%PDF-1.4\n"
    status, answer = _post(server, body, {})  # no cookie, no key
    assert status == 403 and "重新登录" in answer["error"], answer
    no_key = _auth(upload_auth)
    del no_key["X-Tongchou-Upload"]
    assert _post(server, body, no_key)[0] == 403
    # A key of another session (another tab's, another user's) does not go with this cookie.
    assert _post(server, body, _auth(upload_auth, key=upload_auth["other_key"]))[0] == 403
    status, answer = _post(server, body, {**_auth(upload_auth), "Origin": "http://evil.example"})
    assert status == 403 and "其他网站" in answer["error"], answer
    assert _kept(server) == []
    status, answer = _post(server, body, _auth(upload_auth, "申报书.pdf"))
    assert status == 200 and answer["name"] == "申报书.pdf" and answer["size"] == len(body), answer
    [kept] = [p for p in _kept(server) if p.name == answer["token"]]
    assert kept.read_bytes() == body and kept.stat().st_mode & 0o777 == 0o600
    assert kept.parent.stat().st_mode & 0o777 == 0o700


def test_an_oversized_upload_is_refused_from_its_header(server, upload_auth):
    """Headers announcing 1 MB over the limit, and no body sent: the answer
    comes at once, in Chinese, naming the file, its size and the limit."""
    from urllib.parse import quote

    from tongchou.documents import MAX_BYTES

    headers = {**_auth(upload_auth, "全县扫描件.pdf"), "Content-Length": str(MAX_BYTES + MB),
               "Origin": f"http://127.0.0.1:{server['port']}", "Content-Type": "application/octet-stream"}
    head = f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1:{server['port']}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", server["port"]), timeout=30) as sock:
        sock.sendall(head.encode())
        answer = b""
        while b"}" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status = answer.split(b"\r\n", 1)[0]
    assert b" 413 " in status, answer[:300]
    error = json.loads(answer.split(b"\r\n\r\n", 1)[1].decode("utf-8"))["error"]
    assert error == "文件“全县扫描件.pdf”（21.0 MB）超过 20 MB 上限，未上传；请压缩或拆分后再上传。", error
    assert quote("全县扫描件.pdf") in head  # the name went URL-encoded, as the page sends it


def test_one_user_holds_a_bounded_number_of_pages(server):
    """Every logged-in page may send 1 MB messages; one user opens at most
    SOCKETS_PER_USER pages at once on a server.  The next is closed (1008) with
    a Chinese reason the page shows; once a page closes, a new one opens."""
    from tongchou.ledger import Ledger
    from tongchou.ui.limits import FILE_CHECK_SCRIPT, SOCKETS_PER_USER, too_many_pages_reason
    from tongchou.ui.sessions import SessionBook

    with Ledger.open(str(server["db"]), key_file=server["key"]) as led:
        book = SessionBook(led)
        cookie = book.cookie_for_ticket(book.ticket(book.issue(led.actor("drc"))))
        other = book.cookie_for_ticket(book.ticket(book.issue(led.actor("gongan"))))
    opened = []
    try:
        for _ in range(SOCKETS_PER_USER):
            opened.append(_ws_open(server, cookie))
        sock, frames = _ws_handshake(server, cookie)
        with contextlib.closing(sock):
            assert frames.close() == (1008, too_many_pages_reason())
        assert "同一账号同时打开的页面已达 8 个" in too_many_pages_reason()
        # Another user is not held back by this one's pages.
        sock, _frames = _ws_open(server, other)
        sock.close()
        # A page that closes frees its place.
        first, _frames = opened.pop(0)
        first.close()
        for _ in range(50):  # the server notices the close in its own time; no seconds asserted
            sock, frames = _ws_handshake(server, cookie)
            opcode, _payload = frames.next()
            if opcode != 8:
                opened.append((sock, frames))
                break
            sock.close()
        else:
            pytest.fail("a closed page's place was not freed")
    finally:
        for sock, _frames in opened:
            sock.close()
    # The page shows such a reason instead of going silently dead.
    assert "ev.code === 1008" in FILE_CHECK_SCRIPT and "show(ev.reason" in FILE_CHECK_SCRIPT


@pytest.mark.browser
def test_a_page_beyond_the_users_limit_says_why_in_chromium(page, server):
    """The ninth tab of one logged-in browser shows the server's Chinese reason
    instead of going silently dead; the eight before it work."""
    from tongchou.ui.limits import SOCKETS_PER_USER, too_many_pages_reason

    expect = pytest.importorskip("playwright.sync_api").expect
    page.goto(server["base"])
    page.locator(".tc-login-user input").fill("jiaoyu")
    page.locator(".tc-login-password input").fill("demo1234")
    page.locator(".tc-login-button button").click()
    expect(page.locator(".tc-logout button")).to_be_visible(timeout=20000)
    from .test_sessions import session_cookie
    session_cookie(page.context)  # the page has exchanged its ticket for the cookie
    tabs = [page]
    for _ in range(SOCKETS_PER_USER - 1):  # new tabs of the same browser: logged in from the cookie
        tab = page.context.new_page()
        tab.goto(server["base"])
        expect(tab.locator(".tc-logout button")).to_be_visible(timeout=20000)
        tabs.append(tab)
    extra = page.context.new_page()
    extra.goto(server["base"])
    expect(extra.locator(".tc-upload-refused")).to_contain_text(too_many_pages_reason(), timeout=20000)
    expect(tabs[-1].locator(".tc-upload-refused")).to_have_count(0)
    for tab in tabs[1:] + [extra]:
        tab.close()
