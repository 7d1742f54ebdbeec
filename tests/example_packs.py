"""Installing an example pack of examples/ as its own distribution, for
tests/test_shili.py and tests/test_wangchuan.py.

The pack is installed with ``pip install --no-deps --target`` into a
throw-away folder put on PYTHONPATH, from a copy of its source: the same wheel
a county would install, seen by importlib.metadata through the folder's
dist-info, without building anything in the repository or touching the
environment the rest of the suite runs in.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pack_env(site: Path) -> dict[str, str]:
    """The environment of a process that sees the installed pack (and no
    TONGCHOU_* settings of the test run)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGCHOU_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def run_python(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def install_example(name: str, base: Path) -> tuple[Path, Path]:
    """Install ``examples/<name>`` under ``base``: (site folder, copy of its source)."""
    src, site = base / "src", base / "site"
    shutil.copytree(ROOT / "examples" / name, src, symlinks=False,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--target", str(site), str(src)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return site, src
