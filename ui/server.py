"""Starting the web UI: ``tongchou serve [--demo] [--port 5006] [--address 127.0.0.1]``."""
from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import sys

import panel as pn
from panel.io.application import build_applications
from panel.io.resources import _env as panel_templates

from tornado.web import OutputTransform

from tongchou.ledger import Ledger

from . import uploads
from .app import TongchouApp
from .i18n import tr
from .limits import (ANONYMOUS_MESSAGE_BYTES, FILE_CHECK_SCRIPT, HTTP_BODY_BYTES,  # noqa: F401
                     PAGE_MESSAGE_BYTES, cap_websockets, lift_cap)
from .sessions import COOKIE, PAYLOAD_KEY, Session, SessionBook, SessionRequestHandler, routes

log = logging.getLogger("tongchou.ui")

#: Seconds between the checks that log out idle sessions.
IDLE_CHECK_SECONDS = 20

#: Sent with every HTTP response.  Bokeh's page scripts are inline and it builds
#: models with ``new Function``, so scripts need 'unsafe-inline' and
#: 'unsafe-eval'; everything else comes from this server only, nothing may
#: frame the app, and no referrer leaves it.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; "
                                "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
                                "font-src 'self' data:; connect-src 'self' ws: wss: blob:; "
                                "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


class SecurityHeaders(OutputTransform):
    """Adds :data:`SECURITY_HEADERS` to every response of the server (pages,
    static files, /session, errors), whichever handler wrote it."""

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        for name, value in SECURITY_HEADERS.items():
            headers.setdefault(name, value)
        return status_code, headers, chunk


def _cap_anonymous_websockets(sessions: SessionBook) -> None:
    """A websocket opened without the cookie of a live session may send messages of
    :data:`ANONYMOUS_MESSAGE_BYTES` at most, until its page logs in; every
    Bokeh message is capped as a whole (:mod:`.limits`)."""
    def page_user(handler) -> str | None:
        morsel = handler.request.cookies.get(COOKIE) if handler.request.cookies else None
        session = sessions.verify_cookie(morsel.value if morsel is not None else None)
        if session is None:
            return None
        try:  # a signed cookie of an ended, expired or changed session lifts nothing
            return session.user if sessions.problem(session, check_log=True) is None else None
        except Exception:  # the ledger unreachable: the small cap, never the big one
            log.exception("session check for a new websocket failed")
            return None

    cap_websockets(page_user)


def allow_uploads_on_this_page(user: str | None = None) -> bool:
    """Called on login: lift the anonymous message cap of this page's websocket
    to :data:`PAGE_MESSAGE_BYTES`, counted as one of ``user``'s pages; False
    (and the page closed) if the user already holds too many."""
    doc = pn.state.curdoc
    session = getattr(getattr(doc, "session_context", None), "_session", None)
    return lift_cap(getattr(session, "_subscribed_connections", ()), user)


# Below this width the page stacks: the menu goes above the content and the
# header wraps (phones; tablets in portrait keep the side menu from 768 px).
NARROW_PX = 768

# Panes and widgets live in shadow DOM, so these rules reach only the light-DOM
# layout containers; the panes' own rules are in fmt.CSS.
PAGE_CSS = f"""
body {{ background: #f5f6f8; margin: 0;
       font-family: 'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif; }}
.tc-content {{ min-width: 0; }}
@media (max-width: {NARROW_PX - 1}px) {{
  .tc-shell {{ flex-direction: column !important; }}
  .tc-nav, .tc-content {{ flex: 0 0 auto !important; width: 100% !important; height: auto !important; }}
  .tc-nav {{ flex-direction: row !important; flex-wrap: wrap !important; align-content: flex-start !important;
             padding-top: 4px !important; }}
  [class*=" tc-nav-"] {{ width: auto !important; min-width: 0 !important; margin: 3px !important; }}
  .tc-header {{ flex-wrap: wrap !important; width: 100% !important; min-width: 0 !important; }}
  .tc-title {{ flex: 1 1 100% !important; width: 100% !important; }}
  .tc-whoami {{ flex: 1 1 100% !important; width: auto !important; min-width: 0 !important; }}
  .tc-content {{ padding: 0 6px 24px 6px !important; }}
  /* Rows of filters, buttons and charts wrap; wide tables scroll inside their own box. */
  .bk-Row {{ flex-wrap: wrap !important; min-width: 0 !important; max-width: 100% !important; }}
  .bk-panel-models-layout-Column, .bk-panel-models-reactive_html-ReactiveHTML {{ min-width: 0 !important;
                                                                                  max-width: 100% !important; }}
  /* Columns side by side (e.g. the project page's sections and fields) stack. */
  :host(.bk-Row) > .bk-panel-models-layout-Column, :host(.bk-Row) > .bk-panel-models-markup-HTML,
  :host(.bk-Row) > .bk-Figure {{
    flex: 1 1 100% !important; width: auto !important; }}
  .bk-panel-models-tabulator-DataTabulator, .bk-Figure {{ max-width: 100% !important; min-width: 0 !important; }}
  .tc-login {{ width: calc(100vw - 24px) !important; max-width: 350px; }}
}}
"""


