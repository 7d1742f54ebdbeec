"""What a real 台账's header and words mean: the header found (not assumed),
two-row merged headers combined, header and choice synonyms, column letters,
rows that are no projects (titles, 合计, 填表人/注 footers) and unit aliases.

The words are data.  The core knows the synonyms of its own fields (项目名称,
建设单位, 计划建设年度, 概算总投资); a pack adds the rest through the
``tongchou_import_vocabulary`` hook (:class:`HeaderSynonyms`,
:class:`ValueSynonyms` and, in :mod:`tongchou.import_history`,
:class:`~tongchou.import_history.Milestone`).  Unit aliases (县卫健委 →
县卫生健康委员会) are a ledger setting an administrator edits
(``tongchou unit alias``), audited like any setting.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .errors import InvalidInput, PermissionDenied
from .vocabulary import Actor, Field

HOOK = "tongchou_import_vocabulary"
#: the ledger setting holding unit aliases: alias → the unit's name
ALIASES_SETTING = "unit_aliases"


@attrs.frozen
class HeaderSynonyms:
    """More headers a county's 台账 uses for ``field`` (a unit in brackets,
    ``（万元）``, is understood without being listed)."""

    field: str
    headers: tuple[str, ...] = attrs.field(converter=tuple)


@attrs.frozen
class ValueSynonyms:
    """More words for the choices of ``field``: word → choice value."""

    field: str
    values: Mapping[str, str] = attrs.field(converter=dict)


#: Synonyms of the core's own fields (every jurisdiction has them).
CORE_HEADERS: Mapping[str, tuple[str, ...]] = {
    "name": ("项目名称", "名称", "项目"),
    "unit": ("项目单位", "项目建设单位", "申报单位", "建设单位名称", "单位名称", "单位"),
    "year": ("建设年度", "计划年度", "年度", "实施年度", "项目年度", "计划建设年份", "建设年份"),
    "estimate": ("估算投资", "概算", "总投资", "投资估算", "概算投资", "项目总投资", "估算总投资",
                 "概算总投资", "总投资额", "投资额", "计划总投资", "概算金额", "投资"),
}


def norm(text: Any) -> str:
    """As :func:`tongchou.imports.norm` (full-width folded, no spaces, no marks)."""
    s = unicodedata.normalize("NFKC", str(text))
    s = re.sub(r"\s+", "", s)
    return s.strip("*:")


# ---------------------------------------------------------------------------
# The vocabulary of a jurisdiction


@attrs.frozen
class ImportVocabulary:
    headers: Mapping[str, tuple[str, ...]]
    values: Mapping[str, Mapping[str, str]]
    milestones: tuple = ()


def import_vocabulary(pm, registry) -> ImportVocabulary:
    """The core's synonyms and what the plugins add through the hook, for the
    fields and actions ``registry`` has (a disabled plugin's words drop out)."""
    from .import_history import Milestone
    headers: dict[str, list[str]] = {k: list(v) for k, v in CORE_HEADERS.items() if k in registry.fields}
    values: dict[str, dict[str, str]] = {}
    milestones: list = []
    hook = getattr(pm.hook, HOOK, None) if pm is not None else None
    items: list = []
    if hook is not None:
        for impl in sorted(hook.get_hookimpls(), key=lambda i: i.plugin_name):
            items += list(impl.function() or ())
    for item in items:
        if isinstance(item, HeaderSynonyms) and item.field in registry.fields:
            headers.setdefault(item.field, []).extend(item.headers)
        elif isinstance(item, ValueSynonyms) and item.field in registry.fields:
            choices = {c.value for c in registry.fields[item.field].choices}
            values.setdefault(item.field, {}).update(
                {norm(k): v for k, v in item.values.items() if v in choices})
        elif isinstance(item, Milestone) and all(s.action in registry.actions for s in item.steps):
            milestones.append(item)
    return ImportVocabulary(headers={k: tuple(v) for k, v in headers.items()}, values=values,
                            milestones=tuple(milestones))


# ---------------------------------------------------------------------------
# Headers


_LETTERS = re.compile(r"^(?:列)?([A-Z]{1,3})(?:列)?$")


def column_index(key: str) -> int | None:
    """``C``, ``C列`` or ``列C`` → 2 (column letters of a mapping file); else None."""
    m = _LETTERS.match(unicodedata.normalize("NFKC", str(key)).strip())
    if m is None:
        return None
    n = 0
    for ch in m.group(1):
        n = n * 26 + ord(ch) - 64
    return n - 1


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    return str(cell).strip() if isinstance(cell, str) else ""


def combine(top: Sequence[Any], bottom: Sequence[Any]) -> list[str]:
    """The headers of a two-row header, one per column.  A cell merged across
    (投资情况 over 估算投资（万元）and 资金来源) is written in its first column
    only: it is carried right over the columns that have a lower header.  A
    cell merged down (项目名称 over nothing) stands alone."""
    width = max(len(top), len(bottom))
    out: list[str] = []
    group = ""
    for i in range(width):
        t = _text(top[i]) if i < len(top) else ""
        b = _text(bottom[i]) if i < len(bottom) else ""
        if t:
            group = t if b else ""
        elif b:
            t = group
        else:
            group = ""
        out.append(f"{t}\n{b}" if t and b else (b or t))
    return out


def header_candidates(text: str) -> list[str]:
    """What a (possibly two-row) header may be matched as: the lower header
    alone first, then upper and lower together.  Never the upper alone: 投资
    over 估算投资 and 已完成投资 would give 已完成投资 the estimate too (a cell
    merged down has no lower header and stands alone already)."""
    if "\n" not in text:
        return [text]
    top, bottom = text.split("\n", 1)
    return [bottom, top + bottom]


@attrs.frozen
class HeaderGuess:
    first: int            # Excel row of the (first) header row
    last: int             # Excel row of the last header row
    headers: tuple[str, ...]


def find_header(rows: Sequence[tuple[int, tuple[Any, ...]]], named, scan: int = 30,
                given: int | None = None) -> HeaderGuess | None:
    """The header among the first ``scan`` rows: the row, or pair of adjacent
    rows, whose cells name the most fields (``named(texts)`` counts them).  A
    pair wins only when it names more than its first row alone; title rows
    name none, so they are passed over.  ``given`` (a mapping's
    ``header_row``) fixes the first row; a second row is still taken when it
    adds fields."""
    best: tuple[int, int] | None = None
    guess: HeaderGuess | None = None
    head = list(rows[:scan])
    for k, (number, cells) in enumerate(head):
        if given is not None and number != given:
            continue
        one = [_text(c) for c in cells]
        options = [(named(one), 0, HeaderGuess(number, number, tuple(one)))]
        if k + 1 < len(head) and head[k + 1][0] == number + 1:
            two = combine(cells, head[k + 1][1])
            options.append((named(two), -1, HeaderGuess(number, number + 1, tuple(two))))
        for score, depth, g in options:
            if score >= 2 and (best is None or (score, depth) > best):
                best, guess = (score, depth), g
        if given is not None and guess is None:
            return HeaderGuess(number, number, tuple(one))
    return guess


# ---------------------------------------------------------------------------
# Rows that are no projects

TOTAL_WORDS = {"合计", "总计", "小计", "共计", "累计"}
_FOOTER = re.compile(r"^(填表人|填报人|制表人|审核人|审核|复核人|负责人|单位负责人|分管领导|联系人|联系电话|"
                     r"填表日期|制表日期|填报日期|报送日期|说明|备注|注)(\d|[:、.()]|$)")


def skip_reason(cells: Sequence[Any], used: Sequence[int]) -> str | None:
    """Why a row below the header is no project (None: it is one): empty, a
    total row, a footer (填表人、审核人、注…), or only columns no field takes
    (a 序号 with nothing beside it)."""
    texts = [norm(c) for c in cells if c is not None and not (isinstance(c, str) and not c.strip())]
    if not texts:
        return "空行"
    if any(t in TOTAL_WORDS or re.fullmatch(r"(合计|总计|小计|共计)[((].*", t) for t in texts):
        return "合计行"
    if _FOOTER.match(texts[0]) and len(texts) <= 4:
        return "表尾（填表人、审核人、注等）"
    if not any(i < len(cells) and cells[i] is not None and not (isinstance(cells[i], str) and not cells[i].strip())
               for i in used):
        return "没有可导入的内容"
    return None


# ---------------------------------------------------------------------------
# Choices


def choice_table(field: Field, extra: Mapping[str, str]) -> dict[str, str]:
    """Every word that names a choice of ``field``: its code, label, the pack's
    synonyms (``extra``), then abbreviations: a word inside exactly one label
    (信息系统 → 政务信息系统), or whose characters appear in order in exactly
    one label (上级要求 → 上级明确要求)."""
    table = {norm(c.value): c.value for c in field.choices}
    table.update({norm(c.label): c.value for c in field.choices})
    table.update({k: v for k, v in extra.items()})
    return table


def _subsequence(word: str, label: str) -> bool:
    it = iter(label)
    return all(ch in it for ch in word)


def abbreviation(field: Field, word: str) -> str | None:
    """The one choice ``word`` abbreviates, or None (none, or more than one)."""
    if len(word) < 2:
        return None
    labels = [(norm(c.label), c.value) for c in field.choices]
    for test in (lambda w, lab: w in lab, _subsequence):
        hits = {v for lab, v in labels if test(word, lab)}
        if len(hits) == 1:
            return hits.pop()
        if hits:
            return None
    return None


def choice_error(field: Field, raw: Any) -> str:
    """A choice not recognised, in the labels staff know (never the codes)."""
    return f"取值 {str(raw).strip()!r} 不在允许范围内（可选：{'、'.join(c.label for c in field.choices)}）"


# ---------------------------------------------------------------------------
# Unit aliases


def unit_aliases(ledger) -> dict[str, str]:
    value = ledger.setting(ALIASES_SETTING, {})
    return dict(value) if isinstance(value, dict) else {}


def set_unit_alias(ledger, alias: str, unit: str | None, actor: Actor) -> None:
    """Make ``alias`` (县卫健委) name the unit ``unit`` (县卫生健康委员会) in
    imports; an empty ``unit`` removes the alias.  Administrators only; audited
    as a setting."""
    if actor.role != "admin":
        raise PermissionDenied("只有系统管理员可以设置单位别名")
    alias = str(alias).strip()
    if not alias:
        raise InvalidInput("alias", "别名不能为空", "单位别名")
    aliases = unit_aliases(ledger)
    if unit:
        ledger.unit_id(unit)  # an unknown unit is an input error
        if alias == unit:
            raise InvalidInput("alias", "别名与单位名称相同", "单位别名")
        if alias in dict(ledger.units()).values():
            raise InvalidInput("alias", f"“{alias}”已是一个单位的名称，不能作别名", "单位别名")
        aliases[alias] = unit
    elif aliases.pop(alias, None) is None:
        raise InvalidInput("alias", f"没有别名“{alias}”", "单位别名")
    ledger.set_setting(ALIASES_SETTING, dict(sorted(aliases.items())), actor)


def resolve_unit(name: Any, units: Mapping[str, int], aliases: Mapping[str, str]) -> str | None:
    """The ledger's name for the unit a cell names: as written, without spaces
    and width differences, or through an alias; None when none matches."""
    if not isinstance(name, str):
        return None
    if name in units:
        return name
    key = norm(name)
    folded = {norm(u): u for u in units}
    if key in folded:
        return folded[key]
    for alias, unit in aliases.items():
        if norm(alias) == key and unit in units:
            return unit
    return None


# ---------------------------------------------------------------------------
# ``tongchou unit alias`` / ``tongchou unit aliases``


def _cmd_alias(args) -> int:
    from .cli import _actor, _open
    with _open(args) as ledger:
        actor = _actor(ledger, args.user)
        set_unit_alias(ledger, args.alias, args.unit, actor)
        print(f"导入台账时“{args.alias}”即“{args.unit}”" if args.unit else f"已删除别名“{args.alias}”")
    return 0


def _cmd_aliases(args) -> int:
    from .cli import _open, _print_json
    with _open(args) as ledger:
        aliases = unit_aliases(ledger)
        if args.json:
            _print_json(aliases)
        else:
            for alias, unit in aliases.items():
                print(f"{alias}\t{unit}")
    return 0


def add_alias_commands(units) -> None:
    """``unit alias ALIAS UNIT`` and ``unit aliases`` (in ``tongchou unit``)."""
    p = units.add_parser("alias", help="let imports read ALIAS as the unit UNIT ('' removes the alias)",
                         description="e.g. tongchou unit alias 县卫健委 县卫生健康委员会 --user admin")
    p.add_argument("alias")
    p.add_argument("unit")
    p.add_argument("--user", required=True)
    p.set_defaults(func=_cmd_alias)
    p = units.add_parser("aliases", help="list the unit aliases imports use")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_aliases)
