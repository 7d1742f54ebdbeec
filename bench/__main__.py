"""``python -m bench``: see :mod:`bench.run`; ``python -m bench ui``: see :mod:`bench.ui_dashboard`."""
import sys

if len(sys.argv) > 1 and sys.argv[1] == "ui":
    from .ui_dashboard import main as ui_main

    sys.exit(ui_main(sys.argv[2:]))

from .run import main  # noqa: E402

sys.exit(main())