def page_template():
    """Panel's page template with ``lang="zh-CN"`` and a viewport meta tag, so
    phones lay the page out at their own width instead of shrinking a 980 px page."""
    source, _name, _uptodate = panel_templates.loader.get_source(panel_templates, "base.html")
    source = source.replace('<html lang="en"', '<html lang="zh-CN"', 1).replace(
        '<meta charset="utf-8">',
        '<meta charset="utf-8">\n    <meta name="viewport" content="width=device-width, initial-scale=1">', 1)
    # Files over the upload limit are refused in the browser, before they are read.
    source = source.replace("</head>", FILE_CHECK_SCRIPT + "</head>", 1)
    return panel_templates.from_string(source)


PAGE_TEMPLATE = page_template()


class ClosedConnectionFilter(logging.Filter):
    """Drops the two log records Bokeh writes when a browser reloads or leaves
    while the server still answers its last message ("Failed sending message
    as connection was closed", and the same WebSocketClosedError from a
    Tornado write task).  The browser is gone, nothing is lost, and staff
    reloading a page is normal use; every other record passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "connection was closed" in text:
            return False
        exc = record.exc_info[1] if record.exc_info else None
        if text.startswith("Task exception was never retrieved") and (
                type(exc).__name__ in ("WebSocketClosedError", "StreamClosedError")
                or "WebSocketClosedError" in str(getattr(record, "future", ""))):
            return False
        return True


def quiet_closed_connections() -> None:
    for name in ("bokeh.server.views.ws", "asyncio"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, ClosedConnectionFilter) for f in logger.filters):
            logger.addFilter(ClosedConnectionFilter())


def configure_panel() -> None:
    pn.extension("tabulator", notifications=True, loading_spinner="dots", raw_css=[PAGE_CSS])
    pn.config.title = tr("app_title")


def _page_session(sessions: SessionBook | None) -> Session | None:
    """The signed-in session the page's HTTP request carried, if any."""
    doc = pn.state.curdoc
    if sessions is None or doc is None or doc.session_context is None:
        return None
    try:
        payload = doc.session_context.token_payload
    except (AssertionError, AttributeError):
        return None
    return sessions.redeem(payload.get(PAYLOAD_KEY))


def make_app(ledger: Ledger, sessions: SessionBook | None = None):
    """The page factory: one :class:`TongchouApp` per browser session."""
    def factory():
        app = TongchouApp(ledger, location=pn.state.location, sessions=sessions,
                          session=_page_session(sessions))
        if pn.state.curdoc is not None:
            pn.state.curdoc.template = PAGE_TEMPLATE
            period = int(min(IDLE_CHECK_SECONDS, max(1.0, app.idle_seconds / 4)) * 1000)
            pn.state.add_periodic_callback(app.check_idle, period=period)
        return app.servable()
    return factory


def origins(address: str, port: int) -> list[str]:
    """Hosts whose pages may open the app's websocket."""
    hosts = {address, "localhost", "127.0.0.1"}
    if address in ("0.0.0.0", "::", ""):
        hosts = {"*"}
    extra = [h.strip() for h in os.environ.get("TONGCHOU_ALLOWED_ORIGINS", "").split(",") if h.strip()]
    return sorted(f"{h}:{port}" for h in hosts) + extra


def serve(db: str | None = None, jurisdiction: str | None = None, demo: bool = False, port: int = 5006,
          address: str = "127.0.0.1", show: bool = False, *, start: bool = True):
    """Open the ledger (creating or upgrading it), seed the demo county when
    asked and the ledger is empty, and serve the UI until interrupted."""
    from tongchou.lease import serving
    lease = serving(db)  # held while serving: a restore is refused until the server stops
    ledger = Ledger.open(db, jurisdiction=jurisdiction)
    ledger.lease = lease
    if demo:
        from tongchou.cli import seed_demo
        print(seed_demo(ledger, dt.date.today()), flush=True)
    configure_panel()
    quiet_closed_connections()
    # The pages (and pandas under them) load here, not on the first user's login.
    for page in ("admin", "home", "import", "ledger", "project", "reports", "whatif"):
        importlib.import_module(f"{__package__}.page_{page}")
    print(f"Tongchou UI: http://{address if address not in ('0.0.0.0', '::') else 'localhost'}:{port}/ "
          f"(ledger {ledger.url}, jurisdiction {ledger.jurisdiction.name})", flush=True)
    sessions = SessionBook(ledger)
    apps = build_applications({"/": make_app(ledger, sessions)}, title=tr("app_title"))
    apps["/"].add(SessionRequestHandler(sessions))
    server = pn.serve(apps, port=port, address=address, websocket_origin=origins(address, port),
                      show=show, start=False, title=tr("app_title"), verbose=False,
                      check_unused_sessions=60_000, unused_session_lifetime=15 * 60_000,
                      websocket_max_message_size=PAGE_MESSAGE_BYTES,
                      # Tornado would otherwise buffer request bodies of up to 100 MB on any URL.
                      http_server_kwargs={"max_body_size": HTTP_BODY_BYTES},
                      # Files come over HTTP, streamed to disk (see uploads.py), not over the websocket.
                      extra_patterns=routes(sessions) + uploads.routes(uploads.install(sessions)),
                      # The session cookie stays out of Bokeh's session token, which page scripts can read.
                      exclude_cookies=[COOKIE], exclude_headers=["Cookie"])
    server._tornado.transforms.append(SecurityHeaders)
    _cap_anonymous_websockets(sessions)
    if not start:
        return server
    try:
        server.start()
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        ledger.close()
        lease.release()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(serve())
