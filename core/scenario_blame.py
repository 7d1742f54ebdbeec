"""Which plugin raised: read from the traceback of an exception that escaped a
rule while a scenario case ran, so the failure names the plugin to fix."""
from __future__ import annotations

import traceback
import types
from pathlib import Path

import pluggy
from pluggy import HookImpl

from . import vocabulary


def _contribution_plugin(value: object) -> str | None:
    """The plugin of a guard, action, status ... held in a local variable (the
    registry stamps each contribution with the plugin it came from)."""
    if type(value).__module__ != vocabulary.__name__:
        return None
    plugin = getattr(value, "plugin", None)
    return plugin if isinstance(plugin, str) and plugin else None


def blame(exc: BaseException, pm: pluggy.PluginManager) -> tuple[str | None, str]:
    """(plugin name or None, "file:line" where it was raised) for ``exc``.

    Walks the traceback from the raising frame outwards and takes the first
    frame that belongs to a plugin: a method of a registered plugin object, a
    function of a registered plugin module, or a frame holding the pluggy
    hookimpl or the guard/action being called (whose ``plugin`` says whose it
    is).  A helper module shared by a pack's plugins is thus charged to the
    plugin that called it.
    """
    objects: dict[int, str] = {}
    modules: dict[str, str] = {}
    for name, obj in pm.list_name_plugin():
        if obj is None:
            continue
        objects[id(obj)] = name
        if isinstance(obj, types.ModuleType):
            modules.setdefault(obj.__name__, name)
    walked = list(traceback.walk_tb(exc.__traceback__))  # outermost first
    where = ""
    if walked:
        last, line = walked[-1]
        where = f"{Path(last.f_code.co_filename).name}:{line}"
    for frame, _line in reversed(walked):
        local = frame.f_locals
        owner = local.get("self")
        if owner is not None and id(owner) in objects:
            return objects[id(owner)], where
        module = frame.f_globals.get("__name__")
        if module in modules:
            return modules[module], where
        for value in local.values():
            if isinstance(value, HookImpl):
                return value.plugin_name, where
            plugin = _contribution_plugin(value)
            if plugin is not None:
                return plugin, where
    return None, where


def describe(exc: BaseException, pm: pluggy.PluginManager) -> str:
    """``plugin 'x' raised KeyError: 'y' (rules.py:12)`` for a failure message."""
    plugin, where = blame(exc, pm)
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    at = f" ({where})" if where else ""
    if plugin is None:
        return f"raised {what}{at}; no plugin found in the traceback"
    return f"plugin {plugin!r} raised {what}{at}"
