"""The Panel web UI of Tongchou (``tongchou serve``).

:func:`tongchou.ui.server.serve` starts it; :class:`tongchou.ui.app.TongchouApp`
is one browser session.  The UI reads and writes only through
:class:`tongchou.ledger.Ledger`, always as the logged-in user.
"""
