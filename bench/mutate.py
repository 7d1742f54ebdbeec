"""A small mutation run: do the tests notice when the rules or the security
code are subtly wrong?

``python -m bench.mutate [--sample N] [--seed S] [--files GLOB ...] [--jobs J] [--budget S]
[--map FILE] [--add-tests T ...] [--log FILE] [--resume] [--rerun FILE] [--json]``

A typical run (docs/security.md): a first pass with ``--budget 10 --map M --log L``,
then ``--rerun L`` with a larger budget and ``--add-tests`` for the tests written since.

Each mutant changes one token of one file — a comparison (``>`` to ``>=``,
``==`` to ``!=`` ...), a boolean operator (``and`` to ``or``), a boolean
constant, or a whole number (``n`` to ``n + 1``) — then runs the tests that
reach that line; a mutant the tests let pass "survives".

How it stays fast and safe:

- Mutants are written into a copy of the tree in a temporary folder (one per
  job), never into the checkout, so an interrupted run leaves nothing behind
  and the checkout can be edited meanwhile.
- One coverage run first records which tests execute which lines
  (:mod:`bench.mutate_cover`); each mutant then runs only those tests
  (``pytest -x -q -p no:cacheprovider``), fastest first.  A line no test reaches
  is a survivor without a run ("uncovered").  Every reached line also gets the
  file's own tests (its articles' scenario cases and the declaration tests):
  the rule registry is built once per process, so only its first user records
  the declaration lines.
- A mutant whose tests run past ``--timeout`` (or 90 s + 5x their recorded
  time) counts as killed: a hang is noticed.  ``--rerun`` runs timeouts again
  too (on a busy machine a slow start-up can pass for a hang).

Why a script rather than mutmut: mutmut rewrites the package into a
``mutants/`` copy, which does not fit this project's package_dir mapping
(``tongchou`` = ``core/``).  Tokens inside strings, comments and docstrings are
never touched (the tokenizer skips them); numbers that only shape output
(``indent=``, ``stacklevel=``) or a sort position (``order=``, where +1 keeps
the order) are skipped as equivalent by construction.
"""
from __future__ import annotations

import argparse
import ast
import glob
import io
import json
import os
import queue
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tokenize
from pathlib import Path

from bench.mutate_cover import INCLUDE_ENV, MAP_ENV, copy_tree

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = ("plugins/xichuan/*.py", "core/auth.py", "core/audit.py")
SWAP = {">": ">=", ">=": ">", "<": "<=", "<=": "<", "==": "!=", "!=": "==",
        "and": "or", "or": "and", "True": "False", "False": "True"}
# The tests that may cover each file; each mutant runs the subset that reaches its line.
TESTS = {
    "plugins/xichuan/": ["tests/test_teeth.py", "tests/test_rule_boundaries.py", "tests/test_rule_codes.py",
                         "tests/test_official.py", "tests/test_duplicates.py", "tests/test_sweep.py",
                         "tests/test_todo.py", "tests/test_citation_dates_values.py", "tests/test_scenarios.py",
                         "tests/test_declarations.py", "tests/test_duplicates_quality.py", "tests/test_field_index.py"],
    "core/auth.py": ["tests/test_teeth.py", "tests/test_ledger.py", "tests/test_parties.py",
                     "tests/test_lockout.py"],
    "core/audit.py": ["tests/test_teeth.py", "tests/test_audit.py", "tests/test_tamper.py", "tests/test_restore.py",
                      "tests/test_documents_backup.py"],
}
MARKS = "not postgres and not browser"
SKIP_FILES = {"__init__.py", "demo_data.py"}  # demo data is not a rule
# keyword arguments whose number only shapes output or a sort position
SKIP_KEYWORDS = {"indent", "stacklevel", "order"}


def _statements(tree: ast.AST):
    """(first, last header line, module level) of every statement."""
    def walk(node, top):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                body = getattr(child, "body", None)
                last = body[0].lineno - 1 if isinstance(body, list) and body and hasattr(body[0], "lineno") \
                    else child.end_lineno
                last = max(last, child.lineno)
                yield child.lineno, last, top
                yield from walk(child, top and isinstance(child, ast.ClassDef))
            else:
                yield from walk(child, top)
    yield from walk(tree, True)


