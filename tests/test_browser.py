"""The test browser itself: it reaches the gateway under test and nothing else."""

from __future__ import annotations

from tests.browser import chromium
from tests.support import Emulator, Gateway


def test_the_browser_reaches_only_the_gateway(gateway: Gateway, emulator: Emulator) -> None:
    with chromium(gateway.url) as browser:
        browser.open("/healthz")
        assert '"ok"' in browser.driver.page_source

        assert browser.fetch(f"{gateway.url}/healthz") == "reached"
        assert browser.fetch(f"{emulator.url}/_emulator/stats") == "blocked"
        assert browser.fetch("http://localhost:80/") == "blocked"
        assert browser.fetch("https://unpkg.com/react") == "blocked"
