"""The feed controls in real Chromium, on a phone: "Not interested in <topic>" hides the papers
at once (with undo, and for good on the next load), a journal and a MeSH topic followed from a
paper page appear in /settings' "Feed preferences", where they can be removed in place; the
same without JavaScript. Screenshots land in build/screenshots/.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from test_browser import CHROMIUM, PHONE, new_context, pressed, register, screenshot

from factories import fast
from feedkit import corpus
from litfeed.config import Settings
from litfeed.store import Store

pytestmark = pytest.mark.browser

CARD = "[data-item]:not([hidden])"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (make browser-deps)")
    pytest.importorskip("playwright.sync_api")
    import uvicorn

    from litfeed.web.app import create_app

    settings = fast(Settings(data_dir=tmp_path_factory.mktemp("browser-feed")))
    store = Store.open(settings)
    corpus(store, settings)  # 30 embedded papers: psychiatry, cardiology, oncology
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
        b = p.chromium.launch(executable_path=str(CHROMIUM),
                              args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def fits_the_phone(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"])


def visible_pmids(page: Any) -> list[str]:
    pmids: list[str] = page.eval_on_selector_all(
        CARD, "cards => cards.map(c => c.dataset.pmid)")
    return pmids


def test_mute_follow_and_settings_with_javascript(browser: Any, base_url: str) -> None:
    context = new_context(browser, base_url)
    page = context.new_page()
    register(page, "feedui-js@example.org")
    page.evaluate("window.__noReload = true")

    first = page.locator(CARD).first
    topics = first.locator("[data-feed-menu]").get_attribute("data-mute-topics").split("|")
    first.locator(".feed-menu-toggle").click()
    button = first.locator(".feed-menu-list button").first
    topic = button.inner_text().removeprefix("Not interested in ")
    assert topic.lower() in topics
    assert fits_the_phone(page)
    screenshot(page, "feed-not-interested-390x844.png")
    about = [p for p in visible_pmids(page)
             if topic.lower() in page.locator(f"[data-pmid='{p}'] [data-feed-menu]")
             .get_attribute("data-mute-topics").split("|")]
    button.click()

    # gone at once, with an undo in place
    page.wait_for_selector(f"[data-undo-for='{topic.lower()}']")
    assert not set(about) & set(visible_pmids(page)) and visible_pmids(page)
    assert topic in page.locator(".card-undo").inner_text()
    page.click(".card-undo button:has-text('Undo')")
    page.wait_for_selector(".card-undo", state="detached")
    assert set(about) <= set(visible_pmids(page))

    first = page.locator(CARD).first
    first.locator(".feed-menu-toggle").click()
    first.locator(f".feed-menu-list button:has-text('Not interested in {topic}')").click()
    page.wait_for_selector(".card-undo")
    assert page.evaluate("window.__noReload") is True  # all in place
    page.reload()
    assert not set(about) & set(visible_pmids(page)) and visible_pmids(page)

    # follow a journal and a MeSH topic from a paper page
    page.goto("/papers/2000")
    page.evaluate("window.__noReload = true")
    page.click("button:has-text('Follow Circulation')")
    page.wait_for_selector("button[aria-pressed=true]:has-text('Following Circulation')")
    page.click(".chip-menu summary:has-text('Hypertension')")
    page.click(".chip-menu[open] button:has-text('Follow this topic')")
    page.wait_for_selector(".chip-menu summary.followed:has-text('Hypertension')")
    assert page.evaluate("window.__noReload") is True
    assert fits_the_phone(page)
    screenshot(page, "paper-follow-390x844.png")

    page.click("nav a.avatar")
    page.wait_for_url("**/settings")
    prefs = page.locator("[data-feed-prefs]")
    assert prefs.locator("[data-follow-list=journals] li").all_inner_texts()[0] \
        .startswith("Circulation")
    assert "Hypertension" in prefs.locator("[data-follow-list=mesh]").inner_text()
    assert topic.lower() in prefs.locator("[data-muted-list]").inner_text()
    assert fits_the_phone(page)
    screenshot(page, "settings-feed-390x844.png")

    page.evaluate("window.__noReload = true")
    prefs.locator("[data-follow-list=journals] button:has-text('Remove')").click()
    page.wait_for_selector("[data-follow-list=journals]", state="detached")
    page.fill("[data-follow-add=authors] input[name=name]", "Reyes A")
    page.press("[data-follow-add=authors] input[name=name]", "Enter")
    page.wait_for_selector("[data-follow-list=authors] li:has-text('Reyes A')")
    page.locator("[data-muted-list] button:has-text('Unmute')").click()
    page.wait_for_selector("[data-muted-list]", state="detached")
    page.check("input[name=digest][value=weekly]")
    page.click("button:has-text('Save feed preferences')")
    page.wait_for_selector(".toast:has-text('Feed preferences saved')")
    assert page.evaluate("window.__noReload") is True
    page.reload()
    assert page.locator("input[name=digest][value=weekly]").is_checked()
    assert page.locator("[data-follow-list=journals]").count() == 0
    context.close()


def test_dislike_on_the_feed_offers_reasons_without_blocking(browser: Any,
                                                             base_url: str) -> None:
    context = new_context(browser, base_url)
    page = context.new_page()
    register(page, "feedui-reasons@example.org")
    card = page.locator(CARD).first
    assert card.locator(".reasons").is_hidden()
    card.locator("[data-act=dislike]").click()  # one click is the dislike
    page.wait_for_selector(f"{CARD}:first-child [data-act=dislike][aria-pressed=true]")
    assert card.locator(".reasons").is_visible()
    card.locator("[data-reason=already_read]").click()
    page.wait_for_selector(f"{CARD}:first-child [data-reason=already_read][aria-pressed=true]")
    context.close()


def test_mute_and_follow_without_javascript(browser: Any, base_url: str) -> None:
    context = new_context(browser, base_url, js=False)
    page = context.new_page()
    register(page, "feedui-nojs@example.org")
    first = page.locator(CARD).first
    pmid = first.get_attribute("data-pmid")
    first.locator(".feed-menu-toggle").click()  # <details> opens without script
    button = first.locator(".feed-menu-list button").first
    topic = button.inner_text().removeprefix("Not interested in ")
    button.click()
    page.wait_for_url("**/?muted=*")
    assert f"Papers about “{topic}” are hidden" in page.locator(".feed-undo").inner_text()
    assert pmid not in visible_pmids(page)
    page.click(".feed-undo button:has-text('Undo')")
    page.wait_for_url(f"{base_url}/")
    assert pmid in visible_pmids(page)

    page.goto("/papers/3000")
    page.click("button:has-text('Follow J Clin Oncol')")
    page.wait_for_load_state()
    assert pressed(page, "button:has-text('Following J Clin Oncol')") == "true"
    page.goto("/settings")
    page.fill("[data-follow-add=mesh] input[name=name]", "Neoplasms")
    page.click("[data-follow-add=mesh] button")
    page.wait_for_url("**/settings#feed")
    assert "J Clin Oncol" in page.locator("[data-follow-list=journals]").inner_text()
    assert "Neoplasms" in page.locator("[data-follow-list=mesh]").inner_text()
    assert fits_the_phone(page)
    context.close()
