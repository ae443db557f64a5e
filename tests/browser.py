"""Headless Chromium for tests, reaching ONLY the gateway under test.

`chromium(origin)` starts Debian's Chromium through its chromedriver (selenium). Every
host name resolves to nothing, and every request not for `origin` goes to a proxy that
is not there (the loopback included), so a page that needs a CDN or any other server
fails here as it would on a network that reaches only the gateway. Console messages are
collected: `Browser.console_errors()` has CSP violations and failed loads among them.

Chromium is required: `.ci/run` installs it (`apt-get install chromium chromium-driver`);
elsewhere a test that needs it fails with that command, or is skipped only when
`ALLOW_NO_BROWSER=1` says so.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

__all__ = ["Browser", "chromium", "require_chromium"]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
# The discard port: nothing listens there, so a proxied request fails at once.
_NO_PROXY = "http://127.0.0.1:9"

T = TypeVar("T")


def require_chromium() -> None:
    """Fail (or skip, with ALLOW_NO_BROWSER=1) when Chromium or chromedriver is missing."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if shutil.which(path) is None]
    if not missing:
        return
    message = f"{', '.join(missing)} missing: apt-get install -y chromium chromium-driver"
    if os.environ.get("ALLOW_NO_BROWSER") == "1":
        pytest.skip(message)
    pytest.fail(message)


class Browser:
    """A Chromium confined to one origin: open its paths, wait on the page, read the console."""

    def __init__(self, driver: WebDriver, origin: str) -> None:
        self.driver = driver
        self.origin = origin
        self._console: list[dict[str, Any]] = []

    def open(self, path: str) -> None:
        self.driver.get(f"{self.origin}{path}")

    def wait(self, condition: Callable[[WebDriver], T], timeout: float = 60) -> T:
        """The first truthy value of `condition`, polled until `timeout` (generous: loaded CI)."""
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(condition)

    def console(self) -> list[dict[str, Any]]:
        """Every console message so far (Chromium hands each out once, so they are kept)."""
        self._console += self.driver.get_log("browser")
        return self._console

    def console_errors(self) -> list[str]:
        return [entry["message"] for entry in self.console() if entry["level"] == "SEVERE"]

    def fetch(self, url: str) -> str:
        """'reached' or 'blocked': whether the page's own script can get any answer from `url`."""
        script = """
            const done = arguments[arguments.length - 1];
            fetch(arguments[0], {mode: "no-cors", cache: "no-store"})
              .then(() => done("reached"), () => done("blocked"));
        """
        return str(self.driver.execute_async_script(script, url))

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))


def _options(
    origin: str, width: int, height: int, also: Sequence[str] = ()
) -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--proxy-server={_NO_PROXY}",
        # <-loopback> drops Chromium's implicit bypass of 127.0.0.1: only `origin` is direct.
        f"--proxy-bypass-list=<-loopback>;{';'.join(urlsplit(o).netloc for o in (origin, *also))}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


@contextmanager
def chromium(
    origin: str, width: int = 1400, height: int = 900, also: Sequence[str] = ()
) -> Iterator[Browser]:
    """A headless Chromium that reaches `origin` (scheme://host:port) and nothing else but
    the origins `also` names (where the gateway's presigned recording URLs point)."""
    require_chromium()
    service = Service(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=_options(origin, width, height, also), service=service)
    driver.set_page_load_timeout(120)
    driver.set_script_timeout(60)
    try:
        yield Browser(driver, origin.rstrip("/"))
    finally:
        driver.quit()
