"""What the scenario-runner tests share: the documents' names, a late
project, 示例市's pack and running one case from YAML text."""
from __future__ import annotations

import sys
from pathlib import Path

from tongchou import Pack
from tongchou.packs import Discovered, discover
from tongchou.scenario import Loader, Runner, ScenarioError

ROOT = Path(__file__).resolve().parent.parent
XI = "淅政办〔2025〕6号"
SHI = "示政办〔2026〕3号"
DIMS = "[necessity, scale, technology, security, intensiveness]"
LATE = ("project: {name: 智慧城管平台, unit: 县城市管理局, year: 2026, category: purchased_service, "
        "kind: information_system, source: unit_application}")


def shili_pack() -> Pack:
    """示例市's pack, from the repository when it is not installed."""
    try:
        import tongchou_shili
    except ImportError:
        sys.path.insert(0, str(ROOT / "examples" / "shili"))
        import tongchou_shili
    return tongchou_shili.PACK


def found(*packs: Pack, **extras) -> Discovered:
    base = discover()
    all_packs = {**base.packs, **{p.name: p for p in packs}}
    return Discovered(all_packs, {**base.extras, **extras}, dict(base.versions))


def run_case(text: str, loader: Loader | None = None, runner: Runner | None = None):
    runner = runner or Runner(loader or Loader())
    [case] = runner.loader.load_text(text, "t.yaml")
    return runner.run(case)


def case_error(text: str, loader: Loader | None = None) -> str:
    [item] = (loader or Loader()).load_text_lenient(text, "t.yaml")
    assert isinstance(item, ScenarioError), item
    return str(item)
