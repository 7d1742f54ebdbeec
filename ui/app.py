"""One browser session of the web UI: login, the logged-in user, navigation.

A :class:`TongchouApp` is made per session by the page factory in
:mod:`tongchou.ui.server`.  Until someone logs in, it shows the login form and
nothing else.  Every ledger call passes the session's :class:`Actor`, so the
core decides what this user may see and do.  A session left idle for
``idle_minutes`` logs out.

With a :class:`~tongchou.ui.sessions.SessionBook` (the server gives one) a
password login also starts a browser session (an HttpOnly cookie), so a
reload or a new tab stays logged in until the session ends; see
:mod:`tongchou.ui.sessions`.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import time
import traceback
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import panel as pn
import param

from tongchou.errors import NotFound, PermissionDenied, TongchouError
from tongchou.models import Account
from tongchou.vocabulary import Actor

from . import i18n
from .browser import BrowserHistory, Drawn, SessionCookie
from .deferred import reads_for
from .compat import widget
from .fmt import alert, esc, html_pane
from .known_models import ServerModels
from .sessions import Session, SessionBook

log = logging.getLogger("tongchou.ui")

IDLE_MINUTES = 30
PAGES = ("home", "worklist", "ledger", "project", "new", "edit", "reports", "admin", "whatif", "import")


def idle_minutes_default() -> float:
    try:
        return float(os.environ.get("TONGCHOU_UI_IDLE_MINUTES", IDLE_MINUTES))
    except ValueError:
        return IDLE_MINUTES


class TongchouApp:
    """The UI of one session."""

    def __init__(self, ledger, *, idle_minutes: float | None = None, location=None,
                 today: Callable[[], dt.date] | None = None, lang: str = i18n.DEFAULT_LANGUAGE,
                 sessions: SessionBook | None = None, session: Session | None = None):
        self.ledger = ledger
        self.actor: Actor | None = None
        self.sessions = sessions
        self.session: Session | None = None
        self.display_name = ""
        self.lang = lang
        #: "yuan" or "wan": how amounts are shown and typed (the user's
        #: preference, else the jurisdiction's ``money_unit`` setting).
        self.money_unit = "yuan"
        self.idle_seconds = 60 * (idle_minutes if idle_minutes is not None else idle_minutes_default())
        self.last_active = time.monotonic()
        self.location = location
        self._today = today or dt.date.today
        self.page = "home"
        self.params: dict[str, str] = {}
        self._requested = self._query() if location is not None else {}
        self.header = pn.Row(sizing_mode="stretch_width", css_classes=["tc-header"],
                             styles={"background": "#1d2939", "color": "white", "padding": "4px 12px",
                                     "align-items": "center"})
        self.nav = pn.Column(width=170, css_classes=["tc-nav"], styles={"padding-top": "8px"})
        self.content = pn.Column(sizing_mode="stretch_width", css_classes=["tc-content"],
                                 styles={"padding": "0 12px 24px 12px"})
        self.root = pn.Column(sizing_mode="stretch_width", css_classes=["tc-root"])
        self.history = BrowserHistory(width=0, height=0, margin=0, visible=True)
        self.history.param.watch(self._popstate, "search")
        self.cookie = SessionCookie(width=0, height=0, margin=0, visible=True)
        self.cookie.param.watch(self._cookie_stored, "stored")
        # keeps the browser from re-sending widgets the server sent it (known_models.py)
        self.known = ServerModels(width=0, height=0, margin=0, visible=True)
        self.show_login()
        if session is not None and sessions is not None:
            self.resume(session)

    # -- small helpers used by the pages -------------------------------------

    def t(self, key: str, **kwargs) -> str:
        return i18n.tr(key, self.lang, **kwargs)

    def today(self) -> dt.date:
        return self._today()

    @property
    def registry(self):
        return self.ledger.registry

    @property
    def role(self) -> str:
        return self.actor.role if self.actor else ""

    def is_unit(self) -> bool:
        role = self.registry.roles.get(self.role)
        return bool(role and role.unit_scoped)

    def can_create(self) -> bool:
        return self.actor is not None and (self.is_unit() or self.role == "admin")

    def has_actions(self) -> bool:
        return self.actor is not None and any(self.role in a.roles for a in self.registry.actions.values())

    def notify(self, kind: str, text: str) -> None:
        """A toast (text is escaped: notyf renders HTML)."""
        notes = pn.state.notifications
        if notes is not None:
            getattr(notes, kind, notes.info)(esc(text), duration=4000)

    def touch(self) -> None:
        self.last_active = time.monotonic()
        if self.session is not None and self.sessions is not None:
            self.sessions.touch(self.session)

    def idle_expired(self) -> bool:
        if self.actor is None:
            return False
        if self.session is not None and self.sessions is not None:
            # Shared by the tabs of one browser: one tab in use keeps the others alive.
            return self.sessions.idle_for(self.session) > self.idle_seconds
        return time.monotonic() - self.last_active > self.idle_seconds

    def session_problem(self) -> str | None:
        """Why this login no longer holds ("idle", "expired", "ended",
        "disabled"), or None.  Read on every click, so disabling a user or
        logging out in another tab takes effect at once."""
        if self.actor is None:
            return None
        if self.idle_expired():
            return "idle"
        if self.session is not None and self.sessions is not None:
            return self.sessions.problem(self.session)
        try:
            self.ledger.actor(self.actor.name)
        except (NotFound, PermissionDenied):
            return "disabled"
        return None

    def problem_message(self, problem: str) -> str:
        if problem == "idle":
            return self.t("session_expired", minutes=int(round(self.idle_seconds / 60)))
        if problem == "expired":
            hours = self.sessions.max_seconds / 3600 if self.sessions else 0
            return self.t("session_too_old", hours=f"{hours:g}")
        if problem == "disabled":
            return self.t("account_disabled")
        if problem == "changed":
            return self.t("session_changed")
        return self.t("session_ended")

    def check_idle(self) -> bool:
        """Log out a login that idled out, was ended elsewhere or whose user
        was disabled; True if it did."""
        problem = self.session_problem()
        if problem is None:
            return False
        self.logout(self.problem_message(problem), reason=problem)
        return True

    def handler(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a widget callback: refuse it on an expired session, count it as
        activity, and show an unexpected error instead of losing it."""
        def wrapped(*args, **kwargs):
            if self.actor is not None and self.check_idle():
                return None
            self.touch()
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # shown, logged, never swallowed silently
                log.error("UI callback failed: %s\n%s", exc, traceback.format_exc())
                self.content.insert(0, html_pane(alert("danger", self.t("error"), [str(exc)])))
                return None
        return wrapped

    def defer(self, compute: Callable[[], Any], done: Callable[[Any], None], after: float = 0.0,
              signal: Drawn | None = None) -> None:
        """Run a slow read off the event loop, then hand its result to ``done``
        (in the session).  Without a server session it runs at once.  ``after``:
        seconds to let pass first; with a ``signal`` (a :class:`Drawn` on the
        page), until the browser says the page is painted, ``after`` seconds at
        most.  A long read holds the interpreter most of the time: started
        later, it does not slow down the page it belongs to."""
        doc = pn.state.curdoc
        if doc is None or doc.session_context is None:
            done(compute())
            return
        pn.state.execute(self.deferred(compute, done, after, signal))

    def deferred(self, compute: Callable[[], Any], done: Callable[[Any], None],
                 after: float = 0.0, signal: Drawn | None = None) -> Callable[[], Any]:
        """The coroutine function :meth:`defer` hands to the session's loop."""
        return reads_for(self, compute, done, after, signal)

    def download_callback(self, build: Callable[[], Any]) -> Callable[[], Any]:
        """A FileDownload callback that builds the file off the event loop
        (an export of the whole ledger takes a while) for a logged-in user."""
        async def callback():
            if self.actor is None or self.check_idle():
                raise PermissionDenied("not logged in")
            self.touch()
            try:
                return await asyncio.get_running_loop().run_in_executor(None, build)
            except TongchouError as exc:  # e.g. a document failing its digest check: say so
                self.notify("error", str(exc))
                raise
        return callback

    def on_click(self, button, fn: Callable[[], Any]) -> None:
        button.on_click(self.handler(lambda _event: fn()))

    # -- URL ----------------------------------------------------------------

    def _query(self) -> dict[str, str]:
        search = getattr(self.location, "search", "") or ""
        return {k: v for k, v in parse_qsl(search.lstrip("?"))}

    def _set_url(self) -> None:
        if self.location is None:
            return
        query: dict[str, str] = {}
        if self.page == "project":
            query = {"project": self.params.get("project", "")}
        elif self.page != "home":
            query = {"page": self.page, **self.params}
        search = "?" + urlencode(query) if query else ""
        if (self.location.search or "") != search:
            self.location.search = search

    def _popstate(self, event) -> None:
        """Back/Forward: show the page in the URL without pushing it again."""
        try:
            search = str(json.loads(event.new)[1] or "")
        except (ValueError, TypeError, IndexError):
            return
        if self.location is not None:
            with param.parameterized.discard_events(self.location):
                self.location.search = search
        if self.actor is None or self.check_idle():
            return
        self.touch()
        query = {k: v for k, v in parse_qsl(search.lstrip("?"))}
        if "project" in query and query.get("page", "project") in ("project", "edit"):
            self.go(query.get("page", "project"), project=query["project"])
        else:
            page = query.pop("page", "home")
            self.go(page if page in PAGES else "home", **query)

    # -- login / logout -------------------------------------------------------

    def show_login(self, message: str = "", kind: str = "warning") -> None:
        from .page_login import login_card
        self.root[:] = [pn.Row(pn.HSpacer(), login_card(self, message, kind), pn.HSpacer(), sizing_mode="stretch_width"),
                        self.history, self.cookie, self.known]

    def login(self, actor: Actor) -> None:
        self.actor = actor
        if self.sessions is not None:
            from .server import allow_uploads_on_this_page
            allow_uploads_on_this_page(actor.name)  # the anonymous websocket cap no longer applies
        account = Account.get_or_none(Account.name == actor.name)
        self.display_name = (account.display_name if account else "") or actor.name
        # The language and money unit the user chose last time, in any browser.
        prefs = self.ledger.preferences(actor.name)
        self.lang = prefs.get("lang", self.lang)
        self.money_unit = prefs.get("money_unit") or self.ledger.setting("money_unit") or "yuan"
        self.touch()
        req = self._requested
        self._requested = {}
        if "project" in req and req.get("page", "project") in ("project", "edit"):
            page = req.get("page", "project")
            params = {"project": req["project"]}
        elif req.get("page") in PAGES:
            page = req["page"]
            params = {k: v for k, v in req.items() if k != "page"}
        else:
            page, params = "home", {}
        self.root[:] = [
            self.header, pn.Row(self.nav, self.content, sizing_mode="stretch_width", css_classes=["tc-shell"]),
            self.history, self.cookie, self.known]
        self.go(page, **params)

    def resume(self, session: Session) -> None:
        """Log in from a session cookie (a reload or a new tab), if it still holds."""
        assert self.sessions is not None
        problem = self.sessions.problem(session, check_log=True)
        actor = None
        if problem is None:
            try:
                actor = self.sessions.actor(session)
            except (NotFound, PermissionDenied):
                problem = "disabled"
        if problem is not None or actor is None:
            if problem in ("idle", "expired", "disabled", "changed"):
                self.sessions.end(session, problem)
            self._clear_cookie_on_load()
            self.show_login(self.problem_message(problem or "ended"))
            return
        self.session = session
        self.sessions.touch(session)
        self.login(actor)

    def _clear_cookie_on_load(self) -> None:
        def clear():
            self.cookie.clear += 1
        if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            pn.state.onload(clear)
        else:
            clear()

    def _cookie_stored(self, _event) -> None:
        # The ticket is used up; nothing secret needs to stay in the page.
        self.cookie.ticket = ""

    def logout(self, message: str | None = None, reason: str = "logout") -> None:
        """Back to the login form; a browser session ends for every tab."""
        if self.session is not None and self.sessions is not None:
            self.sessions.end(self.session, reason)
            self.cookie.clear += 1
        self.session = None
        self.actor = None
        self.display_name = ""
        self.content.clear()
        self.nav.clear()
        self.header.clear()
        self._nav_key = self._header_key = None
        self.page, self.params = "home", {}
        self._set_url()
        self.show_login(message or self.t("logged_out"), "warning" if message else "info")

    # -- chrome ---------------------------------------------------------------

    def lang_switch(self):
        switch = widget(pn.widgets.RadioButtonGroup, options={v: k for k, v in i18n.LANGUAGES.items()}, value=self.lang,
                                             button_type="light", css_classes=["tc-lang"], width=160)

        def changed(event):
            self.lang = event.new
            if self.actor is None:
                self.show_login()
            else:
                self.touch()
                self.ledger.set_preference(self.actor, "lang", event.new)
                self.go(self.page, **self.params)
        switch.param.watch(changed, "value")
        return switch

    def _money_switch(self):
        from .money import UNITS
        switch = widget(pn.widgets.RadioButtonGroup, options={v: k for k, v in UNITS.items()},
                        value=self.money_unit, button_type="light", css_classes=["tc-money-pref"], width=110)

        def changed(event):
            self.money_unit = event.new
            self.touch()
            self.ledger.set_preference(self.actor, "money_unit", event.new)
            self.go(self.page, **self.params)
        switch.param.watch(changed, "value")
        return switch

    def _build_header(self) -> None:
        role = self.registry.roles.get(self.role)
        who = esc(self.display_name)
        role_label = esc(role.label if role else self.role)
        unit = f" · {esc(self.actor.unit)}" if self.actor and self.actor.unit else ""
        logout = widget(pn.widgets.Button, name=self.t("logout"), button_type="light", css_classes=["tc-logout"],
                                   width=100)
        logout.on_click(lambda _e: self.logout())
        self.header[:] = [
            pn.pane.HTML(self._title_html(), sizing_mode="stretch_width", css_classes=["tc-title"]),
            pn.pane.HTML(f'<span style="color:white" class="tc-user">{who}</span>'
                         f'<span style="color:#d0d5dd">({role_label}{unit})</span>', width=360,
                         css_classes=["tc-whoami"]),
            self.lang_switch(), self._money_switch(), logout,
        ]

    def _title_html(self) -> str:
        return (f'<span style="font-size:1.2em;font-weight:600;color:white">{esc(self.t("app_title"))}'
                f'</span> <span style="color:#d0d5dd">{esc(self.ledger.jurisdiction.title)}</span>')

    def _relabel_header(self) -> None:
        """A language switch relabels the header in place (see _build_nav on why
        widgets are not replaced while their own change is being handled)."""
        title, _who, _lang, _money, logout = self.header.objects
        title.object = self._title_html()
        attr = "label" if "label" in logout.param else "name"
        setattr(logout, attr, self.t("logout"))

    def _nav_items(self) -> list[tuple[str, str]]:
        items = [("home", self.t("nav_home"))]
        if self.has_actions():
            items.append(("worklist", self.t("nav_worklist")))
        items.append(("ledger", self.t("nav_ledger")))
        if self.can_create():
            items.append(("new", self.t("nav_new")))
            from .page_import import nav_label
            items.append(("import", nav_label(self.lang)))
        items.append(("reports", self.t("nav_reports")))
        if self.role == "admin":
            items.append(("admin", self.t("nav_admin")))
            items.append(("whatif", "What-if" if self.lang == "en" else "规则推演"))
        return items

    def _build_nav(self) -> None:
        # The buttons are kept and only restyled (a page switch sends less);
        # the "reference already known" warnings had another cause, see known_models.py.
        items = self._nav_items()
        current = "ledger" if self.page in ("project", "edit") else self.page
        pages = [page for page, _label in items]
        if getattr(self, "_nav_key", None) != pages or len(self.nav) != len(items):
            buttons = []
            for page, label in items:
                b = widget(pn.widgets.Button, name=label, button_type="light",
                           css_classes=["tc-nav-" + page], width=150)
                self.on_click(b, lambda p=page: self.go(p))
                buttons.append(b)
            self.nav[:] = buttons
            self._nav_key = pages
        for (page, label), b in zip(items, self.nav):
            attr = "label" if "label" in b.param else "name"
            if getattr(b, attr) != label:
                setattr(b, attr, label)
            kind = "primary" if page == current else "light"
            attr = "color" if "color" in b.param else "button_type"
            if getattr(b, attr) != kind:
                setattr(b, attr, kind)

    # -- navigation -----------------------------------------------------------

    def go(self, page: str, **params) -> None:
        """Show ``page`` (with ``params``, e.g. project=ID) and put it in the URL."""
        if self.actor is None:
            self.show_login()
            return
        if page not in PAGES:
            page = "home"
        self.page = page
        self.params = {k: str(v) for k, v in params.items() if v is not None and v != ""}
        self._set_url()
        if getattr(self, "_header_key", None) != self.actor.name or len(self.header) != 5:
            self._build_header()
            self._header_key = self.actor.name
        else:
            self._relabel_header()
        self._build_nav()
        self.render()

    def render(self) -> None:
        from . import page_admin, page_home, page_import, page_ledger, page_project, page_reports, page_whatif
        builders = {
            "home": page_home.home,
            "worklist": page_home.worklist_page,
            "ledger": page_ledger.ledger_page,
            "project": page_project.project_page,
            "edit": page_project.edit_page,
            "new": page_project.new_page,
            "reports": page_reports.reports_page,
            "admin": page_admin.admin_page,
            "whatif": page_whatif.whatif_page,
            "import": page_import.import_page,
        }
        try:
            body = builders[self.page](self, **self.params)
        except TongchouError as exc:
            body = html_pane(alert("danger", self.t("error"), [str(exc)]))
        except Exception as exc:
            log.error("page %s failed: %s\n%s", self.page, exc, traceback.format_exc())
            body = html_pane(alert("danger", self.t("error"), [f"{type(exc).__name__}: {exc}"]))
        self.content[:] = [body]

    def refresh(self) -> None:
        self.go(self.page, **self.params)

    def servable(self):
        return self.root
