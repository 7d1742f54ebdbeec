"""Starting the web UI: ``tongchou serve [--demo] [--port 5006] [--address 127.0.0.1]``."""
from __future__ import annotations

import datetime as dt
import logging
import os
import sys

import panel as pn

from tongchou.ledger import Ledger

from .app import TongchouApp
from .i18n import tr

log = logging.getLogger("tongchou.ui")

#: Seconds between the checks that log out idle sessions.
IDLE_CHECK_SECONDS = 20


def configure_panel() -> None:
    pn.extension("tabulator", notifications=True,
                 loading_spinner="dots", raw_css=[
                     "body { background: #f5f6f8; margin: 0; "
                     "font-family: 'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif; }"])
    pn.config.title = tr("app_title")


def make_app(ledger: Ledger):
    """The page factory: one :class:`TongchouApp` per browser session."""
    def factory():
        app = TongchouApp(ledger, location=pn.state.location)
        if pn.state.curdoc is not None:
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
    ledger = Ledger.open(db, jurisdiction=jurisdiction)
    if demo:
        from tongchou.cli import seed_demo
        print(seed_demo(ledger, dt.date.today()), flush=True)
    configure_panel()
    print(f"Tongchou UI: http://{address if address not in ('0.0.0.0', '::') else 'localhost'}:{port}/ "
          f"(ledger {ledger.url}, jurisdiction {ledger.jurisdiction.name})", flush=True)
    server = pn.serve(make_app(ledger), port=port, address=address, websocket_origin=origins(address, port),
                      show=show, start=False, title=tr("app_title"), verbose=False,
                      check_unused_sessions=60_000, unused_session_lifetime=15 * 60_000,
                      websocket_max_message_size=200 * 1024 * 1024)
    if not start:
        return server
    try:
        server.start()
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        ledger.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(serve())
