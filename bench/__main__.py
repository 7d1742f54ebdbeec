"""``python -m bench``: see :mod:`bench.run`.  ``python -m bench ui``: the browser harnesses, the
cold province-wide dashboard against the demo ledger (:mod:`bench.ui_dashboard`) and then the
page-switch times on the demo ledger (:mod:`bench.ui`); ``ui dashboard`` or ``ui pages`` runs one."""
import sys

if sys.argv[1:2] == ["ui"]:
    rest = sys.argv[2:]
    which = rest[0] if rest[:1] and rest[0] in ("dashboard", "pages") else "both"
    if which != "both":
        rest = rest[1:]
    code = 0
    if which in ("both", "dashboard"):
        from .ui_dashboard import main as dashboard_main
        code = dashboard_main(rest, known_only=which == "both") or code
    if which in ("both", "pages"):
        from .ui import main as pages_main
        code = pages_main(rest, known_only=which == "both") or code
    sys.exit(code)

from .run import main  # noqa: E402

sys.exit(main())
