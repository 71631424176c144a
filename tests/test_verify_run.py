"""Running the checks: side by side, each with its own timeout, none hiding another."""

from __future__ import annotations

import threading
import time

import pytest

from sciplat.verify import run
from sciplat.verify.checks import CheckResult
from sciplat.verify.kube import KubeError, Unreachable


@pytest.fixture
def runners(monkeypatch: pytest.MonkeyPatch) -> dict:
    table = dict(run.RUNNERS)
    monkeypatch.setattr(run, "RUNNERS", table)
    return table


def test_a_hung_a_crashing_and_a_refused_check_never_hide_the_others(runners: dict) -> None:
    release = threading.Event()

    def hung(ctx: run.Context) -> CheckResult:
        release.wait(30)
        return CheckResult("prepull", "late")

    def crash(ctx: run.Context) -> CheckResult:
        raise RuntimeError("surprise\nsecond line")

    def forbidden(ctx: run.Context) -> CheckResult:
        raise KubeError(403, "Forbidden", 'persistentvolumes "x" is forbidden')

    def fine(ctx: run.Context) -> CheckResult:
        return CheckResult("placement", "all where they belong")

    def unreachable(ctx: run.Context) -> CheckResult:
        raise Unreachable("Cannot reach the GKE API: connection refused.")

    runners.update(prepull=hung, hub=crash, storage=forbidden, placement=fine, cluster=unreachable)
    started = time.monotonic()
    results = run.run_checks(
        ["prepull", "hub", "storage", "placement", "cluster"],
        run.Context(expected=None),  # type: ignore[arg-type]
        timeout=0.5,
    )
    elapsed = time.monotonic() - started
    release.set()
    assert elapsed < 3
    by_name = {r.name: r for r in results}
    assert [r.name for r in results] == ["prepull", "hub", "storage", "placement", "cluster"]
    assert by_name["prepull"].status == "error"
    assert by_name["prepull"].error == "no answer within 0.5 s (--timeout)"
    assert by_name["hub"].error == "RuntimeError: surprise"
    assert by_name["storage"].error.startswith("not allowed to read what the check needs (403")
    assert by_name["placement"].status == "pass"
    assert by_name["cluster"].unreachable
    assert run.exit_code(results) == 4
    assert run.exit_code([by_name["placement"], by_name["hub"]]) == 1
    assert run.exit_code([by_name["placement"]]) == 0


def test_wait_extends_only_the_prepull_timeout(runners: dict) -> None:
    def slow(name: str) -> object:
        def check(ctx: run.Context) -> CheckResult:
            time.sleep(0.8)
            return CheckResult(name, "done")

        return check

    runners.update(prepull=slow("prepull"), hub=slow("hub"))
    results = run.run_checks(
        ["prepull", "hub"],
        run.Context(expected=None, wait=2.0),  # type: ignore[arg-type]
        timeout=0.3,
    )
    assert results[0].status == "pass"  # 0.3 s + 2 s of --wait
    assert results[1].status == "error" and "0.3 s" in (results[1].error or "")
