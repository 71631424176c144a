"""`sciplat storage` and the usage job's measuring code, against real directory trees, with GNU
du as the peer for allocated bytes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sciplat.storage import MEASURE_SCRIPT, measure_module, report
from tests.conftest import REPO_ROOT

GIB = 2**30


def du_bytes(path: Path) -> int:
    """Allocated bytes of a tree, hard links once, one file system: GNU du."""
    out = subprocess.run(
        ["du", "-s", "-x", "--block-size=1", str(path)], capture_output=True, text=True, check=True
    )
    return int(out.stdout.split()[0])


def write(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    homes, shared = tmp_path / "homes", tmp_path / "shared"
    write(homes / "alice" / "data.bin", 3_000_000)
    write(homes / "alice" / "nested" / "deeper" / "x.txt", 10_000)
    write(homes / "bob" / "nb.ipynb", 120_000)
    (homes / "carol").mkdir()
    (homes / ".snapshot").mkdir()  # dot entries at the root are not homes
    write(shared / "catalog.parquet", 5_000_000)
    # A hard link is counted once; a symbolic link is not followed.
    os.link(homes / "alice" / "data.bin", homes / "alice" / "data-again.bin")
    os.symlink(shared, homes / "bob" / "shared-link")
    return homes, shared


def test_measure_agrees_with_du(tree: tuple[Path, Path]) -> None:
    homes, shared = tree
    m = measure_module().measure(homes, shared, now="2026-12-01T04:17:00Z")
    assert sorted(m["homes"]) == ["alice", "bob", "carol"]
    for name, used in m["homes"].items():
        assert used == du_bytes(homes / name), name
    assert m["shared"] == du_bytes(shared)
    assert m["home_total"] == sum(m["homes"].values())
    assert m["homes"]["alice"] < 2 * 3_000_000  # the hard link counted once


def test_the_job_script_writes_a_history_and_keeps_the_last_n(
    tree: tuple[Path, Path], tmp_path: Path
) -> None:
    homes, shared = tree
    out = tmp_path / "history.json"
    argv = [
        sys.executable, str(MEASURE_SCRIPT), "--home-root", str(homes),
        "--shared-root", str(shared), "--keep", "2", "--output", str(out),
    ]  # fmt: skip
    for _ in range(3):
        run = subprocess.run(argv, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
    history = json.loads(out.read_text())
    assert len(history) == 2
    assert "3 homes" in run.stdout


def test_storage_reports_top_users_totals_and_growth(
    tree: tuple[Path, Path], tmp_path: Path, run_cli
) -> None:
    homes, shared = tree
    store = tmp_path / "h.json"
    args = ["storage", "workshop", "--home-root", str(homes), "--shared-root", str(shared)]
    first = run_cli(*args, "--history", str(store), "--json")
    assert first.code == 0, first.err
    rep = json.loads(first.out)
    assert [u["user"] for u in rep["top"]] == ["alice", "bob", "carol"]
    assert rep["homes"]["growth_bytes"] is None and rep["previous_time"] is None
    assert rep["homes"]["capacity_gib"] == 1024  # workshop's home Filestore from the capacity plan
    assert rep["soft_limit_gib"] == 5

    carol_before = du_bytes(homes / "carol")
    write(homes / "carol" / "big.fits", 2_000_000)
    second = run_cli(*args, "--history", str(store), "--json", "--top", "2")
    rep = json.loads(second.out)
    assert [u["user"] for u in rep["top"]] == ["alice", "carol"]
    carol = rep["top"][1]
    assert carol["bytes"] == du_bytes(homes / "carol")
    assert carol["growth_bytes"] == du_bytes(homes / "carol") - carol_before
    assert rep["homes"]["growth_bytes"] == carol["growth_bytes"]
    assert rep["shared"]["growth_bytes"] == 0
    assert rep["measurements"] == 2

    table = run_cli(*args, "--history", str(store), "--plot", str(tmp_path / "u.png"))
    assert table.code == 0
    assert "Top 3 homes" in table.out and "alice" in table.out
    assert "Homes: " in table.out and "of 1,024 GiB" in table.out
    assert (tmp_path / "u.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_users_over_the_soft_limit_are_named(tmp_path: Path, run_cli) -> None:
    text = (REPO_ROOT / "env" / "workshop.yaml").read_text(encoding="utf-8")
    env = tmp_path / "workshop.yaml"
    env.write_text(text.replace("home_per_user_gib: 5", "home_per_user_gib: 0.1"))
    homes = tmp_path / "homes"
    write(homes / "heavy" / "a.bin", 120 * 2**20)
    write(homes / "light" / "a.bin", 1000)
    result = run_cli("storage", str(env), "--home-root", str(homes), "--json",
                     "--history", str(tmp_path / "h.json"))  # fmt: skip
    rep = json.loads(result.out)
    assert rep["over_soft_limit"] == ["heavy"]
    assert rep["top"][0]["soft_limit_percent"] > 100


def test_report_growth_against_the_previous_measurement() -> None:
    history = [
        {"time": "2026-11-30T04:17:00Z", "homes": {"a": 10, "b": 5}, "home_total": 15, "shared": 7},
        {"time": "2026-12-01T04:17:00Z", "homes": {"a": 4, "c": GIB}, "home_total": GIB + 4,
         "shared": 9},
    ]  # fmt: skip
    rep = report(history, soft_limit_gib=0.5, home_capacity_gib=100, shared_capacity_gib=10, top=5)
    by_user = {u["user"]: u for u in rep["top"]}
    assert by_user["a"]["growth_bytes"] == -6
    assert by_user["c"]["growth_bytes"] is None  # new since the previous measurement
    assert rep["over_soft_limit"] == ["c"]
    assert rep["homes"]["growth_bytes"] == GIB + 4 - 15
    assert rep["shared"]["growth_bytes"] == 2
    assert rep["days_since_previous"] == 1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--home-root", "no/such/dir"], "--home-root: no/such/dir is not a directory"),
        (["--shared-root", "."], "--shared-root needs --home-root"),
    ],
)
def test_bad_flags_are_one_line_exit_2(args: list[str], fragment: str, run_cli) -> None:
    result = run_cli("storage", "workshop", *args)
    assert result.code == 2
    assert fragment in result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1


def test_a_corrupt_history_is_one_line_exit_2(tree: tuple[Path, Path], tmp_path: Path, run_cli):
    homes, _ = tree
    store = tmp_path / "h.json"
    store.write_text('{"not": "a list"}')
    result = run_cli("storage", "workshop", "--home-root", str(homes), "--history", str(store))
    assert result.code == 2
    assert f"{store}:1: not a usage history" in result.err
    assert store.read_text() == '{"not": "a list"}'  # nothing half-written


def test_du_is_available() -> None:
    assert shutil.which("du"), "GNU du is the peer of these tests"
