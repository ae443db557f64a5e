"""Token buckets and per-operation throttles on a fake clock."""

from __future__ import annotations

import pytest

from gateway.emulator import EmulatorOptions
from gateway.emulator.protocol.throttling import Throttle, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_full_bucket_allows_a_burst_then_refuses() -> None:
    bucket = TokenBucket(rate=2.0, burst=3, clock=Clock())
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_tokens_refill_at_the_rate_up_to_the_burst() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=2.0, burst=3, clock=clock)
    for _ in range(3):
        bucket.take()
    clock.now += 0.49
    assert not bucket.take()
    clock.now += 0.01
    assert bucket.take()
    clock.now += 60
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_each_operation_has_its_own_bucket() -> None:
    throttle = Throttle(rate=1.0, burst=1, clock=Clock())
    assert throttle.allow("DescribeContact")
    assert not throttle.allow("DescribeContact")
    assert throttle.allow("DescribeUser")


def test_no_rate_means_no_limit() -> None:
    throttle = Throttle(rate=None, burst=None)
    assert all(throttle.allow("DescribeContact") for _ in range(1000))


@pytest.mark.parametrize(
    ("rate", "burst", "size"), [(None, None, None), (0.5, None, 1), (2.5, None, 3), (2.0, 10, 10)]
)
def test_bucket_size_defaults_to_the_rate_rounded_up(
    rate: float | None, burst: int | None, size: int | None
) -> None:
    assert EmulatorOptions(rate=rate, burst=burst).bucket_size == size


@pytest.mark.parametrize("options", [{"latency_ms": -1}, {"rate": 0}, {"rate": 1, "burst": 0}])
def test_nonsense_options_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        EmulatorOptions(**options)  # type: ignore[arg-type]
