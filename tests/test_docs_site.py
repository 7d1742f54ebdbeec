"""The documentation site builds (``mkdocs build --strict``: no broken link,
no page left out of the navigation, no missing image) and its generated parts
are up to date with the code: docs/cli.md with the argparse parser, the hook
reference in docs/plugins.md with core/hookspecs.py."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _gen_docs():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _nav_files(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [f for v in node.values() for f in _nav_files(v)]
    return [f for item in node for f in _nav_files(item)]


def test_the_site_builds_strictly(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(tmp_path / "site")], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    site = tmp_path / "site"
    for page in ("index.html", "cli/index.html", "plugins/index.html", "admin-guide/index.html",
                 "staff-guide/index.html"):
        assert (site / page).is_file(), page
    assert (site / "screenshots" / "project.png").is_file()
    plugins = (site / "plugins" / "index.html").read_text(encoding="utf-8")
    assert 'id="tongchou_citation_maps"' in plugins and "示例市" in plugins


def test_every_page_is_in_the_navigation_and_exists():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = _nav_files(config["nav"])
    pages = sorted(str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md"))
    assert sorted(nav) == pages


def test_generated_docs_are_up_to_date():
    gen = _gen_docs()
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == gen.cli_markdown(), \
        "docs/cli.md is out of date: run python scripts/gen_docs.py"
    current = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert current == gen.plugins_markdown(current), \
        "the hook reference in docs/plugins.md is out of date: run python scripts/gen_docs.py"
    assert _run_check() == 0


def _run_check() -> int:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--check"],
                          capture_output=True, text=True, timeout=120).returncode


def test_the_cli_reference_covers_every_command():
    from tongchou.cli import build_parser
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    gen = _gen_docs()
    for name, _help, sub in gen._subcommands(build_parser()):
        assert f"## tongchou {name}\n" in text
        for sub_name, _h, _p in gen._subcommands(sub):
            assert f"### tongchou {name} {sub_name}\n" in text
    assert "### tongchou plugin new\n" in text and "### tongchou plugins new\n" in text


def test_the_hook_reference_is_generated_from_every_hookspec_docstring():
    from tongchou import hookspecs
    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    begin, end = text.index("<!-- BEGIN GENERATED"), text.index("<!-- END GENERATED")
    reference = text[begin:end]
    names = [n for n in dir(hookspecs) if n.startswith("tongchou_")]
    for name in names:
        assert f"\n### {name}\n" in reference
        first = (getattr(hookspecs, name).__doc__ or "").strip().splitlines()[0]
        assert re.sub(r"``([^`]+)``", r"`\1`", first) in reference  # its docstring, not a copy
    assert "**firstresult**" in reference  # tongchou_seed_demo
    # the hand-written guide around it is kept
    assert "## 10. A whole jurisdiction, step by step" in text[:begin]
    assert "## Hook examples" in text[end:]
