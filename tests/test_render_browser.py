"""The static viewer in a real browser: headless Chromium (Debian's, installed by scripts/test.py) opens
the pages from file://, finds no console errors, counts the marks per layer against the release,
follows a quote -> speaker link and saves screenshots as test artefacts (artifacts/screenshots/)."""

from collections import Counter
from pathlib import Path

import pytest

from browsers import headless_chrome
from conftest import ROOT
from zoomnews import CorpusRepo
from zoomnews.release.card import card_version
from zoomnews.tools.diff import state
from zoomnews.tools.render import render_site

SHOTS = ROOT / "artifacts" / "screenshots"
COUNT_MARKS = """const c = {};
for (const e of document.querySelectorAll('.text [data-layer]')) (c[e.dataset.layer] ??= new Set()).add(e.dataset.id);
return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.size]));"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    repo = CorpusRepo(ROOT)
    version = card_version(repo)
    out = tmp_path_factory.mktemp("site")
    render_site(repo, out, version)
    return out, state(repo, version)


@pytest.fixture(scope="module")
def browser():
    driver = headless_chrome("1280,1600", browser_log=True)
    yield driver
    driver.quit()


def open_page(browser, path: Path):
    browser.get(path.as_uri())
    errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
    assert errors == [], errors


def test_every_document_page_shows_every_annotation(site, browser):
    out, release = site
    SHOTS.mkdir(parents=True, exist_ok=True)
    open_page(browser, out / "index.html")
    links = browser.execute_script("return [...document.querySelectorAll('a[href^=\"docs/\"]')].map(a => a.getAttribute('href'))")
    assert len(links) == len(release["documents"])
    browser.save_screenshot(str(SHOTS / "index.png"))
    expected = {doc["doc_id"]: Counter() for doc in release["documents"]}
    for layer, name in (("zones", "zone"), ("entities", "entity"), ("timexes", "timex"), ("quotes", "quote")):
        for r in release[layer]:
            expected[r["doc_id"]][name] += 1
    for doc_id, counts in expected.items():
        open_page(browser, out / "docs" / f"{doc_id}.html")
        seen = browser.execute_script(COUNT_MARKS)
        assert {k: seen.get(k, 0) for k in counts} == dict(counts), doc_id
        browser.save_screenshot(str(SHOTS / f"doc-{doc_id}.png"))


def test_a_quote_links_to_its_speaker(site, browser):
    out, release = site
    quote = next(q for q in release["quotes"] if q["statement_id"] == "zoom-spokesperson-2020-08-03")
    open_page(browser, out / "docs" / f"{quote['doc_id']}.html")
    link = browser.find_element("css selector", f".text [data-layer='quote'][data-id='{quote['id']}'] a.tag")
    link.click()
    assert browser.current_url.endswith(f"/speakers/{quote['speaker']}.html")
    assert quote["id"] in browser.find_element("tag name", "main").text
    browser.save_screenshot(str(SHOTS / "speaker.png"))


def test_statement_page_aligns_every_outlet(site, browser):
    out, release = site
    open_page(browser, out / "statements" / "zoom-spokesperson-2020-08-03.html")
    rows = browser.find_elements("css selector", "main tbody tr")
    quoted = [q for q in release["quotes"] if q["statement_id"] == "zoom-spokesperson-2020-08-03"]
    assert len(rows) == len(quoted) and len({q["doc_id"] for q in quoted}) == 5
    browser.save_screenshot(str(SHOTS / "statement.png"))


def test_keyboard_reaches_marks_and_shows_details(site, browser):
    out, _ = site
    open_page(browser, out / "docs" / "crn-2020-08-03.html")
    from selenium.webdriver.common.keys import Keys

    body = browser.find_element("tag name", "body")
    for _ in range(12):  # skip link, navigation, then the first marks of the text
        body.send_keys(Keys.TAB)
        body = browser.switch_to.active_element
    assert body.get_attribute("data-tip")
    shown = browser.execute_script("return getComputedStyle(arguments[0], '::after').content", body)
    assert body.get_attribute("data-tip") in shown


TAG_AT_START = """return [...document.querySelectorAll(arguments[0] + ' [data-layer][tabindex]')]
  .map(e => [e.dataset.layer, e.firstChild === e.firstElementChild && e.firstElementChild.classList.contains('tag')]);"""


def test_the_legend_draws_marks_where_the_pages_do(site, browser):
    out, _ = site
    open_page(browser, out / "docs" / "crn-2020-08-03.html")
    page = {tuple(row) for row in browser.execute_script(TAG_AT_START, ".text")}
    legend = {tuple(row) for row in browser.execute_script(TAG_AT_START, ".legend .sample")}
    assert {layer for layer, _ in legend} == {"zone", "entity", "timex", "quote", "source", "cue"}
    assert legend <= page and all(first for _, first in page)  # every tag at its mark's start, on the page as in the legend
    assert "before the mention" in browser.find_element("css selector", ".legend").text


def test_statement_rows_show_each_outlets_exact_words(site, browser):
    out, release = site
    open_page(browser, out / "statements" / "zoom-spokesperson-2020-08-03.html")
    shown = browser.execute_script("""return [...document.querySelectorAll('main tbody td.diff')].map(td => [...td.childNodes]
      .filter(n => n.nodeName !== 'DEL' && !(n.classList && n.classList.contains('elided'))).map(n => n.textContent).join(''));""")
    quoted = sorted((q for q in release["quotes"] if q["statement_id"] == "zoom-spokesperson-2020-08-03"), key=lambda q: (q["doc_id"], q["start"]))
    assert shown == [q["text"] for q in quoted]
