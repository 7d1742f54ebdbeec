"""Web sessions that survive a reload and a new tab.

After a password login the browser holds one cookie, ``tongchou_session``
(HttpOnly, SameSite=Strict, Secure behind HTTPS, no Max-Age so it ends with
the browser).  Its value is ``<claims>.<HMAC-SM3>``: the user name, a random
session id and the issue time, signed with a key derived from the audit key
file, which lives outside the database (a copy of the database alone cannot
forge a session; servers that share the audit key accept each other's
sessions).

A session stops working when any of these holds, checked on every page load
and every click:

- it is older than the absolute limit (``TONGCHOU_UI_SESSION_HOURS``, 10 h);
- nothing was done with it for the idle limit (``TONGCHOU_UI_IDLE_MINUTES``, 30 min;
  after a server restart the issue time stands in for the last activity);
- it was ended by logging out or by the idle logout (an audit entry ``logout``
  naming the session's digest, so other servers and restarts see it too);
- the user was disabled or deleted (the account is read each time);
- the user's password, role or unit changed since the session began (the
  session carries a keyed digest of them, compared on every check), so a
  password change ends the sessions a thief may hold.

Rotating the audit key (``tongchou audit rotate-key``) under running servers
does not end sessions: each server re-reads the key file when it changes,
signs new sessions with the new key and still accepts those of the old.

Why a ticket: cookies can only be set on an HTTP response, while the login
form talks to the server over the websocket.  After a good password the
server hands the page a signed one-use ticket valid for a minute; the page
POSTs it to ``/session``, whose response sets the HttpOnly cookie.  The
cookie's value never reaches page scripts: it is also kept out of Bokeh's
session token (``exclude_cookies``/``exclude_headers``), and a page load is
matched to its session through a random one-use handle instead.
"""
from __future__ import annotations

import base64
import datetime as dt
import hmac as std_hmac
import json
import logging
import os
import secrets
import threading
import time
from typing import Any

import attrs
from bokeh.application.handlers.handler import Handler
from tornado.web import RequestHandler

from tongchou.audit import hmac_sm3_hex, sm3_hex
from tongchou.db import write_transaction
from tongchou.errors import NotFound, PermissionDenied
from tongchou.models import Account, AuditEntry
from tongchou.vocabulary import Actor

log = logging.getLogger("tongchou.ui")

COOKIE = "tongchou_session"
PAYLOAD_KEY = "tongchou_handle"
IDLE_MINUTES = 30.0
SESSION_HOURS = 10.0
TICKET_SECONDS = 60
HANDLE_SECONDS = 120


def _env_float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


