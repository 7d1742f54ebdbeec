"""Citations in scenario files, read with their document.

A case writes ``第N条`` (its own jurisdiction's document) or a full citation
``<document> 第N条`` (any document the jurisdiction knows, named by its
number, or by a pack's title or measures' name).  Both become a
:class:`~tongchou.scenario_model.Cite` of (document, article), compared with
what the rules cite: a refusal of another document never passes for this one,
and a name the jurisdiction does not know is an error, not a silent miss.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from .citation import article_label, Citation, parse_article
from .packs import Jurisdiction
from .scenario_model import Cite, ScenarioError

#: "<document> 第N条" or "<document>第N条"; the document part may be empty
_FULL = re.compile(r"^(?P<doc>.*?)\s*(?P<art>第[零一二三四五六七八九十百千两〇\d]+条)$", re.S)
#: a measures' name often carries a note such as (试行两年) that nobody writes when citing it
_NOTE = re.compile(r"\s*[（(][^（()）]*[)）]\s*$")


def _clean(name: str) -> str:
    return name.strip().strip("《》").strip()


class DocumentNames:
    """The documents one jurisdiction's rules may cite, and what each may be
    called in a scenario file.

    Known documents: the ``document`` of every pack in the jurisdiction's
    chain (itself and the packs it extends), and every document its registry
    cites (actions, guards, parameters, reports, citation maps, articles).  A
    pack's document may also be called by the pack's title or its measures'
    name (``description``), with or without 《》.
    """

    def __init__(self, jur: Jurisdiction):
        self.own = jur.document
        documents: set[str] = {p.document for p in jur.chain if p.document}
        # every version of the rules: a project governed by older measures cites them
        for reg in {id(v.jurisdiction.registry): v.jurisdiction.registry for v in jur.versions}.values():
            for group in (reg.actions, reg.guards, reg.parameters, reg.reports):
                documents.update(c.citation.document for c in group.values()
                                 if getattr(c, "citation", None) is not None)
            for m in reg.citation_maps.values():
                documents.update((m.document, m.to_document))
            documents.update(doc for doc, _n in reg.articles)
        documents.discard("")
        self.documents: frozenset[str] = frozenset(documents)
        aliases: dict[str, set[str]] = {d: {d} for d in documents}
        for pack in jur.chain:
            if not pack.document:
                continue
            for alias in (pack.title, pack.description, _NOTE.sub("", pack.description or "")):
                alias = _clean(alias or "")
                if alias:
                    aliases.setdefault(alias, set()).add(pack.document)
        # a title two packs of the chain share names neither: it stays unknown
        self._aliases = {a: next(iter(ds)) for a, ds in aliases.items() if len(ds) == 1}

    def resolve(self, name: str) -> str | None:
        """The document ``name`` stands for, or None when it names none."""
        return self._aliases.get(_clean(name))

    def known(self) -> str:
        return "、".join(sorted(self.documents))

    def cite(self, value: object, where: str, key: str) -> Cite:
        """Read an expected citation: ``第N条``, ``7``, or ``<document> 第N条``."""
        cite = self._cite(value, where, key)
        if cite.article >= 10000:  # no measures run that long, and no label could be written for it
            raise ScenarioError(f"{where}: key {key!r}: article numbers run from 1 to 9999, not {cite.article}")
        return cite

    def _cite(self, value: object, where: str, key: str) -> Cite:
        if isinstance(value, str):
            m = _FULL.match(value.strip())
            if m and m.group("doc").strip():
                doc_name = m.group("doc").strip()
                document = self.resolve(doc_name)
                if document is None:
                    raise ScenarioError(
                        f"{where}: key {key!r}: unknown document {doc_name!r} in {value!r} "
                        f"(documents of this jurisdiction: {self.known()})")
                return Cite(document, parse_article(m.group("art")))
        try:
            article = parse_article(value)
        except ValueError:
            raise ScenarioError(
                f"{where}: key {key!r}: {value!r} is not an article: write an article such as "
                f"{article_label(1)} (this jurisdiction's {self.own}) or a document and an article, "
                f"such as {self.own} {article_label(1)}") from None
        return Cite(self.own, article)


def cites_of(citations: Iterable[Citation | None]) -> set[Cite]:
    """Every (document, article) pair the given citations name."""
    return {Cite(c.document, a) for c in citations if c is not None for a in c.articles}


def names(cites: Iterable[Cite]) -> str:
    """A set of citations for a failure message: ``[<document> 第N条, ...]``."""
    return "[" + ", ".join(c.label for c in sorted(cites)) + "]"
