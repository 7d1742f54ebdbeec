"""A small mutation run: do the tests notice when the rules or the security
code are subtly wrong?

``python -m bench.mutate [--sample N] [--seed S] [--files GLOB ...] [--json]``

Each mutant changes one token of one file — a comparison (``>`` to ``>=``,
``==`` to ``!=`` ...), a boolean operator (``and`` to ``or``), a boolean
constant, or a whole number (``n`` to ``n + 1``) — then runs the tests that
cover that file; a mutant the tests let pass "survives".  The file is put back
byte for byte after each mutant (also on Ctrl-C), so run it on a clean
worktree and do not edit while it runs.

Why a script rather than mutmut: mutmut rewrites the package into a
``mutants/`` copy, which does not fit this project's package_dir mapping
(``tongchou`` = ``core/``); these few operators are the ones an independent
review found survivors for.  Tokens inside strings, comments and docstrings
are never touched (the tokenizer skips them).
"""
from __future__ import annotations

import argparse
import glob
import io
import json
import random
import signal
import subprocess
import sys
import time
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = ("plugins/xichuan/*.py", "core/auth.py", "core/audit.py")
SWAP = {">": ">=", ">=": ">", "<": "<=", "<=": "<", "==": "!=", "!=": "==",
        "and": "or", "or": "and", "True": "False", "False": "True"}
# The tests that cover each file (pytest runs them with -x); xichuan's rules are
# also checked by the scenario files.
TESTS = {
    "plugins/xichuan/": ["tests/test_rule_boundaries.py", "tests/test_teeth.py"],
    "core/auth.py": ["tests/test_teeth.py", "tests/test_ledger.py", "tests/test_parties.py",
                     "tests/test_lockout.py"],
    "core/audit.py": ["tests/test_audit.py", "tests/test_documents_backup.py"],
}
SKIP_FILES = {"__init__.py", "demo_data.py"}  # demo data is not a rule


def mutants(path: Path) -> list[tuple[int, int, str, str]]:
    """(line, column, original, replacement) for every mutable token of ``path``."""
    out = []
    text = path.read_text(encoding="utf-8")
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        line = tok.line.strip()
        if line.startswith(("import ", "from ", "@")):
            continue
        if tok.type in (tokenize.OP, tokenize.NAME) and tok.string in SWAP:
            out.append((tok.start[0], tok.start[1], tok.string, SWAP[tok.string]))
        elif tok.type == tokenize.NUMBER and tok.string.isdigit():
            out.append((tok.start[0], tok.start[1], tok.string, str(int(tok.string) + 1)))
    return out


def apply(text: str, line: int, col: int, old: str, new: str) -> str:
    lines = text.splitlines(keepends=True)
    target = lines[line - 1]
    assert target[col:col + len(old)] == old, (line, col, old)
    lines[line - 1] = target[:col] + new + target[col + len(old):]
    return "".join(lines)


def tests_for(rel: str) -> list[str]:
    return next(tests for prefix, tests in TESTS.items() if rel.startswith(prefix))


def run_tests(rel: str, timeout: int) -> bool:
    """True when the tests fail (the mutant is killed)."""
    python = sys.executable
    cmd = [python, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-m", "not postgres and not browser",
           *tests_for(rel)]
    try:
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return True  # a mutant that hangs the tests is noticed too
    if done.returncode != 0:
        return True
    if rel.startswith("plugins/xichuan/"):
        scen = subprocess.run([python, "-m", "tongchou", "scenario", "run", "tests/scenarios"], cwd=ROOT,
                              capture_output=True, timeout=timeout)
        return scen.returncode != 0
    return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.mutate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", nargs="*", default=list(DEFAULT_FILES), help="globs relative to the repository")
    ap.add_argument("--sample", type=int, default=30, help="how many mutants to try (0 = all)")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--timeout", type=int, default=600, help="seconds per test run")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    # a kill (SIGTERM) unwinds like Ctrl-C, so the mutated file is put back
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    files = sorted({Path(p) for g in args.files for p in glob.glob(str(ROOT / g))
                    if Path(p).name not in SKIP_FILES})
    pool = [(f, *m) for f in files for m in mutants(f)]
    random.Random(args.seed).shuffle(pool)
    chosen = pool if args.sample == 0 else pool[:args.sample]
    results = []
    started = time.monotonic()
    for path, line, col, old, new in chosen:
        rel = str(path.relative_to(ROOT))
        original = path.read_bytes()
        try:
            path.write_text(apply(original.decode("utf-8"), line, col, old, new), encoding="utf-8")
            killed = run_tests(rel, args.timeout)
        finally:
            path.write_bytes(original)
        results.append({"file": rel, "line": line, "from": old, "to": new, "killed": killed})
        if not args.json:
            print(f"{'killed  ' if killed else 'SURVIVED'} {rel}:{line}  {old} -> {new}", flush=True)
    survived = [r for r in results if not r["killed"]]
    summary = {"mutants": len(results), "of": len(pool), "survived": len(survived),
               "survival_rate": round(len(survived) / len(results), 3) if results else 0.0,
               "seconds": round(time.monotonic() - started), "survivors": survived}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(f"{len(results)} mutants (of {len(pool)}), {len(survived)} survived "
              f"({summary['survival_rate']:.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