@attrs.frozen
class Session:
    """A signed-in browser: who, which session, since when (Unix seconds)."""

    user: str
    sid: str
    issued: int
    #: a digest of the account's password hash, role and unit when the session
    #: was issued: a password or role change ends the user's other sessions
    generation: str = ""

    @property
    def digest(self) -> str:
        """What the audit log records about the session (never the id itself)."""
        return sm3_hex(self.sid.encode())[:32]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionBook:
    """Issues and checks the sessions of one ledger (one per server process)."""

    def __init__(self, ledger, *, idle_minutes: float | None = None, session_hours: float | None = None,
                 clock=time.time):
        self.ledger = ledger
        self.idle_seconds = 60 * (idle_minutes if idle_minutes is not None
                                  else _env_float("TONGCHOU_UI_IDLE_MINUTES", IDLE_MINUTES))
        self.max_seconds = 3600 * (session_hours if session_hours is not None
                                   else _env_float("TONGCHOU_UI_SESSION_HOURS", SESSION_HOURS))
        self.clock = clock
        self._derived: tuple[Any, list[bytes]] = (None, [])
        self._lock = threading.Lock()
        self._last_seen: dict[str, float] = {}
        self._ended: dict[str, float] = {}
        self._used_tickets: dict[str, float] = {}
        self._handles: dict[str, tuple[Session, float]] = {}

    # -- tokens ---------------------------------------------------------------

    def _keys(self) -> list[bytes]:
        """Session keys, newest first, one per audit key.  Derived, so a leaked
        session key does not reveal the audit key; re-derived when the key file
        is rotated under a running server: new sessions are signed with the new
        key and the sessions already open stay valid."""
        audit = self.ledger.audit
        audit.refresh_keys()
        ring = audit.keys
        if self._derived[0] is not ring:
            self._derived = (ring, [bytes.fromhex(hmac_sm3_hex(k, b"tongchou web session v1"))
                                    for _start, k in reversed(ring.keys)])
        return self._derived[1]

    @property
    def _key(self) -> bytes:
        return self._keys()[0]

    def _sign(self, purpose: str, session: Session, at: int | None = None) -> str:
        claims = {"p": purpose, "u": session.user, "s": session.sid, "i": session.issued,
                  "g": session.generation}
        if at is not None:
            claims["t"] = at
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return body + "." + hmac_sm3_hex(self._key, f"{purpose}.{body}".encode())

    def _verify(self, purpose: str, token: str | None) -> tuple[Session, int] | None:
        if not token or token.count(".") != 1 or len(token) > 1000:
            return None
        body, mac = token.split(".")
        if not any(std_hmac.compare_digest(mac, hmac_sm3_hex(key, f"{purpose}.{body}".encode()))
                   for key in self._keys()):
            return None
        try:
            claims = json.loads(_unb64(body))
            if claims["p"] != purpose:
                return None
            session = Session(str(claims["u"]), str(claims["s"]), int(claims["i"]), str(claims.get("g", "")))
            return session, int(claims.get("t", session.issued))
        except (ValueError, KeyError, TypeError):
            return None

    def verify_cookie(self, cookie: str | None) -> Session | None:
        """The session a cookie value names, if its signature holds (nothing else checked)."""
        found = self._verify("session", cookie)
        return found[0] if found else None

    def upload_key(self, session: Session) -> str:
        """A page's key for ``POST /upload``: good only with this session's cookie."""
        return self._sign("upload", session)

    def verify_upload_key(self, key: str | None) -> Session | None:
        found = self._verify("upload", key)
        return found[0] if found else None

    def issue(self, actor: Actor) -> Session:
        """A new session for a user who has just given the right password."""
        session = Session(actor.name, secrets.token_hex(16), int(self.clock()), self.generation(actor.name))
        now = self.clock()
        with self._lock:
            # Forget sessions nobody used for the idle limit: they cannot come back.
            self._last_seen = {k: v for k, v in self._last_seen.items() if now - v <= self.idle_seconds}
            self._last_seen[session.sid] = now
        return session

    def ticket(self, session: Session) -> str:
        """The one-use, one-minute ticket the page exchanges for the cookie."""
        return self._sign("ticket", session, at=int(self.clock()))

    def cookie_for_ticket(self, ticket: str | None) -> str | None:
        """The cookie value for a valid, unused ticket (and the ticket is used up)."""
        found = self._verify("ticket", ticket)
        now = self.clock()
        if found is None or not -5 <= now - found[1] <= TICKET_SECONDS:
            return None
        with self._lock:
            self._used_tickets = {k: v for k, v in self._used_tickets.items() if v > now}
            if ticket in self._used_tickets:
                return None
            self._used_tickets[ticket] = now + 2 * TICKET_SECONDS
        return self._sign("session", found[0])

    # -- page loads -------------------------------------------------------------

    def handle_for_cookie(self, cookie: str | None) -> str | None:
        """Called on the HTTP request that loads the page: a random handle the
        new Panel session redeems once, or None without a signed cookie."""
        session = self.verify_cookie(cookie)
        if session is None:
            return None
        handle = secrets.token_urlsafe(24)
        now = self.clock()
        with self._lock:
            self._handles = {k: v for k, v in self._handles.items() if v[1] > now}
            self._handles[handle] = (session, now + HANDLE_SECONDS)
        return handle

    def redeem(self, handle: str | None) -> Session | None:
        if not handle:
            return None
        with self._lock:
            found = self._handles.pop(handle, None)
        if found is None or found[1] < self.clock():
            return None
        return found[0]

    # -- checks -------------------------------------------------------------------

    def idle_for(self, session: Session) -> float:
        with self._lock:
            last = self._last_seen.get(session.sid, float(session.issued))
        return self.clock() - last

    def touch(self, session: Session) -> None:
        with self._lock:
            self._last_seen[session.sid] = self.clock()

    def problem(self, session: Session, *, check_log: bool = False) -> str | None:
        """Why ``session`` no longer works ("expired", "idle", "ended",
        "disabled"), or None while it does.  ``check_log`` also looks for a
        logout recorded by another server (done on page loads, not clicks)."""
        now = self.clock()
        with self._lock:
            if session.sid in self._ended:
                return "ended"
        if now - session.issued > self.max_seconds or now < session.issued - 60:
            return "expired"
        if self.idle_for(session) > self.idle_seconds:
            return "idle"
        if check_log and self._logged_out(session):
            with self._lock:
                self._ended[session.sid] = session.issued + self.max_seconds
            return "ended"
        try:
            self.ledger.actor(session.user)
        except (NotFound, PermissionDenied):
            return "disabled"
        if not std_hmac.compare_digest(session.generation, self.generation(session.user)):
            return "changed"  # password, role or unit changed since: log in again
        return None

    def generation(self, user: str) -> str:
        """A keyed digest of what the user's sessions rest on: the password hash,
        role and unit.  Any change of them (on any server) ends older sessions."""
        row = Account.get_or_none(Account.name == user)
        if row is None:
            return "-"
        text = f"{row.password_hash}|{row.role}|{row.unit_id}"
        return hmac_sm3_hex(self._keys()[-1], b"tongchou session generation\0" + text.encode())[:32]

    def actor(self, session: Session) -> Actor:
        return self.ledger.actor(session.user)

    def _logged_out(self, session: Session) -> bool:
        since = dt.datetime.fromtimestamp(session.issued, dt.timezone.utc).replace(tzinfo=None) \
            - dt.timedelta(minutes=5)
        query = (AuditEntry.select(AuditEntry.id)
                 .where(AuditEntry.kind == "logout", AuditEntry.actor == session.user, AuditEntry.at >= since,
                        AuditEntry.detail.contains(session.digest)))
        return query.exists()

    def end(self, session: Session, reason: str) -> None:
        """End a session here and, through the audit log, everywhere."""
        with self._lock:
            already = session.sid in self._ended
            self._ended[session.sid] = session.issued + self.max_seconds
            self._last_seen.pop(session.sid, None)
            now = self.clock()
            self._ended = {k: v for k, v in self._ended.items() if v > now}
        if already:
            return
        with write_transaction(self.ledger.db):
            self.ledger.audit.append("logout", session.user, {"session": session.digest, "reason": reason})


