"""The pages county staff and administrators read are in Chinese, and every
``tongchou`` command they mention exists.

Code blocks, inline code and link targets are left out when the language is
measured: commands and program output are what they are."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
READERS = ["index.md", "staff-guide.md", "admin-guide.md", "deployment.md", "whatif.md", "scenarios.md",
           "import-export.md", "official-documents.md", "plugins.md", "guide-cross-project.md",
           "guide-duplicates.md", "guide-parties.md", "guide-rule-codes.md", "guide-ui-money-phones.md",
           "guide-versions.md", "guide-working-days.md", "guide-worklists.md"]


def _prose(text: str) -> str:
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    text = re.sub(r"`[^`\n]*`", " ", text)
    return re.sub(r"\]\([^)]*\)|<[^>\n]+>", " ", text)


def _commands(text: str) -> set[tuple[str, ...]]:
    """``tongchou CMD [SUB]`` as written in the page (options and --db left out)."""
    found = set()
    for line in re.findall(r"(?<!from )(?<!import )tongchou(?: --\S+ \S+)*((?: [a-z][a-z-]*)+)", text):
        found.add(tuple(line.split()[:2]))
    return found


@pytest.mark.parametrize("name", READERS)
def test_a_page_for_county_readers_is_written_in_chinese(name):
    prose = _prose((ROOT / "docs" / name).read_text(encoding="utf-8"))
    chinese = len(re.findall(r"[\u4e00-\u9fff]", prose))
    latin_words = len(re.findall(r"[A-Za-z]{2,}", prose))
    assert chinese > 4 * latin_words, (name, chinese, latin_words)
    # Chinese prose takes full-width punctuation: no ASCII comma or semicolon right after a hanzi
    # (UI strings quoted verbatim, “…”, are as the program writes them)
    unquoted = re.sub(r"“[^”]*”", "“”", prose)
    bad = re.search(r".{0,12}[\u4e00-\u9fff][,;].{0,12}", unquoted)
    assert bad is None, (name, bad.group(0))


def test_the_measure_tells_an_english_page_from_a_chinese_one():
    english = "Every command takes `--db` naming the ledger: a file path for SQLite, or a URL. 统筹"
    assert len(re.findall(r"[\u4e00-\u9fff]", _prose(english))) < 4 * len(re.findall(r"[A-Za-z]{2,}", _prose(english)))
    assert _commands("run `tongchou --db x.db params set a 1` then tongchou audit verify") == {
        ("params", "set"), ("audit", "verify")}


@pytest.mark.parametrize("name", READERS)
def test_every_command_a_reader_page_mentions_exists(name):
    from tongchou.cli import build_parser
    parser = build_parser()
    commands = {}
    for action in parser._subparsers._group_actions:  # argparse keeps subcommands here
        for cmd, sub in action.choices.items():
            subs = set()
            if sub._subparsers is not None:
                for a in sub._subparsers._group_actions:
                    subs |= set(getattr(a, "choices", None) or ())
            commands[cmd] = subs
    for words in _commands((ROOT / "docs" / name).read_text(encoding="utf-8")):
        assert words[0] in commands, (name, words)
        if commands[words[0]] and len(words) > 1:
            assert words[1] in commands[words[0]], (name, words)
