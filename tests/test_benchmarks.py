"""The benchmarks run end to end: tiny parameters, a quota nothing exceeds, a full table."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.long(20)  # processes and builds: scheduled first

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = (
    "gateway x2",
    "gateway x1",
    "baseline x2",
    "baseline x2, no quota",
    "redis killed x2",
)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server on PATH")
def test_quota_benchmark_answers_every_query_in_every_scenario() -> None:
    command = [
        sys.executable, str(ROOT / "benchmarks" / "quota.py"), "--requests", "40",
        "--clients", "4", "--rate", "100", "--burst", "100", "--max-seconds", "30",
        "--baseline-seconds", "30",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=ROOT)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for name in SCENARIOS:
        [row] = [line for line in lines if line.startswith(f"{name} ")]
        answered = row[len(name) :].split()[0]
        assert answered == "40", row
    assert any(line.startswith("upstream calls per query, baseline / gateway x2") for line in lines)
    assert any(line.startswith("redis killed after") for line in lines)


@pytest.mark.skipif(shutil.which("redis-cli") is None, reason="needs redis-server and redis-cli")
def test_cluster_benchmark_answers_every_query_on_both_stores() -> None:
    command = [
        sys.executable, str(ROOT / "benchmarks" / "cluster.py"), "--requests", "30",
        "--clients", "4", "--rate", "100", "--burst", "100", "--max-seconds", "30",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=ROOT)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for name in ("one Redis x2", "cluster x2"):
        [row] = [line for line in lines if line.startswith(f"{name} ")]
        assert row[len(name) :].split()[0] == "30", row
    assert any(line.startswith("upstream calls per query, cluster / one Redis") for line in lines)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server on PATH")
def test_center_benchmark_runs_a_small_center_and_prints_its_targets() -> None:
    command = [
        sys.executable, str(ROOT / "benchmarks" / "center.py"), "--arrivals", "1",
        "--seconds", "6", "--warmup", "2", "--dashboards", "1",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=ROOT)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    [errors] = [line for line in lines if line.strip().startswith("answers with errors")]
    assert errors.split()[3] == "0", errors
    assert any(line.strip().startswith("DescribeContact per arriving contact") for line in lines)
    assert any(line.startswith("freshness:") for line in lines)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server on PATH")
def test_neighbour_benchmark_prints_its_three_figures() -> None:
    command = [
        sys.executable, str(ROOT / "benchmarks" / "neighbour.py"), "--requests", "60",
        "--clients", "4", "--neighbour-rate", "2",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    [errors] = [line for line in lines if line.startswith("client reads with an error")]
    assert "0 of 60" in errors, errors
    assert any(line.startswith("the gateway's calls answered 429") for line in lines)
    assert any(line.startswith("the neighbour's calls answered 429") for line in lines)


def test_warm_path_benchmark_prints_every_figure() -> None:
    command = [
        sys.executable, str(ROOT / "benchmarks" / "warm_path.py"), "--seconds", "1",
        "--rounds", "1", "--connections", "2", "--samples", "1",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    servers = ("gateway, executed", "gateway, cached", "naive Strawberry", "raw graphql-core")
    for name in (*servers, "bare endpoint"):
        [row] = [line for line in lines if line.startswith(f"{name} ")]
        answered, failed = float(row.split()[2]), row.split()[-1]
        assert answered > 0, row
        assert failed == "0", row
    starts = ("cache hit / bare endpoint", "gateway executed / naive", "gateway cached / naive")
    for start in (*starts, "cold chain, D = "):
        assert any(line.startswith(start) for line in lines), start
    assert any(line.startswith("RSS, response cache full") for line in lines)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server on PATH")
def test_truth_benchmark_judges_a_small_center() -> None:
    command = [
        sys.executable, str(ROOT / "benchmarks" / "truth.py"), "--seconds", "6",
        "--arrivals", "1", "--time-scale", "100", "--poll-seconds", "0.5",
        "--ttl-active", "5",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=240, cwd=ROOT)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("answers with a wrong member: 0 of ") for line in lines), lines
    assert any(line.startswith("DescribeContact: ") for line in lines)
    assert lines[-1].endswith(": met"), lines


def test_the_truth_checker_finds_a_wrong_member() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import truth  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    history = [
        {"at": 100.0, "contact": {"Id": "c", "LastUpdateTimestamp": "2026-01-01T00:00:00Z"}},
        {"at": 110.0, "contact": {"Id": "c", "LastUpdateTimestamp": "2026-01-01T00:00:10Z"}},
    ]
    old = {"id": "c", "lastUpdateTimestamp": "2026-01-01T00:00:00.000Z"}
    never = {"id": "c", "lastUpdateTimestamp": "2025-01-01T00:00:00.000Z"}
    answers = [
        truth.Answer("c", 112.0, 112.1, old),  # 2 s behind: within 5 s
        truth.Answer("c", 130.0, 130.1, old),  # 20 s behind: wrong
        truth.Answer("c", 105.0, 105.1, never),  # never DescribeContact's: wrong
    ]

    bad, _, wrong, behind, _ = truth.judge(answers, {"c": history}, (5.0, 5.0))

    assert bad == 2
    assert wrong["lastUpdateTimestamp"] == 2
    assert behind["lastUpdateTimestamp"] == 1


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server on PATH")
def test_writes_benchmark_sees_every_write_on_the_other_replica() -> None:
    command = [
        sys.executable, str(ROOT / "benchmarks" / "writes.py"), "--seconds", "4",
        "--writers", "2", "--contacts", "10",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=240, cwd=ROOT)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("writes served: ") for line in lines), lines
    assert any(line.startswith("lag to the other replica: p50 ") for line in lines), lines
    assert lines[-1].endswith(": met"), lines
