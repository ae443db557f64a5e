"""The issuer's key set (gateway/http/auth/tokens.py's KeySet) against a real JWKS endpoint that
the tests hold, fail or feed garbage, with a fake clock: a held key never waits on a fetch,
fetches are single-flighted, and a failing issuer is asked once per (growing) backoff."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from gateway.core.errors import Unauthenticated, UpstreamUnavailable
from gateway.http.auth import tokens
from gateway.http.auth.tokens import TokenVerifier, scopes_of
from tests.http.auth.issuer import (
    AUDIENCE,
    ISSUER,
    FlakyIssuer,
    SigningKey,
    running_flaky_issuer,
)

TTL = 300.0
COOLDOWN = 30.0
NOT_OURS = "not signed by a key of the issuer"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def key() -> SigningKey:
    return SigningKey()


@pytest.fixture
def issuer(key: SigningKey) -> Iterator[FlakyIssuer]:
    with running_flaky_issuer(key) as issuer:
        yield issuer


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(issuer: FlakyIssuer, clock: Clock) -> TokenVerifier:
    return TokenVerifier(
        issuer.url,
        ISSUER,
        AUDIENCE,
        jwks_ttl_seconds=TTL,
        refetch_seconds=COOLDOWN,
        clock=clock,
    )


@pytest.fixture
async def primed(verifier: TokenVerifier, key: SigningKey, issuer: FlakyIssuer) -> TokenVerifier:
    """The verifier once it holds the issuer's key set (one fetch)."""
    assert (await verifier.caller(key.sign())).id == "sub:agent-7"
    assert issuer.fetches == 1
    return verifier


def stranger() -> str:
    """A well-formed token of a key (a kid) the issuer never had; EC keys are quick to make."""
    return SigningKey("ES256").sign()


async def until_asked(issuer: FlakyIssuer) -> None:
    """Until the issuer has a (held) request for its keys."""
    assert await asyncio.to_thread(issuer.asked.wait, 10), "the keys were never fetched"


async def outcomes(verifier: TokenVerifier, tokens: list[str]) -> list[BaseException | object]:
    return await asyncio.gather(*(verifier.caller(t) for t in tokens), return_exceptions=True)


async def test_a_held_key_never_waits_on_a_hanging_fetch(
    primed: TokenVerifier, key: SigningKey, issuer: FlakyIssuer, clock: Clock
) -> None:
    clock.advance(COOLDOWN)
    issuer.hold()
    waiting = [asyncio.create_task(primed.caller(stranger())) for _ in range(40)]
    await until_asked(issuer)

    async with asyncio.timeout(0.1):
        assert (await primed.caller(key.sign())).id == "sub:agent-7"

    assert not any(task.done() for task in waiting)
    issuer.release()
    for outcome in await asyncio.gather(*waiting, return_exceptions=True):
        assert isinstance(outcome, Unauthenticated)
        assert NOT_OURS in str(outcome)
    assert issuer.fetches == 2, "the 40 unknown kids joined one fetch"


