"""``tongchou plugin new NAME``: start a plugin pack of one's own.

Writes a separate distribution into ``./NAME`` (or ``--dir``): a
pyproject.toml with the ``tongchou`` entry point, a package with an example
plugin (a parameter override, a rule of its own refusing with a citation, and
the article numbers of reused rules), a parameter YAML, a scenario file and
tests.  After ``pip install -e ./NAME`` its tests and scenarios pass as they
are, so an author starts from something green and changes it rule by rule.

The templates are package data under ``tongchou/scaffold/``: ``*.tmpl`` files
whose ``${name}``-style placeholders are filled with :class:`string.Template`,
and whose paths may hold ``__name__`` and ``__module__``.  ``tongchou plugins
new`` is the same command.
"""
from __future__ import annotations

import argparse
import datetime as dt
import keyword
import re
from importlib import resources
from pathlib import Path
from string import Template

from .cli import CliError
from .packs import default_jurisdiction, discover

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
SUFFIX = ".tmpl"


def scaffold_files(values: dict[str, str]) -> dict[str, str]:
    """Relative path -> text of every file of a new pack."""
    root = resources.files("tongchou") / "scaffold"
    out: dict[str, str] = {}

    def walk(node, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.name == "__pycache__":
                continue
            rel = f"{prefix}{child.name}"
            if child.is_dir():
                walk(child, rel + "/")
            elif child.name.endswith(SUFFIX):
                path = (rel[: -len(SUFFIX)].replace("__module__", values["module"])
                        .replace("__name__", values["name"]))
                out[path] = Template(child.read_text(encoding="utf-8")).substitute(values)

    walk(root, "")
    return out


def create_pack(name: str, target: Path, *, title: str | None = None, document: str | None = None,
                extends: str | None = None) -> list[Path]:
    """Write a new pack called ``name`` into ``target`` (which must not exist
    or be empty), built on the pack ``extends`` (default: the installed default
    jurisdiction); returns the files written."""
    extends = extends or default_jurisdiction(discover())
    if not NAME_RE.match(name) or keyword.iskeyword(name):
        raise CliError(f"pack name {name!r}: use 2-31 lower-case letters, digits or _, starting with a letter "
                       "(it becomes the jurisdiction's name and part of a Python package name)")
    if name == extends:
        raise CliError(f"pack name {name!r} is the name of the pack it extends; choose another")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CliError(f"{target} already exists and is not empty; choose another --dir")
    values = {"name": name, "module": f"tongchou_{name}", "dist": f"tongchou-{name.replace('_', '-')}",
              "title": title or name, "document": document or f"{name}〔{dt.date.today().year}〕1号",
              "extends": extends}
    files = scaffold_files(values)
    written = []
    try:
        for rel, text in files.items():
            path = target / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror or exc}") from None
    return written


def cmd_plugin_new(args) -> int:
    target = Path(args.dir) if args.dir else Path(args.name)
    written = create_pack(args.name, target, title=args.title, document=args.document, extends=args.extends)
    print(f"pack {args.name!r} written to {target} ({len(written)} files):")
    for path in written:
        print(f"  {path.relative_to(target)}")
    print(f"next: pip install -e {target} && (cd {target} && pytest && tongchou scenario run scenarios)")
    return 0


def _add_new(subparsers) -> None:
    p = subparsers.add_parser("new", help="scaffold a plugin pack as its own distribution in ./NAME",
                              description="Write a new plugin pack (pyproject, package, parameters, "
                                          "scenarios, tests) that installs and passes its tests at once.")
    p.add_argument("name", help="the jurisdiction's name (lower case, e.g. lanshui)")
    p.add_argument("--dir", help="where to write it (default ./NAME; must not exist or be empty)")
    p.add_argument("--title", help="the jurisdiction in Chinese, e.g. 澜水县 (default: NAME)")
    p.add_argument("--document", help="the measures' 文号, e.g. 澜政办〔2026〕3号")
    p.add_argument("--extends", help="the pack it starts from (default: the installed default jurisdiction)")
    p.set_defaults(func=cmd_plugin_new)


def add_commands(sub: argparse._SubParsersAction) -> None:
    plugin = sub.add_parser("plugin", help="write plugin packs: tongchou plugin new NAME")
    ps = plugin.add_subparsers(dest="sub", metavar="SUB")
    ps.required = True
    _add_new(ps)
    # `tongchou plugins new` too, next to `plugins list|enable|disable`
    plugins = sub.choices.get("plugins")
    if plugins is not None:
        for action in plugins._actions:
            if isinstance(action, argparse._SubParsersAction):
                _add_new(action)
