"""The test browser itself: it reaches the gateway under test and nothing else."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.http.assets import page_response
from gateway.http.servers import ServerThread
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


def test_a_gateway_page_runs_no_inline_script_and_the_console_says_so() -> None:
    async def page(request: Request) -> Response:
        return page_response("<!doctype html><script>document.title = 'ran'</script>")

    app = Starlette(routes=[Route("/", page), Route("/favicon.ico", lambda r: Response())])
    with ServerThread(app) as server, chromium(server.url) as browser:
        browser.open("/")
        errors = browser.wait(lambda d: browser.console_errors())

        assert browser.driver.title == ""
        assert "Content Security Policy" in errors[0]
