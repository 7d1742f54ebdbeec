"""The entry points of one group, as :func:`importlib.metadata.entry_points`
gives them, read straight from the distributions' metadata folders on
``sys.path``.

Every command looks up the packs (``tongchou``) when it opens a ledger.
importlib.metadata answers the same, but importing it (email, zipfile, csv
...) and reading every installed distribution's entry points was a good part
of a command's start-up.  This reads the same ``entry_points.txt`` files in
the same order, each time it is asked (nothing is cached: a pack installed a
moment ago is seen), and hands over to importlib.metadata whenever the path
holds something it does not read itself: a zip or egg, a finder of its own, a
line it does not understand.
"""
from __future__ import annotations

import functools
import os
import re
import sys
from importlib import import_module
from importlib.machinery import PathFinder
from typing import Any

_INFO = (".dist-info", ".egg-info")
# importlib.metadata.EntryPoint.pattern
_REF = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]*)\s*)?((?P<extras>\[.*\])\s*)?$")


class _Unread(Exception):
    """Something only importlib.metadata reads: ask it instead."""


class _Dist:
    __slots__ = ("_path",)

    def __init__(self, path: str):
        self._path = path

    @property
    def version(self) -> str | None:
        """The ``Version`` header of the distribution's METADATA (PKG-INFO)."""
        for name in ("METADATA", "PKG-INFO"):
            try:
                with open(os.path.join(self._path, name), encoding="utf-8") as fh:
                    for line in fh:
                        if not line.strip():
                            break  # the headers end at the first empty line
                        key, sep, value = line.partition(":")
                        if sep and key.strip().lower() == "version":
                            return value.strip()
                return None
            except OSError:
                continue
        return None


class EntryPoint:
    """What the callers use of :class:`importlib.metadata.EntryPoint`."""

    __slots__ = ("name", "value", "group", "dist")

    def __init__(self, name: str, value: str, group: str, dist: _Dist):
        self.name, self.value, self.group, self.dist = name, value, group, dist

    def load(self) -> Any:
        match = _REF.match(self.value)
        if match is None:
            raise ValueError(f"entry point {self.name!r}: not a module:attribute reference: {self.value!r}")
        module = import_module(match.group("module"))
        return functools.reduce(getattr, filter(None, (match.group("attr") or "").split(".")), module)

    def __repr__(self) -> str:
        return f"EntryPoint(name={self.name!r}, value={self.value!r}, group={self.group!r})"


def entry_points(group: str) -> list:
    """The entry points of ``group`` of the distributions on ``sys.path``."""
    try:
        return _scan(group, sys.path)
    except _Unread:
        from importlib.metadata import entry_points as read
        return list(read(group=group))


def _normalized(name: str) -> str:
    # importlib.metadata's Prepared.normalize
    return re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


def _scan(group: str, paths: list) -> list[EntryPoint]:
    if any(hasattr(f, "find_distributions") and f is not PathFinder for f in sys.meta_path):
        raise _Unread("another finder lists distributions")
    seen: set[str] = set()
    found: list[EntryPoint] = []
    for entry in paths:
        if not isinstance(entry, str) or entry.lower().endswith(".egg"):
            raise _Unread(entry)
        root = entry or "."
        try:
            children = os.listdir(root)
        except OSError:
            if os.path.isfile(root):
                raise _Unread(entry) from None  # a zip on the path
            continue  # a folder that is not there: nothing in it
        for child in children:
            stem, ext = os.path.splitext(child)
            if ext.lower() not in _INFO:
                if child.lower() == "egg-info":
                    raise _Unread(child)
                continue
            if ext not in _INFO:
                raise _Unread(child)  # importlib reads such a name from its METADATA
            name = _normalized(stem.partition("-")[0])
            if name in seen:
                continue  # the first of a name on the path is the one installed
            seen.add(name)
            path = os.path.join(root, child)
            try:
                with open(os.path.join(path, "entry_points.txt"), encoding="utf-8") as fh:
                    text = fh.read()
            except OSError:
                continue
            found += _parse(text, group, _Dist(path))
    return found


def _parse(text: str, group: str, dist: _Dist) -> list[EntryPoint]:
    """importlib.metadata's reading of entry_points.txt (Sectioned.read)."""
    out: list[EntryPoint] = []
    section = None
    for line in map(str.strip, text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
            continue
        if section is None:
            continue
        name, sep, value = line.partition("=")
        if not sep:
            raise _Unread(line)
        if section == group:
            out.append(EntryPoint(name.strip(), value.strip(), group, dist))
    return out
