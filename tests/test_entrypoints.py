"""``tongchou.entrypoints`` finds the same entry points as importlib.metadata
(which it replaces on the start-up path of every command), in the same order
and with the same versions, and hands over to importlib.metadata where it does
not read the path itself."""
from __future__ import annotations

import importlib.metadata as md
import sys
import zipfile

import pytest

from tongchou import entrypoints
from tongchou.entrypoints import _scan, _Unread, entry_points


def _reference(group: str, paths: list[str]) -> list[tuple[str, str, str | None]]:
    seen, out = set(), []
    for dist in md.distributions(path=paths):
        name = dist._normalized_name
        if name in seen:
            continue
        seen.add(name)
        out += [(ep.name, ep.value, dist.version) for ep in dist.entry_points.select(group=group)]
    return out


def _ours(group: str, paths: list[str]) -> list[tuple[str, str, str | None]]:
    return [(ep.name, ep.value, ep.dist.version) for ep in _scan(group, paths)]


@pytest.mark.parametrize("group", ["tongchou", "tongchou.commands", "console_scripts", "pytest11"])
def test_the_installed_distributions_give_what_importlib_gives(group):
    assert [(e.name, e.value) for e in entry_points(group)] == [(e.name, e.value)
                                                                 for e in md.entry_points(group=group)]


def _dist(folder, dirname, entry_points=None, version="1.0", metadata="METADATA"):
    info = folder / dirname
    info.mkdir()
    name = dirname.partition("-")[0]
    (info / metadata).write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nVersion: no\n")
    if entry_points is not None:
        (info / "entry_points.txt").write_text(entry_points)


def test_a_crafted_path_gives_what_importlib_gives(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    _dist(first, "pack_a-2.0.dist-info", "# a comment\n[tongchou]\n a = pack_a:PACK \n[other]\nx = y:z\n", version="2.0")
    _dist(first, "Pack.B-0.3.egg-info", "[tongchou]\nb = pack_b.sub:PACK [extra]\n", metadata="PKG-INFO")
    _dist(first, "plain-1.0.dist-info")  # no entry points at all
    (first / "old.egg-info").write_text("Name: old\n")  # a distutils file, not a folder
    # the same distributions again, later on the path: shadowed, as when installed twice
    _dist(second, "pack_a-1.0.dist-info", "[tongchou]\nshadowed = pack_a_old:PACK\n")
    _dist(second, "pack_b-0.1.dist-info", "[tongchou]\nshadowed_b = pack_b_old:PACK\n")
    _dist(second, "pack_c-5.dist-info", "[tongchou]\nc = pack_c:PACK\n")
    paths = [str(first), str(tmp_path / "missing"), str(second)]
    for group in ("tongchou", "other", "none"):
        assert _ours(group, paths) == _reference(group, paths)
    assert [n for n, _v, _ver in _ours("tongchou", paths)] == ["a", "b", "c"]
    assert _ours("tongchou", paths)[0][2] == "2.0"


def test_it_loads_module_attributes_as_importlib_does(tmp_path, monkeypatch):
    (tmp_path / "epmod_x.py").write_text("class Holder:\n    PACK = 'the pack'\n")
    _dist(tmp_path, "epmod_x-1.dist-info", "[tongchou]\nx = epmod_x:Holder.PACK\nm = epmod_x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    found = {ep.name: ep for ep in entry_points("tongchou")}
    assert found["x"].load() == "the pack" and found["m"].load() is sys.modules["epmod_x"]
    assert found["x"].dist.version == "1.0"


def test_what_it_does_not_read_goes_to_importlib(tmp_path, monkeypatch):
    archive = tmp_path / "packs.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("zipped_pack-3.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: zipped_pack\nVersion: 3.0\n")
        z.writestr("zipped_pack-3.0.dist-info/entry_points.txt", "[tongchou]\nzipped = zipped_pack:PACK\n")
    with pytest.raises(_Unread):
        _scan("tongchou", [str(archive)])
    monkeypatch.syspath_prepend(str(archive))
    assert "zipped" in [ep.name for ep in entry_points("tongchou")]
    assert [(e.name, e.value) for e in entry_points("tongchou")] == [(e.name, e.value)
                                                                      for e in md.entry_points(group="tongchou")]
    # a line importlib.metadata would refuse is its to refuse
    bad = tmp_path / "bad"
    bad.mkdir()
    _dist(bad, "bad_pack-1.dist-info", "[tongchou]\nno equals sign here\n")
    with pytest.raises(_Unread):
        _scan("tongchou", [str(bad)])
    assert entrypoints.PathFinder in sys.meta_path
