"""GraphiQL in headless Chromium that reaches only the gateway: the page renders from the
gateway's own assets, the example runs with one click, and the result shows the contact."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from selenium.webdriver.common.by import By

from tests.browser import chromium
from tests.chains import deepest
from tests.support import Emulator, Gateway

SCREENSHOT = Path(__file__).parent.parent.parent / "docs" / "graphiql.png"


def test_graphiql_runs_the_example_offline(
    start_gateway: Callable[..., Gateway], emulator: Emulator, tmp_path: Path
) -> None:
    contact = deepest(emulator.contacts())[-1]
    gateway = start_gateway(example_contact_id=contact["id"])

    with chromium(gateway.url) as browser:
        browser.open("/graphql")
        run = browser.wait(lambda d: d.find_element(By.CSS_SELECTOR, ".graphiql-execute-button"))
        editor = browser.driver.find_element(By.CSS_SELECTOR, ".graphiql-query-editor")
        assert "query ContactWithLinks" in editor.text
        tabs = [tab.text for tab in browser.driver.find_elements(By.CSS_SELECTOR, ".graphiql-tab")]
        assert any("SetDisposition" in tab for tab in tabs), tabs  # the example write
        assert (
            contact["id"]
            in browser.driver.find_element(By.CSS_SELECTOR, ".graphiql-editor-tools").text
            + browser.driver.page_source
        )
        run.click()
        result = browser.wait(lambda d: _result(d) if '"contact"' in _result(d) else None)
        browser.screenshot(tmp_path / "graphiql.png")
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            browser.screenshot(SCREENSHOT)

        assert contact["id"] in result
        assert '"previousContact"' in result
        browser.driver.find_element(By.CSS_SELECTOR, "button[data-name=headers]").click()
        headers = browser.wait(lambda d: d.find_element(By.CSS_SELECTOR, "[aria-label=Headers]"))
        assert headers.is_displayed(), "a place for X-API-Key or Authorization: Bearer"
        assert browser.console_errors() == []
    assert emulator.calls() >= 1


def _result(driver: object) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, ".graphiql-response").text)  # type: ignore[attr-defined]