def mutants(path: Path) -> list[dict]:
    """Every mutable token of ``path``: line, column, from, to, the lines of its
    statement (for test selection) and whether it runs at import."""
    text = path.read_text(encoding="utf-8")
    spans = sorted(_statements(ast.parse(text)), key=lambda s: (s[1] - s[0], -s[0]))
    toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    out = []
    for i, tok in enumerate(toks):
        line = tok.line.strip()
        if line.startswith(("import ", "from ", "@", "__version__")):
            continue
        if tok.type in (tokenize.OP, tokenize.NAME) and tok.string in SWAP:
            new = SWAP[tok.string]
        elif tok.type == tokenize.NUMBER and tok.string.isdigit():
            if i >= 2 and toks[i - 1].string == "=" and toks[i - 2].string in SKIP_KEYWORDS:
                continue
            new = str(int(tok.string) + 1)
        else:
            continue
        row = tok.start[0]
        first, last, top = next(((a, b, t) for a, b, t in spans if a <= row <= b), (row, row, True))
        out.append({"file": str(path.relative_to(ROOT)), "line": row, "col": tok.start[1],
                    "from": tok.string, "to": new, "lines": list(range(first, last + 1)), "import_time": top})
    return out


def apply(text: str, line: int, col: int, old: str, new: str) -> str:
    lines = text.splitlines(keepends=True)
    target = lines[line - 1]
    assert target[col:col + len(old)] == old, (line, col, old)
    lines[line - 1] = target[:col] + new + target[col + len(old):]
    return "".join(lines)


def tests_for(rel: str) -> list[str]:
    return next(tests for prefix, tests in TESTS.items() if rel.startswith(prefix))


def key(m: dict) -> str:
    return f"{m['file']}:{m['line']}:{m['col']}:{m['from']}>{m['to']}"


def pytest_cmd(tests: list[str]) -> list[str]:
    # the browser and xdist plugins are not needed here and cost a second of start-up each run
    return [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
            "-p", "no:playwright", "-p", "no:xdist", "-m", MARKS, *tests]


