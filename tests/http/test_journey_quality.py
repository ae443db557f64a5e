"""The journey page's quality panel in headless Chromium: the selected contact's transcript
(collapsed, roles marked), its evaluation scores, and its recording played only for a
caller with contacts:recordings, who asks; the page reaches the gateway and, for the
recording alone, the emulator's S3."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of

from gateway.emulator import DEMO_INSTANCE_ID
from gateway.emulator.world.dataset import build_dataset
from gateway.http.auth.keys import new_key
from tests.browser import Browser, chromium
from tests.support import Emulator, Gateway

DEMO = build_dataset().instances[DEMO_INSTANCE_ID]


SEGMENTS = "query ($id: ID!) { contact(contactId: $id) { transcript { segments { content } } } }"


def _reviewed_call() -> dict[str, Any]:
    """An ended, analysed, evaluated call with a recording."""
    return next(
        r
        for r in DEMO.contacts.values()
        if r["Channel"] == "VOICE"
        and r.get("DisconnectTimestamp")
        and any(x.get("Status") == "AVAILABLE" for x in r.get("Recordings", ()))
        and DEMO.evaluations.of_contact(r["Id"])
        and _analysis(r) == "COMPLETED"
    )


def _analysis(record: dict[str, Any]) -> str | None:
    analytics = record.get("ContactLens", {}).get("ConversationalAnalytics", {})
    return analytics.get("ContactAnalysisReferenceState", {}).get("Status")  # type: ignore[no-any-return]


def _sign_in(browser: Browser, key: str) -> None:
    driver = browser.driver
    if not driver.find_element(By.ID, "credentials").get_attribute("open"):
        driver.find_element(By.CSS_SELECTOR, "#credentials summary").click()
    driver.find_element(By.ID, "secret").send_keys(key)
    driver.find_element(By.CSS_SELECTOR, "#credentials-form button").click()


def _quality(browser: Browser, contact_id: str) -> Any:
    return browser.wait(
        lambda driver: driver.find_elements(
            By.CSS_SELECTOR, f'section.quality[data-quality-for="{contact_id}"]'
        )
    )[0]


def _ask_for_the_recording(browser: Browser, panel: Any) -> None:
    panel.find_element(By.CSS_SELECTOR, ".recording button").click()
    browser.wait(lambda _: not panel.find_elements(By.CSS_SELECTOR, ".recording button"))


def test_the_panel_shows_transcript_scores_and_plays_only_for_recordings(
    start_gateway: Callable[..., Gateway], emulator: Emulator, tmp_path: Path
) -> None:
    call = _reviewed_call()
    reader, reader_entry = new_key("reader", ["contacts:read", "instance:*"])
    qa, qa_entry = new_key("qa", ["contacts:read", "contacts:recordings", "instance:*"])
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [reader_entry, qa_entry]}))
    gateway = start_gateway(auth="api-key", api_keys_file=keys)

    page = gateway.http.get("/journey")
    assert page.status_code == 200, page.text
    policy = page.headers["content-security-policy"]
    assert f"media-src 'self' {emulator.url}" in policy

    asked = gateway.http.post(
        "/graphql",
        json={"query": SEGMENTS, "variables": {"id": call["Id"]}},
        headers={"x-api-key": reader},
    ).json()["data"]["contact"]["transcript"]
    assert asked is not None, "the call has a transcript"

    with chromium(gateway.url, also=[emulator.url]) as browser:
        browser.open(f"/journey?contactId={call['Id']}")
        _sign_in(browser, reader)
        panel = _quality(browser, call["Id"])

        # The transcript: collapsed until opened, each turn marked with its role.
        transcript = panel.find_element(By.CSS_SELECTOR, "details.transcript")
        assert transcript.get_attribute("open") is None
        turns = panel.find_elements(By.CSS_SELECTOR, "details.transcript li.turn")
        assert len(turns) == len(asked["segments"])
        roles = {t.get_attribute("class").split("role-")[1] for t in turns}
        assert {"agent", "customer"} <= roles
        assert not turns[0].is_displayed()
        transcript.find_element(By.TAG_NAME, "summary").click()
        browser.wait(lambda _: turns[0].is_displayed())
        assert turns[0].find_element(By.CSS_SELECTOR, ".content").text

        # The evaluations' scores.
        scores = panel.find_elements(By.CSS_SELECTOR, ".evaluation .score")
        assert len(scores) == len(DEMO.evaluations.of_contact(call["Id"]))
        assert all(
            s.text.endswith("%") or s.text in ("automatic fail", "not applicable", "no score")
            for s in scores
        )

        # No recording for a reader: refused, nothing to play.
        _ask_for_the_recording(browser, panel)
        assert "contacts:recordings" in panel.find_element(By.CSS_SELECTOR, ".recording").text
        assert browser.driver.find_elements(By.TAG_NAME, "audio") == []

        # The QA key: a player of the emulator's WAV, loaded (its header) but not playing.
        _sign_in(browser, qa)
        browser.wait(staleness_of(panel))  # the page loads again with the new key
        panel = _quality(browser, call["Id"])
        _ask_for_the_recording(browser, panel)
        audio = panel.find_element(By.CSS_SELECTOR, ".recording audio")
        assert audio.get_attribute("src").startswith(f"{emulator.url}/_s3/")
        browser.wait(
            lambda driver: driver.execute_script("return arguments[0].readyState", audio) >= 1
        )
        assert browser.driver.execute_script("return arguments[0].duration", audio) > 0
        assert browser.driver.execute_script("return arguments[0].paused", audio) is True

        # Only the first ask, before a key was typed in, failed; no CSP violation.
        errors = browser.console_errors()
        assert len(errors) == 1, errors
        assert errors[0].endswith("/graphql - Failed to load resource: the server responded with a status of 401 (Unauthorized)")  # fmt: skip  # noqa: E501
