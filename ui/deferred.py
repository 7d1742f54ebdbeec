"""Slow reads off the session's event loop (:meth:`TongchouApp.defer`): when
they start, and whose they are."""
from __future__ import annotations

import asyncio
import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from .browser import Drawn
from .fmt import alert, html_pane

log = logging.getLogger("tongchou.ui")


class _Painted:
    """Waits, on the session's loop, for a :class:`Drawn` to report the page painted."""

    def __init__(self, signal: Drawn | None):
        self._seen = threading.Event()  # the report may come before anyone waits
        self._waiting: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None
        if signal is not None:
            signal.param.watch(self._report, "drawn")

    def _report(self, _event=None) -> None:
        self._seen.set()
        if self._waiting is not None:
            loop, event = self._waiting
            loop.call_soon_threadsafe(event.set)

    async def wait(self, at_most: float) -> None:
        if self._seen.is_set():
            return
        event = asyncio.Event()
        self._waiting = (asyncio.get_running_loop(), event)
        if self._seen.is_set():
            return
        try:
            await asyncio.wait_for(event.wait(), timeout=at_most or None)
        except asyncio.TimeoutError:
            pass


def reads_for(app, compute: Callable[[], Any], done: Callable[[Any], None], after: float = 0.0,
              signal: Drawn | None = None) -> Callable[[], Any]:
    """The coroutine function that waits (``after`` seconds, or for ``signal``
    at most that long), runs ``compute`` in a worker thread and hands the
    result to ``done``, for ``app``'s logged-in user only."""
    # The read belongs to the user who asked for it: once they have logged
    # out (or someone else has logged in) it is dropped, neither shown to
    # the next user nor reported as a failure of a read nobody waits for.
    asker = app.actor
    painted = _Painted(signal)

    async def run():
        if signal is not None:
            await painted.wait(after)
        elif after:
            await asyncio.sleep(after)
        if app.actor is not asker:
            return
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(None, compute)
        except Exception as exc:
            if app.actor is not asker:
                return
            log.error("deferred read failed: %s\n%s", exc, traceback.format_exc())
            app.content.insert(0, html_pane(alert("danger", app.t("error"), [str(exc)])))
            return
        if app.actor is asker:
            done(result)
    return run