async def test_a_failing_issuer_is_asked_once_and_strangers_get_401(
    primed: TokenVerifier,
    key: SigningKey,
    issuer: FlakyIssuer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tokens = [stranger() for _ in range(100)]
    clock.advance(COOLDOWN)
    issuer.failing = True
    issuer.hold()

    with caplog.at_level(logging.DEBUG):
        waited = [asyncio.create_task(primed.caller(token)) for token in tokens[:10]]
        await until_asked(issuer)
        issuer.release()
        # Those that waited on the failing fetch cannot tell: their key may be a new one.
        for outcome in await asyncio.gather(*waited, return_exceptions=True):
            assert isinstance(outcome, UpstreamUnavailable)
        # The rest come during the backoff: refused, with no fetch.
        for outcome in await outcomes(primed, tokens[10:]):
            assert isinstance(outcome, Unauthenticated)
            assert NOT_OURS in str(outcome)

    assert issuer.fetches == 2
    assert (await primed.caller(key.sign())).id == "sub:agent-7", "the held keys still answer"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "HTTP 500" in logged
    assert not any(token.split(".")[2] in logged for token in tokens)


async def test_after_a_failed_fetch_the_cooldown_allows_one_fetch_then_doubles(
    primed: TokenVerifier, key: SigningKey, issuer: FlakyIssuer, clock: Clock
) -> None:
    issuer.failing = True
    clock.advance(COOLDOWN)
    with pytest.raises(UpstreamUnavailable):
        await primed.caller(stranger())
    assert issuer.fetches == 2

    clock.advance(COOLDOWN - 0.5)
    with pytest.raises(Unauthenticated):
        await primed.caller(stranger())
    assert issuer.fetches == 2, "no fetch before the cooldown has passed"

    clock.advance(1)
    for outcome in await outcomes(primed, [stranger() for _ in range(5)]):
        assert isinstance(outcome, UpstreamUnavailable)
    assert issuer.fetches == 3, "exactly one fetch past the cooldown"

    clock.advance(COOLDOWN + 1)
    with pytest.raises(Unauthenticated):
        await primed.caller(stranger())
    assert issuer.fetches == 3, "a second failure in a row doubles the wait"

    clock.advance(COOLDOWN)
    issuer.failing = False
    with pytest.raises(Unauthenticated, match=NOT_OURS):
        await primed.caller(stranger())
    assert issuer.fetches == 4

    clock.advance(COOLDOWN)
    with pytest.raises(Unauthenticated):
        await primed.caller(stranger())
    assert issuer.fetches == 5, "a fetch that succeeds ends the backoff"


async def test_the_backoff_stops_growing_at_five_minutes(
    primed: TokenVerifier, issuer: FlakyIssuer, clock: Clock
) -> None:
    issuer.failing = True
    for fetches in range(2, 10):
        clock.advance(300)
        with pytest.raises(UpstreamUnavailable):
            await primed.caller(stranger())
        assert issuer.fetches == fetches


async def test_a_rotated_key_is_picked_up_after_the_cooldown(
    primed: TokenVerifier, key: SigningKey, issuer: FlakyIssuer, clock: Clock
) -> None:
    rotated = SigningKey("ES256")
    issuer.keys = [rotated]
    with pytest.raises(Unauthenticated, match=NOT_OURS):
        await primed.caller(rotated.sign())
    assert issuer.fetches == 1, "not before the cooldown"

    clock.advance(COOLDOWN)
    assert (await primed.caller(rotated.sign())).id == "sub:agent-7"
    assert issuer.fetches == 2
    with pytest.raises(Unauthenticated, match=NOT_OURS):
        await primed.caller(key.sign())
    assert issuer.fetches == 2, "the retired key is gone, and asks nothing"


async def test_a_stale_key_set_answers_while_its_refresh_fails(
    primed: TokenVerifier, key: SigningKey, issuer: FlakyIssuer, clock: Clock
) -> None:
    clock.advance(TTL)
    issuer.hold()
    async with asyncio.timeout(0.1):
        assert (await primed.caller(key.sign())).id == "sub:agent-7"
    joining = asyncio.create_task(primed.caller(stranger()))
    await until_asked(issuer)
    assert issuer.fetches == 2, "the stale set is refreshed in the background"

    issuer.failing = True
    issuer.release()
    with pytest.raises(UpstreamUnavailable):
        await joining
    assert (await primed.caller(key.sign())).id == "sub:agent-7"
    assert issuer.fetches == 2


async def test_a_stale_key_set_is_replaced_once_refreshed(
    primed: TokenVerifier, key: SigningKey, issuer: FlakyIssuer, clock: Clock
) -> None:
    issuer.keys = [SigningKey("ES256")]  # the issuer revoked `key`
    clock.advance(TTL)
    issuer.hold()
    assert (await primed.caller(key.sign())).id == "sub:agent-7"
    await until_asked(issuer)
    issuer.release()
    with pytest.raises(Unauthenticated):
        await primed.caller(stranger())  # joins the refresh, if still in flight
    with pytest.raises(Unauthenticated, match=NOT_OURS):
        await primed.caller(key.sign())
    assert issuer.fetches == 2


async def test_without_any_key_set_a_failing_issuer_is_503(
    verifier: TokenVerifier, key: SigningKey, issuer: FlakyIssuer, clock: Clock
) -> None:
    issuer.failing = True
    with pytest.raises(UpstreamUnavailable):
        await verifier.caller(key.sign())
    with pytest.raises(UpstreamUnavailable):
        await verifier.caller(key.sign())
    assert issuer.fetches == 1, "no fetch during the backoff, and no key to refuse by"

    issuer.failing = False
    clock.advance(COOLDOWN)
    assert (await verifier.caller(key.sign())).id == "sub:agent-7"
    assert issuer.fetches == 2


@pytest.mark.parametrize(
    "body",
    [
        b"<html>down for maintenance</html>",
        b"[]",
        b'{"keys": "none"}',
        b'{"keys": []}',
        b'{"keys": [{"kty": "oct", "kid": "shared", "k": "c2VjcmV0"}]}',
        b'{"keys": [{"kty": "RSA", "kid": "half", "n": "AQAB"}]}',
    ],
)
async def test_a_body_that_is_not_a_key_set_is_a_failed_fetch(
    primed: TokenVerifier, key: SigningKey, issuer: FlakyIssuer, clock: Clock, body: bytes
) -> None:
    issuer.body = body
    clock.advance(COOLDOWN)
    with pytest.raises(UpstreamUnavailable):
        await primed.caller(stranger())
    assert (await primed.caller(key.sign())).id == "sub:agent-7", "the held keys were kept"
    with pytest.raises(Unauthenticated):
        await primed.caller(stranger())
    assert issuer.fetches == 2, "and the next fetch waits for the backoff"


async def test_a_caller_that_goes_away_does_not_cancel_the_fetch(
    primed: TokenVerifier, issuer: FlakyIssuer, clock: Clock
) -> None:
    rotated = SigningKey("ES256")
    issuer.keys.append(rotated)
    clock.advance(COOLDOWN)
    issuer.hold()
    gone = asyncio.create_task(primed.caller(rotated.sign()))
    staying = asyncio.create_task(primed.caller(rotated.sign()))
    await until_asked(issuer)
    gone.cancel()
    issuer.release()

    assert (await staying).id == "sub:agent-7"
    assert gone.cancelled()
    assert issuer.fetches == 2


async def test_a_key_verifies_only_its_own_algorithm(
    primed: TokenVerifier, key: SigningKey, issuer: FlakyIssuer
) -> None:
    impostor = SigningKey("ES256", kid=key.kid)  # ES256, naming the issuer's RSA key
    with pytest.raises(Unauthenticated, match="alg"):
        await primed.caller(impostor.sign())
    assert issuer.fetches == 1


def test_scope_values_that_are_not_scope_tokens_are_ignored() -> None:
    spaced = ["contacts:pii contacts:read instance:*"]
    assert scopes_of({"scp": spaced}, None) == frozenset()
    assert scopes_of({"scp": ["contacts:read", "a\nb", 7]}, None) == {"contacts:read"}
    assert scopes_of({"scope": "contacts:read  instance:*"}, None) == {
        "contacts:read",
        "instance:*",
    }
    assert scopes_of({"scope": "contacts:read\ncontacts:pii"}, None) == frozenset()


class DecodeCount:
    """PyJWT's decode, counted: how many tokens were verified in full."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = jwt.decode

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(jwt, "decode", counted)


async def test_a_verified_token_is_remembered_until_its_exp(
    issuer: FlakyIssuer, key: SigningKey, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    wall = Clock()
    wall.now = time.time()
    verifier = TokenVerifier(
        issuer.url, ISSUER, AUDIENCE, leeway_seconds=30, clock=clock, wall_clock=wall
    )
    decoded = DecodeCount(monkeypatch)
    token = key.sign(exp=int(wall.now) + 60)

    for _ in range(3):
        assert (await verifier.caller(token)).id == "sub:agent-7"
    assert decoded.calls == 1, "verified once, then remembered"
    another = key.sign(exp=int(wall.now) + 60, jti="another")
    assert (await verifier.caller(another)).id == "sub:agent-7"
    assert decoded.calls == 2, "another token is verified on its own"

    wall.advance(60 + 30 + 1)  # past exp and the leeway
    assert (await verifier.caller(token)).id == "sub:agent-7"  # (still valid by real time)
    assert decoded.calls == 3, "past its exp, it is verified again"


async def test_a_failed_token_is_never_remembered(
    primed: TokenVerifier, key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded = DecodeCount(monkeypatch)
    bad = key.sign(aud="another-api")
    for _ in range(2):
        with pytest.raises(Unauthenticated, match="Audience"):
            await primed.caller(bad)
    assert decoded.calls == 2


async def test_remembered_tokens_are_bounded(
    primed: TokenVerifier, key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens, "REMEMBERED_TOKENS", 2)
    decoded = DecodeCount(monkeypatch)
    first, second, third = (key.sign(sub=f"agent-{n}") for n in range(3))
    for token in (first, second, third, third, second):
        await primed.caller(token)
    assert decoded.calls == 3
    await primed.caller(first)  # the least recently used, forgotten
    assert decoded.calls == 4
