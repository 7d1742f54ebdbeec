"""Widgets that reach the browser itself rather than the page: the Enter key
in the password box, the Back and Forward buttons, and the HttpOnly session
cookie (which only an HTTP request can set).  Used by :mod:`tongchou.ui.app`."""
from __future__ import annotations

import panel as pn
import param
from panel.custom import JSComponent


class PasswordInput(pn.widgets.PasswordInput):
    """A password box that also reports the Enter key (Bokeh's ValueSubmit)."""

    enter_pressed = param.Event(doc="The Enter key was pressed in the box.")

    _rename = {"enter_pressed": None}

    def _get_model(self, doc, root=None, parent=None, comm=None):
        model = super()._get_model(doc, root, parent, comm)
        self._register_events("value_submit", model=model, doc=doc, comm=comm)
        return model

    def _process_event(self, event) -> None:
        if event.event_name == "value_submit":
            self.value = event.value
            self.value_input = event.value
            self.enter_pressed = True


class BrowserHistory(JSComponent):
    """Reports the browser's Back and Forward buttons (popstate) to Python,
    which Panel's Location does not."""

    search = param.String(default="", doc="JSON [time, window.location.search] after a popstate")

    _esm = """
    export function render({ model }) {
      const listener = () => { model.search = JSON.stringify([Date.now(), window.location.search]) }
      window.addEventListener("popstate", listener)
      model.on("remove", () => window.removeEventListener("popstate", listener))
      return document.createElement("span")
    }
    """


class SessionCookie(JSComponent):
    """Asks the server, over HTTP, to set or clear the HttpOnly session cookie
    (a websocket cannot set cookies; page scripts never see the cookie)."""

    ticket = param.String(default="", doc="A one-use ticket to exchange for the cookie")
    clear = param.Integer(default=0, doc="Increased to clear the cookie")
    stored = param.Integer(default=0, doc="Increased by the page once the cookie is set")

    _esm = """
    export function render({ model }) {
      const send = (method, body) => fetch("session", {method, body, credentials: "same-origin",
        headers: {"Content-Type": "application/x-www-form-urlencoded"}})
      const post = () => {
        const ticket = model.ticket
        if (!ticket) return
        send("POST", "ticket=" + encodeURIComponent(ticket)).then((r) => {
          if (r.ok) { model.stored = model.stored + 1 }
        })
      }
      model.on("ticket", post)
      model.on("clear", () => { send("DELETE", "") })
      if (model.ticket) { post() }
      return document.createElement("span")
    }
    """


class Drawn(JSComponent):
    """Tells the server that the page around it has been painted: ``drawn``
    goes up once the browser has drawn the frame after this component's (two
    animation frames) and then has nothing left to do (tables fill in after
    the first paint), or a second later.  A page starts its long reads then,
    so that they do not compete with the page itself for the machine."""

    drawn = param.Integer(default=0, doc="Increased by the page once painted")

    _esm = """
    export function render({ model }) {
      const report = () => { model.drawn = model.drawn + 1 }
      requestAnimationFrame(() => requestAnimationFrame(() => {
        if (window.requestIdleCallback) { window.requestIdleCallback(report, {timeout: 1000}) } else { report() }
      }))
      return document.createElement("span")
    }
    """
