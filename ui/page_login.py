"""The login form: the only thing a session shows until someone logs in."""
from __future__ import annotations

import panel as pn

from tongchou.errors import PermissionDenied

from .browser import PasswordInput
from .compat import widget
from .fmt import alert, esc, html_pane


def login_card(app, message: str = "", kind: str = "warning") -> pn.Column:
    """The card with user name, password, the login button, ``message`` (an
    alert of ``kind``) and the language switch.  A good password logs ``app``
    in (and, with a session book, starts a browser session); a bad one says so
    without saying which half was wrong."""
    user = widget(pn.widgets.TextInput, name=app.t("username"), css_classes=["tc-login-user"], width=300)
    password = widget(PasswordInput, name=app.t("password"), css_classes=["tc-login-password"], width=300)
    button = widget(pn.widgets.Button, name=app.t("login"), button_type="primary",
                    css_classes=["tc-login-button"], width=300)
    feedback = html_pane(alert(kind, message) if message else "", css_classes=["tc-login-message"],
                         width=300)
    lang = app.lang_switch()

    def submit(*_):
        if app.actor is not None:
            return
        name = user.value_input or user.value or ""
        pw = password.value_input or password.value or ""
        if not name.strip() or not pw:
            feedback.object = alert("warning", app.t("login_failed"))
            return
        try:
            actor = app.ledger.authenticate(name, pw)
        except PermissionDenied:
            password.value = password.value_input = ""
            feedback.object = alert("danger", app.t("login_failed"))
            return
        if app.sessions is not None:
            app.session = app.sessions.issue(actor)
            app.cookie.ticket = app.sessions.ticket(app.session)
        app.login(actor)

    app.login_widgets = (user, password, button, feedback)
    button.on_click(submit)
    password.param.watch(submit, "enter_pressed")
    card = pn.Column(
        html_pane(f'<div style="font-size:1.4em;font-weight:600">{esc(app.t("app_title"))}</div>'
                  f'<div class="tc-muted">{esc(app.ledger.jurisdiction.title)} · '
                  f'{esc(app.t("login_hint"))}</div>', width=320),
        user, password, button, feedback, lang,
        styles={"border": "1px solid #eaecf0", "border-radius": "10px", "padding": "16px",
                "background": "white", "box-shadow": "0 4px 12px rgba(16,24,40,.08)"},
        width=350, margin=(60, 0, 0, 0), css_classes=["tc-login"])
    return card
