"""The documentation site works on an intranet (政务外网) with no internet:

- the built pages load no script, stylesheet or font from outside the site;
- its search finds two- and three-character Chinese words (验收, 工作日) in
  headless Chromium, with every request outside the local server refused, so
  nothing the search needs can come from a CDN.

The site is built once per module into a temporary folder (never into ./site)."""
from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(out)], capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


# an element that makes the browser fetch something: <script src>, <link href> (stylesheets,
# icons, preconnect/preload), <img src>, <iframe src>, <source src>
_FETCHING = re.compile(r"<(script|link|img|iframe|source|audio|video)\b[^>]*?\b(?:src|href)\s*=\s*[\"']?([^\"'\s>]+)",
                       re.IGNORECASE)
_CSS_URL = re.compile(r"(?:url\(\s*[\"']?|@import\s+[\"'])(?:https?:)?//[^\"')\s]+", re.IGNORECASE)


def _external_assets(site: Path) -> list[str]:
    found = []
    for page in site.rglob("*.html"):
        for tag, url in _FETCHING.findall(page.read_text(encoding="utf-8")):
            if re.match(r"(?:https?:)?//", url, re.IGNORECASE):
                found.append(f"{page.relative_to(site)}: <{tag}> {url}")
    for sheet in site.rglob("*.css"):
        found += [f"{sheet.relative_to(site)}: {m}" for m in _CSS_URL.findall(sheet.read_text(encoding="utf-8"))]
    return found


def test_the_site_loads_nothing_from_outside_it(site):
    assert (site / "admin-guide" / "index.html").is_file()
    assert _external_assets(site) == []
    # plain hyperlinks in the text may point outside (they are links, not assets)
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "highlight.js" not in index and "cdnjs" not in index and "fonts.googleapis" not in index


def test_the_asset_check_sees_a_cdn_script(tmp_path):
    # the check above would fail on the page the old theme built (highlight.js from cdnjs)
    (tmp_path / "index.html").write_text(
        '<a href="https://www.mkdocs.org/">MkDocs</a>'
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/highlight.js/10.5.0/highlight.min.js"></script>',
        encoding="utf-8")
    (tmp_path / "x.css").write_text("@font-face{src:url(https://fonts.gstatic.com/a.woff2)}", encoding="utf-8")
    found = _external_assets(tmp_path)
    assert len(found) == 2 and "cdnjs" in found[0] and "gstatic" in found[1]


def test_the_search_index_is_segmented_into_chinese_words(site):
    import json
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    words = {w for doc in index["docs"] for w in re.split(index["config"]["separator"], doc["text"])}
    assert {"验收", "工作日"} <= words


@pytest.fixture(scope="module")
def served(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def docs_page(served):
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--disable-component-update", "--no-first-run"])
        context = browser.new_context(locale="zh-CN")
        outside: list[str] = []

        def _only_local(route):
            if route.request.url.startswith(served):
                route.continue_()
            else:  # an intranet copy has no internet: refuse, and remember who asked
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", _only_local)
        pg = context.new_page()
        pg.outside = outside
        yield pg
        context.close()
        browser.close()


def _ready_search_box(page):
    """The search box once the index is loaded: a query typed while the search is still
    initialising (正在初始化搜索引擎) is dropped by the theme, not run later."""
    box = page.locator("input[data-md-component='search-query']")
    box.click()
    page.get_by_text("键入以开始搜索").wait_for(state="visible", timeout=90_000)
    return box


def _type(box, word: str) -> None:
    """Type a word as an input method does: the text arrives at once, then a key is released
    (the theme searches on keyup, which Playwright's fill alone does not send)."""
    box.fill(word)
    box.press("End")


def _search(page, served: str, word: str) -> list[str]:
    page.goto(f"{served}/")
    _type(_ready_search_box(page), word)
    items = page.locator(".md-search-result__item")
    # generous: the search worker loads and indexes the whole site first, on a busy machine
    items.first.wait_for(state="visible", timeout=90_000)
    # the index keeps jieba's word boundaries as zero-width spaces; a reader does not see them
    texts = [t.replace("\u200b", "") for t in items.all_inner_texts()]
    links = [a.get_attribute("href") or "" for a in page.locator(".md-search-result__item a").all()]
    return texts, links


@pytest.mark.browser
# Not "page": that name is pytest-playwright's fixture, and parametrizing it made pytest
# regroup the browser tests of tests/ui around this module's own Chromium.
# "where": a page the word must lead to among the first results (验收 is on many
# pages, and which rank first changes as the guides grow)
@pytest.mark.parametrize("word, where", [("验收", ("staff-guide/", "official-documents/")),
                                         ("工作日", "guide-working-days/"),
                                         ("政务外网", "deployment/"), ("离线安装", "deployment/"),
                                         ("审计链", "admin-guide/")])
def test_searching_the_built_site_in_chromium_finds_chinese_words(docs_page, served, word, where):
    results, links = _search(docs_page, served, word)
    wanted = (where,) if isinstance(where, str) else where
    assert any(w in link for link in links for w in wanted), links
    assert results, word
    assert any(word in text for text in results), results[:3]
    assert docs_page.outside == [], docs_page.outside


@pytest.mark.browser
def test_a_word_that_is_nowhere_finds_nothing(docs_page, served):
    page = docs_page
    page.goto(f"{served}/")
    _type(_ready_search_box(page), "鹦鹉螺")
    # the search has run (not still "正在初始化搜索引擎") and says it found nothing
    page.get_by_text("没有找到符合条件的结果").wait_for(state="visible", timeout=90_000)
    assert page.locator(".md-search-result__item").count() == 0
