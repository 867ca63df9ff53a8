"""The privacy section of /settings in real Chromium on a 390 px phone, with and without
JavaScript: turn personalization off and on, clear the history, download my data, delete the
account. Every request the pages make is watched: none may leave this server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_browser import (  # noqa: F401 - the module's server and browser fixtures
    PASSWORD,
    PHONE,
    base_url,
    browser,
    new_context,
    register,
    screenshot,
)

pytestmark = pytest.mark.browser
PAPER = "/papers/31000002"


def history_count(page: Any) -> int:
    page.goto("/settings#privacy")
    return int(page.locator("[data-history-count]").get_attribute("data-history-count"))


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_privacy_choices_on_a_phone(browser: Any, base_url: str, js: bool,  # noqa: F811
                                    tmp_path: Path) -> None:
    context = new_context(browser, base_url, js=js, accept_downloads=True)
    outside: list[str] = []
    context.on("request", lambda request: None if request.url.startswith(base_url)
               else outside.append(request.url))
    page = context.new_page()
    email = f"privacy-{'js' if js else 'nojs'}@example.org"
    register(page, email)
    page.goto(PAPER)
    assert history_count(page) == 1
    section = page.locator("#privacy")
    assert section.locator("[data-personalization=on]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, f"settings-privacy-390x844{'' if js else '-nojs'}.png")

    # clear my history (likes and saves stay unless ticked)
    section.get_by_role("button", name="Clear my history").click()
    page.wait_for_url("**/settings?privacy=cleared*")
    assert "Cleared: 1 paper view." in page.locator("#privacy .notice").inner_text()
    assert history_count(page) == 0

    # personalization off: the history goes and nothing new is recorded
    page.goto(PAPER)
    assert history_count(page) == 1
    page.get_by_role("button", name="Turn off and delete my reading history").click()
    page.wait_for_url("**/settings?privacy=off*")
    assert page.locator("#privacy [data-personalization=off]").is_visible()
    assert history_count(page) == 0
    page.goto(PAPER)
    assert history_count(page) == 0
    page.get_by_role("button", name="Turn personalization on").click()
    page.wait_for_url("**/settings?privacy=on*")
    page.goto(PAPER)
    assert history_count(page) == 1

    # download my data: the whole export, as a file
    with page.expect_download() as download:
        page.locator("#privacy").get_by_role("link", name="Download my data").click()
    saved = tmp_path / "export.json"
    download.value.save_as(saved)
    export = json.loads(saved.read_text())
    assert export["profile"]["email"] == email and len(export["history"]) == 1

    # delete my account: a typo in the confirmation is refused, then it goes
    form = page.locator("#privacy form.delete-account")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("input[name=confirm]").fill("someone@example.org")
    form.get_by_role("button", name="Delete my account").click()
    page.wait_for_load_state()
    assert "type its email address" in page.locator(".alert").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    form = page.locator("form.delete-account")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("input[name=confirm]").fill(email)
    form.get_by_role("button", name="Delete my account").click()
    page.wait_for_url("**/privacy?deleted=1")
    assert "Your account is deleted" in page.locator(".notice").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert {c["name"] for c in context.cookies()} <= {"litfeed_csrf"}
    page.goto("/settings")
    assert "/login" in page.url
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    assert "wrong email or password" in page.content()
    assert outside == []
    context.close()
