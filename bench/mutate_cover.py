"""Which tests run which lines: the coverage map a mutation run selects tests by,
and the copy of the tree the mutants are written into.

Loaded into pytest as a plugin (``-p bench.mutate_cover``) when
``TONGCHOU_MUTATE_MAP`` names the output file: coverage.py records the lines of
the files in ``TONGCHOU_MUTATE_INCLUDE`` under a context per test phase
(``NODEID|setup``, ``NODEID|call``), and the plugin writes
``{"lines": {file: {line: [context, ...]}}, "seconds": {nodeid: s}, "failed": [...]}``.

Why coverage.py: a mutant on a line no selected test executes cannot be
killed, so running only the tests that reach its line gives the same verdict
in a fraction of the time (a whole-file run of the xichuan tests is ~90 s here).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

MAP_ENV, INCLUDE_ENV = "TONGCHOU_MUTATE_MAP", "TONGCHOU_MUTATE_INCLUDE"
SUB_ENV, CONTEXT_ENV = "TONGCHOU_MUTATE_SUBDIR", "TONGCHOU_MUTATE_CONTEXT"
# never copied: version control, environments, build output and caches
IGNORE = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".hypothesis", "site", "*.egg-info",
                                ".pytest_cache", "node_modules")
SHIM = '''"""Written by bench.mutate: import the package from this copy of the tree.
The editable install maps ``tongchou`` to the original checkout; this points
it at the copy the mutants are written into (the original is never touched)."""
import sys
for _name, _mod in list(sys.modules.items()):
    if _name.startswith("__editable__") and isinstance(getattr(_mod, "MAPPING", None), dict):
        for _key, _path in list(_mod.MAPPING.items()):
            if _path.startswith({src!r}):
                _mod.MAPPING[_key] = {dst!r} + _path[len({src!r}):]
# during the coverage run, a Python subprocess a test starts is measured too,
# under the context of the test that started it
import os
if os.environ.get("TONGCHOU_MUTATE_SUBDIR"):
    import atexit, coverage
    _cov = coverage.Coverage(data_file=os.path.join(os.environ["TONGCHOU_MUTATE_SUBDIR"], "sub"),
                             data_suffix=True, config_file=False,
                             include=os.environ["TONGCHOU_MUTATE_INCLUDE"].split(os.pathsep))
    _cov.start()
    _cov.switch_context(os.environ.get("TONGCHOU_MUTATE_CONTEXT", ""))
    atexit.register(lambda: (_cov.stop(), _cov.save()))
'''


def copy_tree(root: Path, workdir: Path, name: str) -> tuple[Path, dict[str, str]]:
    """A copy of ``root`` under ``workdir/name`` and the environment that makes
    Python (and every subprocess the tests start) import ``tongchou`` from it."""
    tree = workdir / name / "tree"
    shutil.copytree(root, tree, ignore=IGNORE, symlinks=True)
    shared = root.parent / "shared"          # the policy texts sit beside the checkout
    if shared.exists() and not (tree.parent / "shared").exists():
        (tree.parent / "shared").symlink_to(shared)
    shim = workdir / name / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(SHIM.format(src=str(root), dst=str(tree)), encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(shim), str(tree)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.pop(MAP_ENV, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"     # a stale .pyc must never stand in for a mutant
    return tree, env


class _Recorder:
    def __init__(self, out: str, include: list[str]):
        import coverage
        self.out = out
        self.cov = coverage.Coverage(data_file=None, include=include, branch=False, config_file=False)
        self.seconds: dict[str, float] = {}
        self.failed: set[str] = set()
        self.subdir = Path(out).parent / "sub"
        self.subdir.mkdir(exist_ok=True)
        os.environ[SUB_ENV] = str(self.subdir)
        self.cov.start()

    def _switch(self, context: str) -> None:
        self.cov.switch_context(context)
        os.environ[CONTEXT_ENV] = context

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        self._switch(item.nodeid + "|setup")
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        self._switch(item.nodeid + "|call")
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item):
        self._switch(item.nodeid + "|teardown")
        yield
        self._switch("")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        started = time.perf_counter()
        yield
        self.seconds[item.nodeid] = round(time.perf_counter() - started, 3)

    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.failed.add(report.nodeid)

    def pytest_sessionfinish(self, session):
        self.cov.stop()
        from coverage import CoverageData
        lines: dict[str, dict[int, set[str]]] = {}
        datas = [self.cov.get_data()]
        for f in sorted(self.subdir.glob("sub.*")):
            sub = CoverageData(basename=str(f))
            sub.read()
            datas.append(sub)
        for data in datas:
            for path in data.measured_files():
                for n, c in data.contexts_by_lineno(path).items():
                    lines.setdefault(path, {}).setdefault(int(n), set()).update(c)
        lines = {p: {n: sorted(c) for n, c in v.items()} for p, v in lines.items()}
        Path(self.out).write_text(json.dumps({"lines": lines, "seconds": self.seconds,
                                              "failed": sorted(self.failed)}), encoding="utf-8")


def pytest_configure(config):
    out = os.environ.get(MAP_ENV)
    if out:
        include = [p for p in os.environ.get(INCLUDE_ENV, "").split(os.pathsep) if p]
        config.pluginmanager.register(_Recorder(out, include), "tongchou-mutate-recorder")


if __name__ == "__main__":  # pragma: no cover - a plugin, not a program
    sys.exit("use: python -m bench.mutate")
