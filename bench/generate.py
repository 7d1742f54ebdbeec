"""``python -m bench.generate URL KEY_FILE '{"counties": 150, "per_county": 1000}'``:
open (create) the ledger at URL with its audit key in KEY_FILE and fill it
with a synthetic province; prints what was loaded as one JSON line."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import attrs

from tongchou.ledger import Ledger

from .province import generate


def main(argv: list[str]) -> None:
    url, key_file = argv[:2]
    opts = json.loads(argv[2]) if len(argv) > 2 else {}
    with Ledger.open(url, key_file=Path(key_file)) as ledger:
        loaded = generate(ledger, counties=int(opts.get("counties", 150)),
                          per_county=int(opts.get("per_county", 1000)), seed=int(opts.get("seed", 2026)))
    print(json.dumps(attrs.asdict(loaded)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
