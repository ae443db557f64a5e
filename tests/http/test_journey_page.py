"""The journey page in headless Chromium that reaches only the gateway."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By

from gateway.cli import _example_contacts
from gateway.core.settings import Settings
from gateway.emulator import DEMO_INSTANCE_ID
from gateway.http.journey import media_sources
from tests.api.test_associated import consulted
from tests.browser import chromium
from tests.support import Emulator, Gateway

# docs/journey.md's picture:
#   JOURNEY_SCREENSHOT=docs/journey.png pytest tests/http/test_journey_page.py
SCREENSHOT = os.environ.get("JOURNEY_SCREENSHOT")


def drawn(browser: Any) -> list[str]:
    groups = browser.driver.find_elements(By.CSS_SELECTOR, "svg g.contact[data-contact-id]")
    return [group.get_attribute("data-contact-id") for group in groups]


def test_the_page_is_served_with_its_own_assets(gateway: Gateway) -> None:
    response = gateway.http.get("/journey", params={"contactId": "x"})
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "/static/journey/journey.js?v=" in response.text
    assert "//" not in response.text.replace("http://www.w3.org", "").split("<body>")[0].replace(
        "<!doctype html>", ""
    ).replace("data:,", "")
    for asset in ("journey.js", "journey.css"):
        assert gateway.http.get(f"/static/journey/{asset}").status_code == 200


def test_the_page_draws_the_whole_tree(
    gateway: Gateway, emulator: Emulator, tmp_path: Path
) -> None:
    tree = consulted(emulator.contacts())
    asked = next(r for r in tree if r["initiationMethod"] == "TRANSFER" and r["queueId"])
    with chromium(gateway.url, width=1400, height=760) as browser:
        browser.open(f"/journey?contactId={asked['id']}")
        browser.wait(lambda _: len(drawn(browser)) == len(tree))
        browser.wait(lambda driver: driver.find_elements(By.CSS_SELECTOR, "[data-details-for]"))

        assert drawn(browser) == [r["id"] for r in tree]
        highlighted = browser.driver.find_elements(By.CSS_SELECTOR, "g.contact.asked")
        assert [g.get_attribute("data-contact-id") for g in highlighted] == [asked["id"]]
        edges = browser.driver.find_elements(By.CSS_SELECTOR, "path.edge")
        links = sum(bool(r["previousContactId"]) + bool(r["relatedContactId"]) for r in tree[1:])
        assert len(edges) == links
        labels = browser.driver.find_elements(By.CSS_SELECTOR, "g.contact text.label")
        for label, row in zip(labels, tree, strict=True):
            assert label.text.startswith(row["initiationMethod"])
        shot = Path(SCREENSHOT) if SCREENSHOT else tmp_path / "journey.png"
        browser.screenshot(shot)
        assert shot.stat().st_size > 10_000

        other = tree[-1]["id"]
        selector = f'g.contact[data-contact-id="{other}"]'
        browser.driver.find_element(By.CSS_SELECTOR, selector).click()
        browser.wait(
            lambda driver: driver.find_elements(By.CSS_SELECTOR, f'[data-details-for="{other}"]')
        )
        assert browser.console_errors() == []


def test_the_demo_names_a_transferred_consulted_call(emulator: Emulator) -> None:
    _, journey = _example_contacts(emulator.url)
    tree = consulted(emulator.contacts())
    transferred = next(r for r in tree if r["id"] == journey)
    assert transferred["initiationMethod"] == "TRANSFER"
    assert any(r["previousContactId"] == journey and r["queueId"] is None for r in tree)


def test_recordings_may_play_from_where_they_are_presigned() -> None:
    arn = f"arn:aws:connect:eu-west-2:111122223333:instance/{DEMO_INSTANCE_ID}"
    on_aws = Settings(instance_id=arn, auth="none")
    assert media_sources(on_aws) == ("https://*.amazonaws.com",)
    elsewhere = Settings(instance_id=arn, auth="none", s3_endpoint_url="https://s3.example:9000/x")
    assert media_sources(elsewhere) == ("https://s3.example:9000",)
    emulators = Settings(
        instance_id=arn, auth="none", connect_endpoint_url="eu-west-2=http://127.0.0.1:8001"
    )
    assert media_sources(emulators) == ("http://127.0.0.1:8001",)
