"""The app in real Chromium (Debian's, through Playwright): a new reader's whole journey with
and without JavaScript, and the keyboard shortcuts. Screenshots of the paper page land in
build/screenshots/. One server and one browser serve the whole module.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from factories import add_papers, fast
from litfeed.config import Settings
from litfeed.models import AbstractSection, Author, Journal, MeshTerm, Paper
from litfeed.store import Store

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
PASSWORD = "a good long password"


def showcase_paper() -> Paper:
    """A made-up record shaped like a real one: structured abstract, markup, MeSH, an RCT."""
    authors = [("Ünal", "Ayşe"), ("Okafor", "Chidi"), ("Lindqvist", "Maja"), ("Tanaka", "Ken"),
               ("Moreau", "Claire"), ("Haddad", "Rami"), ("Silva", "Joana")]
    return Paper(
        pmid="31000001",
        title="Combining psychodynamic psychotherapy with antidepressants for major "
              "depression: a randomized controlled trial",
        title_html="Combining psychodynamic psychotherapy with antidepressants for major "
                   "depression: a randomized controlled trial",
        doi="10.1000/example.2021.001",
        abstract=(
            AbstractSection("BACKGROUND", "Many patients receive both treatments.",
                            "Many patients with depression receive psychotherapy and "
                            "medication together, yet few trials compare the combination "
                            "with either treatment alone."),
            AbstractSection("METHODS", "Adults were randomised.",
                            "Adults with major depressive disorder (<i>n</i> = 412) were "
                            "randomised to combined treatment, sertraline alone, or 16 weeks "
                            "of short-term psychodynamic psychotherapy."),
            AbstractSection("RESULTS", "Remission was higher.",
                            "Remission at week 24 was 48% with combined treatment versus 33% "
                            "with either monotherapy (OR 1.9, 95% CI 1.2-3.0; <i>p</i> &lt; "
                            "0.01). Serious adverse events were rare."),
            AbstractSection("CONCLUSIONS", "Combination helps.",
                            "Combining psychodynamic psychotherapy with an antidepressant "
                            "improved remission over either treatment alone."),
        ),
        authors=tuple(Author(last=last, fore=fore, initials=fore[0],
                             affiliations=(f"Department of Psychiatry, University Hospital "
                                           f"{1 + i % 3}",))
                      for i, (last, fore) in enumerate(authors)),
        journal=Journal(title="Journal of Clinical Psychiatry", iso_abbrev="J Clin Psychiatry",
                        issn="0160-6689", volume="82", issue="4", pages="e1-e12"),
        published="2021-07", year=2021,
        publication_types=("Journal Article", "Randomized Controlled Trial"),
        mesh=(MeshTerm("Depressive Disorder, Major", major=True, qualifiers=("therapy",)),
              MeshTerm("Psychotherapy, Psychodynamic", major=True),
              MeshTerm("Antidepressive Agents", qualifiers=("therapeutic use",)),
              MeshTerm("Humans"), MeshTerm("Adult")),
        keywords=("combined treatment", "remission"), language="eng",
    )


def list_paper(pmid: str, title: str, published: str) -> Paper:
    return Paper(pmid=pmid, title=title, title_html=title, published=published,
                 year=int(published[:4]), journal=Journal(iso_abbrev="BMJ"),
                 authors=(Author(last="Reyes", fore="Ana", initials="A"),),
                 abstract=(AbstractSection(None, "An abstract.", "An abstract."),),
                 publication_types=("Review",))


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (make browser-deps)")
    pytest.importorskip("playwright.sync_api")
    import uvicorn

    from litfeed.web.app import create_app

    data = tmp_path_factory.mktemp("browser")
    settings = fast(Settings(data_dir=data))
    store = Store.open(settings)
    add_papers(store, [showcase_paper(),
                       list_paper("31000002", "Exercise for depression in older adults",
                                  "2021-05"),
                       list_paper("31000003", "Sleep and mood: a narrative review", "2021-02")])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the app did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    store.close()


@pytest.fixture(scope="module")
def browser(base_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def new_context(browser: Any, base_url: str, *, viewport: dict[str, int] = PHONE,
                js: bool = True, **kwargs: Any) -> Any:
    context = browser.new_context(base_url=base_url, viewport=viewport,
                                  java_script_enabled=js, service_workers="block", **kwargs)
    # nothing may leave the machine: answer any outside request here (full-text links)
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(base_url)
                  else route.fulfill(status=200, body="outside page", content_type="text/plain"))
    context.set_default_timeout(10_000)
    return context


def register(page: Any, email: str) -> None:
    page.goto("/register")
    page.fill("input[name=name]", "Sam")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url("**/")


def pressed(page: Any, selector: str) -> str:
    value: str = page.locator(selector).first.get_attribute("aria-pressed")
    return value


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


PAPER = "/papers/31000001"
ACTIONS = ".paper-actions [data-actions]"


def test_new_reader_journey_with_javascript(browser: Any, base_url: str) -> None:
    context = new_context(browser, base_url)
    page = context.new_page()
    register(page, "js@example.org")
    assert "Welcome, Sam" in page.content()
    page.click("text=Combining psychodynamic psychotherapy")
    page.wait_for_url(f"**{PAPER}")
    assert page.locator("h1.paper-title").inner_text().startswith("Combining psychodynamic")
    assert page.locator(".badge-rct").inner_text() == "RCT"
    page.evaluate("window.__noReload = true")

    page.click(f"{ACTIONS} [data-act=like]")
    page.wait_for_selector(f"{ACTIONS} [data-act=like][aria-pressed=true]")
    page.click(f"{ACTIONS} [data-act=dislike]")
    page.wait_for_selector(f"{ACTIONS} [data-act=dislike][aria-pressed=true]")
    assert pressed(page, f"{ACTIONS} [data-act=like]") == "false"  # mutually exclusive
    page.click(f"{ACTIONS} .reasons [data-reason=weak_study]")
    page.wait_for_selector(f"{ACTIONS} [data-reason=weak_study][aria-pressed=true]")

    page.click(f"{ACTIONS} summary[data-act=save]")
    page.fill(f"{ACTIONS} input[name=new_collection]", "Journal club")
    page.click(f"{ACTIONS} [data-picker-done]")
    page.wait_for_selector(f"{ACTIONS} [data-act=save][aria-pressed=true]")
    page.wait_for_selector(".toast:has-text('Journal club')")
    assert page.evaluate("window.__noReload") is True  # all of it without a page load
    page.wait_for_selector(".toast", state="hidden", timeout=5000)
    screenshot(page, "paper-390x844.png")

    desktop = context.new_page()
    desktop.set_viewport_size(DESKTOP)
    desktop.goto(PAPER)
    assert pressed(desktop, f"{ACTIONS} [data-act=dislike]") == "true"  # it was stored
    screenshot(desktop, "paper-1280x800.png")
    dark = browser.new_context(base_url=base_url, viewport=PHONE, color_scheme="dark",
                               service_workers="block",
                               storage_state=context.storage_state())
    dark_page = dark.new_page()
    dark_page.goto(PAPER)
    screenshot(dark_page, "paper-390x844-dark.png")
    dark.close()

    page.click("nav >> text=Saved")
    page.wait_for_url("**/saved")
    assert page.locator(".tabs a", has_text="Journal club").count() == 1
    assert page.locator(".card-title", has_text="Combining psychodynamic").count() == 1
    screenshot(page, "saved-390x844.png")

    page.goto("/logout")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    page.goto("/saved")
    assert "/login" in page.url and page.locator("h1").inner_text() == "Log in"
    context.close()


def test_new_reader_journey_without_javascript(browser: Any, base_url: str) -> None:
    context = new_context(browser, base_url, js=False)
    page = context.new_page()
    register(page, "nojs@example.org")
    page.click("text=Combining psychodynamic psychotherapy")
    page.wait_for_url(f"**{PAPER}")

    page.click(f"{ACTIONS} [data-act=like]")  # a plain POST, then back to the page
    page.wait_for_load_state()
    assert pressed(page, f"{ACTIONS} [data-act=like]") == "true"
    page.click(f"{ACTIONS} [data-act=dislike]")
    page.wait_for_load_state()
    assert pressed(page, f"{ACTIONS} [data-act=dislike]") == "true"
    assert pressed(page, f"{ACTIONS} [data-act=like]") == "false"
    page.click(f"{ACTIONS} [data-reason=off_topic]")
    page.wait_for_load_state()
    assert pressed(page, f"{ACTIONS} [data-reason=off_topic]") == "true"

    page.click(f"{ACTIONS} summary[data-act=save]")  # <details> opens without script
    page.fill(f"{ACTIONS} input[name=new_collection]", "No-JS reading")
    page.click(f"{ACTIONS} [data-picker-done]")
    page.wait_for_load_state()
    assert pressed(page, f"{ACTIONS} [data-act=save]") == "true"

    page.goto("/saved")
    assert page.locator(".tabs a", has_text="No-JS reading").count() == 1
    assert page.locator(".card-title", has_text="Combining psychodynamic").count() == 1
    page.goto("/logout")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.goto("/saved")
    assert "/login" in page.url
    context.close()


def test_keyboard_shortcuts(browser: Any, base_url: str) -> None:
    context = new_context(browser, base_url, viewport=DESKTOP)
    page = context.new_page()
    register(page, "keys@example.org")
    cards = page.locator("[data-item]")
    assert cards.count() == 3
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    first = cards.nth(0)
    assert "is-current" in (first.get_attribute("class") or "")
    assert "is-current" not in (cards.nth(1).get_attribute("class") or "")
    page.keyboard.press("l")
    page.wait_for_selector("[data-item]:first-child [data-act=like][aria-pressed=true]")
    page.keyboard.press("d")
    page.wait_for_selector("[data-item]:first-child [data-act=dislike][aria-pressed=true]")
    page.keyboard.press("s")
    page.wait_for_selector("[data-item]:first-child [data-act=save][aria-pressed=true]")
    page.keyboard.press("s")
    page.wait_for_selector("[data-item]:first-child [data-act=save][aria-pressed=false]")

    page.keyboard.press("?")
    assert page.locator("dialog#help").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("dialog#help").is_visible()

    with context.expect_page() as card_link:
        page.keyboard.press("o")  # the selected card's "Full text" link, in a new tab
    assert card_link.value.url == "https://doi.org/10.1000/example.2021.001"
    card_link.value.close()

    page.keyboard.press("Enter")  # the selected paper opens
    page.wait_for_url(f"**{PAPER}")
    page.keyboard.press("l")
    page.wait_for_selector(f"{ACTIONS} [data-act=like][aria-pressed=true]")
    page.keyboard.press("l")
    page.wait_for_selector(f"{ACTIONS} [data-act=like][aria-pressed=false]")
    page.keyboard.press("s")
    page.wait_for_selector(f"{ACTIONS} [data-act=save][aria-pressed=true]")
    with context.expect_page() as opened:
        page.keyboard.press("o")
    assert opened.value.url == "https://doi.org/10.1000/example.2021.001"
    # typing in a field is typing, not shortcuts
    page.click(f"{ACTIONS} summary[data-act=save]")
    page.fill(f"{ACTIONS} input[name=new_collection]", "")
    page.type(f"{ACTIONS} input[name=new_collection]", "ld")
    assert pressed(page, f"{ACTIONS} [data-act=like]") == "false"
    context.close()


def test_search_on_a_phone(browser: Any, base_url: str) -> None:
    context = new_context(browser, base_url)
    page = context.new_page()
    register(page, "search@example.org")
    page.click("nav >> text=Search")
    page.wait_for_url("**/search")
    page.fill("input[name=q]", "depression AND (")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("[data-query-error]")
    assert "position 16" in page.locator("[data-query-error]").inner_text()

    page.fill("input[name=q]", "depression")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("[data-total='2']")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.click("summary:has-text('Filters')")
    page.check("input[name=type][value='Review']")
    page.click("text=Apply filters")
    page.wait_for_selector("[data-total='1']")
    assert page.locator(".card-title").inner_text() == "Exercise for depression in older adults"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "search-390x844.png")

    page.evaluate("window.__noReload = true")
    page.click("[data-item] [data-act=like]")
    page.wait_for_selector("[data-item] [data-act=like][aria-pressed=true]")
    assert page.evaluate("window.__noReload") is True  # liked in place

    page.click("text=Save this search")
    page.wait_for_url("**/searches")
    assert page.locator(".saved-search-card .card-title").inner_text() == "depression"
    assert "Review" in page.locator(".saved-search-card").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "searches-390x844.png")


def test_export_cite_and_import_on_a_phone_without_javascript(browser: Any, base_url: str,
                                                              tmp_path: Path) -> None:
    context = new_context(browser, base_url, js=False)
    page = context.new_page()
    register(page, "files@example.org")
    for pmid in ("31000001", "31000002"):
        page.goto(f"/papers/{pmid}")
        page.click(f"{ACTIONS} summary[data-act=save]")
        page.fill(f"{ACTIONS} input[name=new_collection]", "Reading")
        page.click(f"{ACTIONS} [data-picker-done]")
        page.wait_for_load_state()
    page.goto("/papers/31000001")
    cite = page.locator("section.cite")
    assert cite.locator("dt").all_inner_texts() == ["AMA", "Vancouver (NLM)", "APA"]
    assert "J Clin Psychiatry. 2021;82(4):e1-e12." in cite.locator(".cite-text").first.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    cite.screenshot(path=str(SCREENSHOTS / "cite-block-390.png"))

    page.goto("/saved")
    page.check("input[name=pmid][value='31000002']")  # tick one paper, then export it
    page.click("summary:has-text('Export / cite')")
    page.select_option("#selection select[name=format]", "ris")
    with page.expect_download() as download:
        page.click("#selection button:has-text('Export')")
    saved = tmp_path / "export.ris"
    download.value.save_as(saved)
    assert download.value.suggested_filename.endswith(".ris")
    assert "AN  - 31000002" in saved.read_text() and "31000001" not in saved.read_text()
    screenshot(page, "saved-export-390x844.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.click("#selection button:has-text('Cite')")  # the same form, another action
    page.wait_for_url("**/saved/cite?**")
    assert page.locator("h1").inner_text() == "Cite 1 selected paper"
    references = page.locator(".cite-references").inner_text()
    assert "Exercise for depression in older adults" in references

    page.goto("/saved")
    page.click("summary:has-text('Import')")
    ids = tmp_path / "ids.txt"
    ids.write_text("31000003\n99999999\nnot-an-id\n")
    page.set_input_files(".manage-panel input[type=file]", str(ids))
    page.fill(".manage-panel input[name=collection]", "Imported")
    page.click(".manage-panel .import-form button[type=submit]")
    page.wait_for_url("**/saved/import")
    report = page.locator(".import-report").inner_text()
    assert "1 of 2 entries matched" in report and "line 2: PMID 99999999" in report
    assert "Line 3: 'not-an-id'" in report
    screenshot(page, "import-390x844.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.click("text=Open “Imported”")
    assert page.locator(".card-title", has_text="Sleep and mood").count() == 1
    context.close()
