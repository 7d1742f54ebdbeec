"""Filling a ``.docx`` template with a context (the documents of
:mod:`tongchou.official`).

Template language (kept small on purpose, so a clerk can edit a template in
Word):

- ``{{ project.name }}`` anywhere in a paragraph or a table cell, headers and
  footers included, is replaced by that value.  Word often splits what one
  types into several runs; a placeholder split across runs is still found, and
  the value takes the formatting of the run where the placeholder starts.
- A table row holding ``{{ findings[].message }}`` repeats once per item of the
  list ``findings`` (each ``[].x`` in the row is that item's ``x``); an empty
  list removes the row.
- Values are inserted as text: XML special characters are escaped by the
  document library and characters XML cannot hold are dropped, so nothing a
  user typed can change the document's structure.  A value is never expanded
  again, so a project called ``{{ x }}`` is printed as it is.
- An unknown name is an error naming the template and the placeholder.
- ASCII ``, : ; ( )`` next to a Chinese character in a value become the
  full-width ``，：；（）`` a 公文 uses (GB/T 9704); ``1,234.56`` keeps its comma.
"""
from __future__ import annotations

import copy
import io
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .errors import ConfigurationError
from .official import fullwidth, text

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\[\])?(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")
# XML 1.0 cannot hold most control characters; lxml refuses them, so they go.
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class _Resolver:
    def __init__(self, context: Mapping[str, Any], name: str):
        self.context = context
        self.name = name

    def __call__(self, path: str, item: Any = None) -> str:
        parts = path.split(".")
        if parts[0].endswith("[]"):
            if item is None:
                raise ConfigurationError(f"template {self.name}: {{{{ {path} }}}} is only allowed in a table row")
            value: Any = item
            parts = parts[1:]
        else:
            value = self.context
        for i, part in enumerate(parts):
            if isinstance(value, Mapping) and part in value:
                value = value[part]
            else:
                raise ConfigurationError(
                    f"template {self.name}: unknown placeholder {{{{ {path} }}}} "
                    f"(no {'.'.join(parts[:i + 1])!r})")
        if isinstance(value, Mapping):
            raise ConfigurationError(f"template {self.name}: {{{{ {path} }}}} names a group, not a value")
        return fullwidth(_XML_BAD.sub("", text(value)))

    def items(self, name: str) -> Sequence[Any]:
        value = self.context.get(name)
        if not isinstance(value, (list, tuple)):
            raise ConfigurationError(f"template {self.name}: {{{{ {name}[]... }}}} but {name!r} is not a list")
        return value


def _fill_paragraph(paragraph, resolve: Callable[[str], str]) -> None:
    """Replace the placeholders of one paragraph, even when split over runs.

    Matches are found in the paragraph's whole text, then replaced from the last
    to the first, so the offsets of the ones not yet done stay right.  The
    value goes into the run where the placeholder starts; the rest of the
    placeholder's characters are cut from the runs after it.
    """
    runs = list(paragraph.runs)
    if not runs:
        return
    texts = [r.text for r in runs]
    whole = "".join(texts)
    matches = list(PLACEHOLDER.finditer(whole))
    if not matches:
        return
    for m in reversed(matches):
        value = resolve(m.group(1))
        starts = []
        pos = 0
        for t in texts:
            starts.append(pos)
            pos += len(t)
        first = next(i for i, t in enumerate(texts) if starts[i] <= m.start() < starts[i] + len(t))
        remaining_start, remaining_end = m.start(), m.end()
        for i in range(first, len(texts)):
            s, e = starts[i], starts[i] + len(texts[i])
            if s >= remaining_end:
                break
            lo, hi = max(s, remaining_start) - s, min(e, remaining_end) - s
            if i == first:
                texts[i] = texts[i][:lo] + value + texts[i][hi:]
            else:
                texts[i] = texts[i][:lo] + texts[i][hi:]
    for run, new in zip(runs, texts):
        if run.text != new:
            run.text = new


def _row_lists(row) -> set[str]:
    names = set()
    for cell in row.cells:
        for m in PLACEHOLDER.finditer(cell.text):
            head = m.group(1).split(".")[0]
            if head.endswith("[]"):
                names.add(head[:-2])
    return names


def _fill_cells(row, resolve: Callable[[str], str]) -> None:
    seen = set()
    for cell in row.cells:
        if id(cell._tc) in seen:  # a merged cell is listed once per grid column
            continue
        seen.add(id(cell._tc))
        _fill_block(cell, resolve)


def _fill_table(table, resolver: _Resolver) -> None:
    for row in list(table.rows):
        lists = _row_lists(row)
        if not lists:
            _fill_cells(row, resolver)
            continue
        if len(lists) > 1:
            raise ConfigurationError(f"template {resolver.name}: one table row repeats over "
                                     f"several lists ({', '.join(sorted(lists))})")
        (name,) = lists
        tr = row._tr
        anchor = tr
        for item in resolver.items(name):
            clone = copy.deepcopy(tr)
            anchor.addnext(clone)
            anchor = clone
            from docx.table import _Row
            _fill_cells(_Row(clone, table), lambda path, _i=item: resolver(path, _i))
        tr.getparent().remove(tr)


def _fill_block(block, resolve) -> None:
    """Paragraphs and tables of a body, a cell, a header or a footer."""
    for paragraph in block.paragraphs:
        _fill_paragraph(paragraph, resolve)
    for table in block.tables:
        resolver = resolve if isinstance(resolve, _Resolver) else None
        if resolver is None:
            # inside a repeated row: nested tables fill with the row's item
            for row in table.rows:
                _fill_cells(row, resolve)
        else:
            _fill_table(table, resolver)


def fill(template: bytes, context: Mapping[str, Any], *, name: str = "template") -> bytes:
    """Fill a ``.docx`` template with ``context`` (see the module's docstring)."""
    import docx
    try:
        document = docx.Document(io.BytesIO(template))
    except Exception as exc:  # a corrupt or non-docx file: say which
        raise ConfigurationError(f"template {name} is not a readable .docx: {exc}") from exc
    resolver = _Resolver(context, name)
    _fill_block(document, resolver)
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header, section.first_page_footer,
                     section.even_page_header, section.even_page_footer):
            if not part.is_linked_to_previous:
                _fill_block(part, resolver)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def document_text(data: bytes) -> str:
    """All the text of a ``.docx`` (paragraphs, then table cells row by row),
    one paragraph a line: for tests and previews."""
    import docx
    document = docx.Document(io.BytesIO(data))
    lines: list[str] = []

    def walk(block):
        for p in block.paragraphs:
            lines.append(p.text)
        for table in block.tables:
            for row in table.rows:
                cells = []
                for cell in row.cells:  # a merged cell is listed once per grid column
                    if not cells or cells[-1]._tc is not cell._tc:
                        cells.append(cell)
                lines.append(" | ".join(c.text for c in cells))
    walk(document)
    return "\n".join(lines)