def build_map(tree: Path, env: dict, files: list[str], out: Path, tests: list[str] | None = None) -> dict:
    """One coverage run of every candidate test (or of ``tests``) on the unmutated copy."""
    tests = tests or sorted({t for f in files for t in tests_for(f)})
    menv = dict(env, **{MAP_ENV: str(out), INCLUDE_ENV: os.pathsep.join(str(tree / f) for f in files)})
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "bench.mutate_cover",
           "-m", MARKS, *tests]
    done = subprocess.run(cmd, cwd=tree, env=menv, capture_output=True, text=True)
    if not out.exists():
        sys.exit(f"coverage run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    data = json.loads(out.read_text(encoding="utf-8"))
    lines = {str(Path(p).relative_to(tree)): {int(n): c for n, c in v.items()} for p, v in data["lines"].items()}
    return {"lines": lines, "seconds": data["seconds"], "failed": set(data["failed"])}


# Fast tests that read the rule declarations (actions, guards, citations) a
# registry is built from; the registry is built once per process, so the map
# names only its first user for those lines.
DECLARATIONS = {
    "plugins/xichuan/": ["tests/test_teeth.py", "tests/test_declarations.py", "tests/test_rule_codes.py",
                         "tests/test_citation_dates_values.py", "tests/test_rule_boundaries.py",
                         "tests/test_field_index.py"],
    "core/auth.py": ["tests/test_teeth.py", "tests/test_parties.py"],
    "core/audit.py": ["tests/test_teeth.py", "tests/test_audit.py", "tests/test_tamper.py"],
}


def _articles(rel: str) -> set[int]:
    """The articles a plugin module implements (its ``ARTICLES``), to pick its scenario files."""
    for node in ast.parse((ROOT / rel).read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "ARTICLES" for t in node.targets):
            return {int(n) for n in ast.literal_eval(node.value)}
    return set()


def _declaration_suite(rel: str, everything: list[str]) -> set[str]:
    files = next(v for k, v in DECLARATIONS.items() if rel.startswith(k))
    arts = _articles(rel) if rel.startswith("plugins/") else set()
    out = set()
    for t in everything:
        name, _, param = t.partition("::")
        if name in files:
            out.add(t)
        elif name.endswith("test_scenarios.py") and "[" in param:
            prefix = param.split("[", 1)[1].split("_", 1)[0]
            if prefix.isdigit() and int(prefix) in arts:
                out.add(t)
    return out


def select(m: dict, cmap: dict) -> tuple[list[str] | None, bool]:
    """The tests to run for ``m`` (None: no test reaches it) and whether the
    file's declaration suite was added.  A line run at import, or reached by
    only one or two tests (the registry is built once per process), also gets
    the declaration suite; with ``import_time`` forced, every test of the file."""
    everything = [t for t in cmap["seconds"] if t.split("::")[0] in tests_for(m["file"])
                  and t not in cmap["failed"]]
    if m.get("whole"):
        return sorted(everything, key=lambda t: cmap["seconds"][t]), True
    contexts = {c for n in m["lines"] for c in cmap["lines"].get(m["file"], {}).get(n, [])}
    ids = {c.rsplit("|", 1)[0] for c in contexts if "|" in c} & set(everything)
    wide = m["import_time"] or len(ids) <= 2
    # the tests written for this file's articles and declarations run for every
    # reached line: the registry is built once per process, so the map cannot
    # tell which of them read a declaration
    own = _declaration_suite(m["file"], everything)
    if contexts or m["import_time"]:
        ids |= own
    if not ids:
        return None, False
    newer = cmap.get("newer", set())   # tests written after --old-map run last: what they alone kill shows
    ordered = sorted(ids, key=lambda t: (t in newer, t not in own, cmap["seconds"][t]))
    budget = m.get("budget")
    if budget:
        kept, spent = [], 0.0
        for t in ordered:
            if t not in newer and kept and spent + cmap["seconds"][t] > budget:
                continue                 # over budget: the newer tests still run
            kept.append(t)
            spent += cmap["seconds"][t]
        ordered = kept
    return ordered, wide


def run_mutant(m: dict, tree: Path, env: dict, cmap: dict, timeout: int, full: bool = False,
               budget: float = 0) -> dict:
    tests, whole = select(dict(m, budget=budget), cmap)
    if full:
        tests, whole = select(dict(m, whole=True), cmap)
    res = dict({k: m[k] for k in ("file", "line", "col", "from", "to")}, key=key(m))
    if tests is None:
        return dict(res, status="uncovered", tests=0, seconds=0.0)
    path = tree / m["file"]
    original = path.read_bytes()
    limit = min(timeout, 90 + 5 * sum(cmap["seconds"][t] for t in tests))
    started = time.monotonic()
    try:
        path.write_text(apply(original.decode("utf-8"), m["line"], m["col"], m["from"], m["to"]), encoding="utf-8")
        try:
            done = subprocess.run(pytest_cmd(tests), cwd=tree, env=env, capture_output=True, text=True,
                                  timeout=limit)
            status = "killed" if done.returncode != 0 else "survived"
            failed = next((ln.split(" ", 1)[1].split(" - ")[0] for ln in done.stdout.splitlines()
                           if ln.startswith(("FAILED ", "ERROR "))), None)
        except subprocess.TimeoutExpired:
            status, failed = "timeout", None
    finally:
        path.write_bytes(original)
    return dict(res, status=status, tests=len(tests), whole=whole, by=failed, budget=budget,
                seconds=round(time.monotonic() - started, 1))


def summarise(results: list[dict], pool: int) -> dict:
    survived = [r for r in results if r["status"] in ("survived", "uncovered")]
    return {"mutants": len(results), "of": pool,
            "killed": sum(r["status"] == "killed" for r in results),
            "timeout": sum(r["status"] == "timeout" for r in results),
            "survived": len(survived),
            "uncovered": sum(r["status"] == "uncovered" for r in results),
            "survival_rate": round(len(survived) / len(results), 3) if results else 0.0,
            "survivors": sorted(survived, key=lambda r: (r["file"], r["line"], r["col"]))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.mutate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", nargs="*", default=list(DEFAULT_FILES), help="globs relative to the repository")
    ap.add_argument("--sample", type=int, default=0, help="how many mutants to try, chosen at random (0 = all)")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--jobs", type=int, default=1, help="mutants run at once, each in its own copy of the tree")
    ap.add_argument("--timeout", type=int, default=900, help="most seconds for one mutant's tests")
    ap.add_argument("--log", type=Path, help="append each result as a JSON line (outside the repository)")
    ap.add_argument("--resume", action="store_true", help="skip mutants already in --log")
    ap.add_argument("--rerun", type=Path, help="run again the survivors recorded in this log")
    ap.add_argument("--budget", type=float, default=0,
                    help="first pass: at most this many recorded test-seconds per mutant (0 = every test that "
                         "reaches the line); re-run the survivors without it (--rerun LOG)")
    ap.add_argument("--map", type=Path, help="coverage map to reuse (or to write, when it does not exist)")
    ap.add_argument("--old-map", type=Path, help="an earlier map: tests not in it run last (--rerun reports "
                                                   "which mutants only the new tests kill)")
    ap.add_argument("--add-tests", nargs="*", default=[], help="test files to (re)measure into --map")
    ap.add_argument("--full", action="store_true", help="run the file's whole test set for every mutant")
    ap.add_argument("--list", action="store_true", help="print the mutants and stop")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    files = sorted({str(Path(p).relative_to(ROOT)) for g in args.files for p in glob.glob(str(ROOT / g))
                    if Path(p).name not in SKIP_FILES})
    pool = [m for f in files for m in mutants(ROOT / f)]
    if args.rerun:
        again = {r["key"] for r in map(json.loads, args.rerun.read_text(encoding="utf-8").splitlines())
                 if r["status"] in ("survived", "uncovered", "timeout")}
        chosen = [m for m in pool if key(m) in again]
    else:
        random.Random(args.seed).shuffle(pool)
        chosen = pool if args.sample == 0 else pool[:args.sample]
    if args.list:
        for m in chosen:
            print(key(m))
        return 0
    done: list[dict] = []
    if args.resume and args.log and args.log.exists():
        done = [json.loads(x) for x in args.log.read_text(encoding="utf-8").splitlines() if x.strip()]
        seen = {r["key"] for r in done}
        chosen = [m for m in chosen if key(m) not in seen]
    workdir = Path(tempfile.mkdtemp(prefix="tongchou-mutate-"))
    started = time.monotonic()
    try:
        trees = queue.Queue()
        for j in range(max(1, args.jobs)):
            trees.put(copy_tree(ROOT, workdir, f"job{j}"))
        tree0, env0 = trees.queue[0]
        if args.map and args.map.exists():
            raw = json.loads(args.map.read_text(encoding="utf-8"))
            cmap = {"lines": {f: {int(n): c for n, c in v.items()} for f, v in raw["lines"].items()},
                    "seconds": raw["seconds"], "failed": set(raw["failed"])}
            if args.add_tests:   # tests written since the map: measure them and put them in
                extra = build_map(tree0, env0, files, workdir / "extra.json", args.add_tests)
                stale = lambda c: c.split("::")[0] in args.add_tests  # noqa: E731
                for f, lines in extra["lines"].items():
                    old = cmap["lines"].setdefault(f, {})
                    for n in set(old) | set(lines):
                        old[n] = sorted({c for c in old.get(n, []) if not stale(c)} | set(lines.get(n, [])))
                cmap["seconds"] = {t: s for t, s in cmap["seconds"].items() if not stale(t)} | extra["seconds"]
                cmap["failed"] = {t for t in cmap["failed"] if not stale(t)} | extra["failed"]
                args.map.write_text(json.dumps(dict(cmap, failed=sorted(cmap["failed"]))), encoding="utf-8")
        else:
            cmap = build_map(tree0, env0, files, workdir / "map.json")
            if args.map:
                args.map.write_text(json.dumps(dict(cmap, failed=sorted(cmap["failed"]))), encoding="utf-8")
        if args.old_map:
            old = json.loads(args.old_map.read_text(encoding="utf-8"))["seconds"]
            cmap["newer"] = {t for t in cmap["seconds"] if t not in old}
        if not args.json:
            print(f"coverage map: {len(cmap['seconds'])} tests in {round(time.monotonic() - started)} s"
                  + (f", failing before any mutant (left out): {sorted(cmap['failed'])}" if cmap["failed"] else ""),
                  flush=True)
        results: list[dict] = list(done)
        lock = threading.Lock()
        todo = queue.Queue()
        for m in chosen:
            todo.put(m)

        def worker():
            tree, env = trees.get()
            while True:
                try:
                    m = todo.get_nowait()
                except queue.Empty:
                    return
                r = run_mutant(m, tree, env, cmap, args.timeout, args.full, args.budget)
                with lock:
                    results.append(r)
                    if args.log:
                        with args.log.open("a", encoding="utf-8") as fh:
                            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
                    if not args.json:
                        print(f"{r['status']:9} {r['file']}:{r['line']}:{r['col']}  {r['from']} -> {r['to']}"
                              f"  ({r['tests']} tests, {r['seconds']} s{', by ' + r['by'] if r.get('by') else ''})",
                              flush=True)

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(trees.qsize())]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    summary = summarise(results, len(pool))
    summary["seconds"] = round(time.monotonic() - started)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(f"{summary['mutants']} mutants (of {len(pool)}): {summary['killed']} killed, "
              f"{summary['timeout']} by timeout, {summary['survived']} survived "
              f"({summary['uncovered']} reached by no test): {summary['survival_rate']:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