# -- wiring into the Panel/Bokeh server ------------------------------------------------


class SessionRequestHandler(Handler):
    """A Bokeh application handler that only looks at the page's HTTP request:
    it turns a signed session cookie into a one-use handle in the session
    token, so the Panel session can find its user without the cookie itself."""

    def __init__(self, book: SessionBook):
        super().__init__()
        self.book = book

    def modify_document(self, doc) -> None:  # the page itself is built by the app
        return None

    def process_request(self, request) -> dict[str, Any]:
        morsel = request.cookies.get(COOKIE) if request.cookies else None
        handle = self.book.handle_for_cookie(morsel.value if morsel is not None else None)
        return {PAYLOAD_KEY: handle} if handle else {}


def _same_origin(handler: RequestHandler) -> bool:
    origin = handler.request.headers.get("Origin")
    if not origin:
        return True
    host = handler.request.headers.get("Host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host


def _secure(handler: RequestHandler) -> bool:
    proto = handler.request.headers.get("X-Forwarded-Proto", handler.request.protocol)
    return proto.split(",")[0].strip().lower() == "https"


class SessionCookieHandler(RequestHandler):
    """POST /session (ticket=…) sets the session cookie; DELETE clears it."""

    def initialize(self, book: SessionBook) -> None:
        self.book = book

    def check_xsrf_cookie(self) -> None:  # the ticket, SameSite and the Origin check stand in
        return None

    def _set(self, value: str, *, clear: bool = False) -> None:
        parts = [f"{COOKIE}={value}", "Path=/", "HttpOnly", "SameSite=Strict"]
        if clear:
            parts.append("Max-Age=0")
        if _secure(self):
            parts.append("Secure")
        self.add_header("Set-Cookie", "; ".join(parts))
        self.set_header("Cache-Control", "no-store")

    def post(self) -> None:
        if not _same_origin(self):
            self.set_status(403)
            return
        cookie = self.book.cookie_for_ticket(self.get_body_argument("ticket", ""))
        if cookie is None:
            self.set_status(403)
            return
        self._set(cookie)
        self.set_status(204)

    def delete(self) -> None:
        if not _same_origin(self):
            self.set_status(403)
            return
        session = self.book.verify_cookie(self.get_cookie(COOKIE))
        if session is not None:
            self.book.end(session, "logout")
        self._set("", clear=True)
        self.set_status(204)


def routes(book: SessionBook) -> list[tuple[str, type, dict]]:
    return [(r"/session", SessionCookieHandler, {"book": book})]
