"""``python -m bench``: see :mod:`bench.run`; ``python -m bench ui``: see :mod:`bench.ui`."""
import sys

if sys.argv[1:2] == ["ui"]:
    from .ui import main as ui_main
    sys.exit(ui_main(sys.argv[2:]))

from .run import main

sys.exit(main())
