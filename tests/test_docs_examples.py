"""The worked examples of docs/plugins.md section 6 stay true: the page's
``# tongchou_lanshui/...``, ``# scenarios/...`` and ``# tests/...`` blocks are
written into a pack made by ``tongchou plugin new``, installed under a real
entry point, and its scenarios and the documents test are run."""
from __future__ import annotations

import importlib.util
import re
import sys
import warnings
from pathlib import Path

import pytest

from tongchou import cli
from tongchou.packs import discover, load_jurisdiction
from tongchou.scenario import run_paths

ROOT = Path(__file__).resolve().parent.parent
FILE_BLOCK = re.compile(r"```(?:python|yaml)\n# ((?:tongchou_lanshui|scenarios|tests)/\S+|compat\.py)\n(.*?)```", re.S)


def doc_files() -> dict[str, str]:
    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    return {m.group(1): f"# {m.group(1)}\n{m.group(2)}" for m in FILE_BLOCK.finditer(text)}


def _forget_pack() -> None:
    for name in [n for n in sys.modules if n == "tongchou_lanshui" or n.startswith("tongchou_lanshui.")]:
        del sys.modules[name]


@pytest.fixture
def docs_pack(tmp_path, monkeypatch, capsys):
    """The scaffold plus every file the page shows, installed as ``lanshui``."""
    pack = tmp_path / "lanshui"
    assert cli.main(["plugin", "new", "lanshui", "--dir", str(pack), "--title", "澜水县",
                     "--document", "澜政办〔2026〕3号"]) == 0
    capsys.readouterr()
    files = doc_files()
    for rel, body in files.items():
        target = (tmp_path if rel == "compat.py" else pack) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    info = tmp_path / "tongchou_lanshui-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tongchou-lanshui\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[tongchou]\nlanshui = tongchou_lanshui:PACK\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(pack))
    _forget_pack()
    yield pack, files
    _forget_pack()


def test_the_page_shows_every_module_of_its_pack():
    files = doc_files()
    for module in ("common", "quota", "builder", "review", "fields", "filing", "acceptance",
                   "paperwork", "__init__"):
        assert f"tongchou_lanshui/{module}.py" in files, module
    for scenario in ("quota", "builder", "versions", "filing"):
        assert f"scenarios/{scenario}.yaml" in files, scenario


def test_the_worked_examples_pass_their_scenarios(docs_pack):
    pack, _files = docs_pack
    jur = load_jurisdiction("lanshui", found=discover())
    assert [v.name for v in jur.pack.versions] == ["2026", "2027"]
    lines: list[str] = []
    passed, failed = run_paths([pack / "scenarios"], emit=lines.append)
    assert failed == 0, "\n".join(lines)
    assert passed == 10 and lines[-1] == "10 passed, 0 failed"


def test_the_documents_example_refuses_until_the_form_is_uploaded(docs_pack, tmp_path):
    pack, _files = docs_pack
    spec = importlib.util.spec_from_file_location("docs_paperwork_test", pack / "tests" / "test_paperwork.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    store = tmp_path / "documents"
    store.mkdir()
    module.test_apply_needs_the_application_form(store)


def test_the_compatibility_example_warns_once(docs_pack, tmp_path, capsys, monkeypatch):
    from tongchou.plugins.xichuan import common
    monkeypatch.setattr(common, "_WARNED", set())  # once per process: another test may have warned
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the example sets its own filter inside
        exec(compile((tmp_path / "compat.py").read_text(encoding="utf-8"), "compat.py", "exec"), {})
    out = capsys.readouterr().out
    assert out.count("is deprecated") == 1 and "tongchou_obligation_rules()" in out
