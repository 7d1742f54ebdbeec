"""``tongchou plugin new NAME`` writes a pack that installs and passes its own
tests and scenarios at once.

The pack is installed with ``pip install -e`` into a throw-away virtual
environment layered over the one running the suite (a ``.pth`` file adds its
site-packages), so Tongchou is importable there and nothing is installed into
the project's own environment.
"""
from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tongchou import cli
from tongchou.plugin_commands import scaffold_files

ROOT = Path(__file__).resolve().parent.parent


def _layered_venv(where: Path) -> Path:
    """A venv whose python also sees this environment's packages; returns its python."""
    venv.EnvBuilder(with_pip=False).create(where)
    py = where / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    bases = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib) / "_tongchou_base.pth").write_text(
        "".join(f"import site; site.addsitedir({p!r})\n" for p in bases), encoding="utf-8")
    return py


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TONGCHOU_") and k != "PYTHONPATH"}


def test_a_new_pack_installs_and_passes_its_tests_and_scenarios(tmp_path, capsys):
    target = tmp_path / "lanshui"
    assert cli.main(["plugin", "new", "lanshui", "--dir", str(target), "--title", "澜水县",
                     "--document", "澜政办〔2026〕3号"]) == 0
    out = capsys.readouterr().out
    assert "pack 'lanshui' written to" in out and "pip install -e" in out
    files = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert files == ["README.md", "pyproject.toml", "scenarios/lanshui.yaml", "tests/test_lanshui.py",
                     "tongchou_lanshui/__init__.py", "tongchou_lanshui/parameters/minimum_estimate.yaml",
                     "tongchou_lanshui/rules.py"]
    assert 'lanshui = "tongchou_lanshui:PACK"' in (target / "pyproject.toml").read_text(encoding="utf-8")

    py = _layered_venv(tmp_path / "venv")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps",
                           "--no-build-isolation", "-e", str(target)],
                          capture_output=True, text=True, timeout=180, env=_env())
    assert done.returncode == 0, done.stdout + done.stderr
    tests = subprocess.run([str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=target,
                           capture_output=True, text=True, timeout=180, env=_env())
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "4 passed" in tests.stdout
    scen = subprocess.run([str(py), "-m", "tongchou", "scenario", "run", "scenarios"], cwd=target,
                          capture_output=True, text=True, timeout=180, env=_env())
    assert scen.returncode == 0 and scen.stdout.strip().endswith("3 passed, 0 failed"), scen.stdout + scen.stderr
    # the refusal a county author sees cites its own measures, also for the reused Xichuan rule
    check = subprocess.run([str(py), "-c", (
        "from tongchou.packs import load_jurisdiction; r = load_jurisdiction('lanshui').registry; "
        "print(r.guards['xichuan.approval.deadline'].citation.label, '|', "
        "r.guards['lanshui.rules.minimum_estimate'].citation.label)")],
        capture_output=True, text=True, timeout=60, env=_env())
    assert check.stdout.strip() == "澜政办〔2026〕3号 第三条 | 澜政办〔2026〕3号 第二条", check.stderr
    # the environment running the suite was not touched
    from importlib.metadata import entry_points
    assert "lanshui" not in {ep.name for ep in entry_points(group="tongchou")}


def test_plugins_new_is_the_same_command(tmp_path, capsys):
    assert cli.main(["plugins", "new", "hexi", "--dir", str(tmp_path / "hexi")]) == 0
    text = (tmp_path / "hexi" / "tongchou_hexi" / "rules.py").read_text(encoding="utf-8")
    assert 'DOCUMENT = "hexi〔' in text and "${" not in text


@pytest.mark.parametrize("name", ["X", "1abc", "a", "my-pack", "class", "xichuan"])
def test_a_bad_name_is_refused_and_nothing_is_written(tmp_path, capsys, name):
    assert cli.main(["plugin", "new", name, "--dir", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.startswith("error: pack name")
    assert not (tmp_path / "out").exists()


def test_a_non_empty_directory_is_left_alone(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    assert cli.main(["plugin", "new", "hexi", "--dir", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_every_template_is_package_data():
    """setup.cfg's globs reach every template, so an installed Tongchou scaffolds too."""
    cfg = (ROOT / "setup.cfg").read_text(encoding="utf-8")
    line = next(l for l in cfg.splitlines() if l.startswith("tongchou = scaffold/"))
    globs = [g.strip() for g in line.split("=", 1)[1].split(",")]
    templates = [p.relative_to(ROOT / "core") for p in (ROOT / "core" / "scaffold").rglob("*.tmpl")]
    assert templates and all(any(t.match(g) and len(t.parts) == len(Path(g).parts) for g in globs)
                             for t in templates)
    files = scaffold_files({"name": "n1", "module": "tongchou_n1", "dist": "tongchou-n1", "title": "县",
                            "document": "文〔2026〕1号", "extends": "xichuan"})
    assert len(files) == len(templates)
