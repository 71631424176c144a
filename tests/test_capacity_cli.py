"""`sciplat capacity`: output formats, the plot, and errors for people (exit 2, no traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sciplat.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCIPLAT = Path(sys.executable).parent / "sciplat"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["capacity", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_table_shows_binding_constraint_and_cost_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "stable")
    assert code == 0, err
    assert "binding: CPU guarantee" in out
    for line in ("user nodes", "boot disks", "local SSD", "Filestore homes", "Cloud NAT"):
        assert line in out
    assert "$10,582.20" in out
    assert "Scale on paper" in out
    assert "At 10,000 concurrent users" in out


def test_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "stable", "--users", "250", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["users"]["peak_concurrent"] == 250
    assert d["node"]["machine_type"] == "n2-standard-8"
    assert d["node"]["allocatable"]["cpu"] == pytest.approx(7.91)
    assert d["user_pool"]["max_nodes"] == 22  # 250 x 1.2 / 14
    assert d["filestore"]["home"]["tier"] in ("BASIC_HDD", "ZONAL")
    assert d["scale"]["targets"][0]["users"] == 1000
    assert "optimizer" not in d


def test_without_env_uses_the_seed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json")
    assert code == 0
    d = json.loads(out)
    assert d["environment"] == "seed"
    assert d["node"]["machine_type"] == "n2-custom-6-16384"
    assert d["users"]["peak_concurrent"] == 100


def test_optimize_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "stable", "--optimize", "--markdown")
    assert code == 0
    assert out.startswith("## Capacity plan: stable")
    assert "### Optimizer (100 concurrent users)" in out
    assert "| configured | n2-standard-8 |" in out
    assert "| seed shape | n2-custom-6-16384 |" in out
    code, out, _ = run(capsys, "stable", "--optimize", "--json")
    opt = json.loads(out)["optimizer"]
    assert opt["top"][0]["monthly_usd"] <= opt["configured"]["monthly_usd"]


def test_optimize_table_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "stable", "--optimize")
    assert code == 0, err
    assert "Optimizer: cheapest machine types for 100 concurrent users" in out
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 6}
    assert "n2-standard-8" in rows["configured"] and "$10,582.20" in rows["configured"]
    assert "n2-custom-6-16384" in rows["seed shape"]
    assert "e2-highcpu-16" in rows["#1"] and "pods per node" in rows["#1"]


def test_machine_type_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "stable", "--machine-type", "n2-standard-16", "--json")
    assert code == 0
    assert json.loads(out)["node"]["machine_type"] == "n2-standard-16"


def test_plot_is_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "capacity.png"
    code, _, err = run(capsys, "stable", "--plot", str(target))
    assert code == 0, err
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".capacity-")]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["stable", "--machine-type", "n2-standard-7"],
            "--machine-type: unknown machine type 'n2-standard-7'",
        ),
        (["stable", "--machine-type", "n2-standard-2"], "--machine-type: one user at the CPU"),
        (["stable", "--users", "0"], "--users: 0 is out of range"),
        (["stable", "--users", "1000000"], "out of range"),
        (["stable", "--plot", "capacity.svg"], "PNG"),
        (["stable", "--json", "--markdown"], "choose one"),
        (["no-such-env"], "no-such-env"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err
    assert out == ""


def test_error_names_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "env" / "stable.yaml").read_text()
    data = yaml.safe_load(text)
    assert data["node_pools"]["user"][0]["local_ssd_count"] == 1
    # A 100 GiB boot disk without local SSD cannot hold 9 images of 10 GiB.
    text = text.replace(
        "      disk_size_gib: 200\n      local_ssd_count: 1\n",
        "      disk_size_gib: 100\n      local_ssd_count: 0\n",
    )
    path = tmp_path / "stable.yaml"
    path.write_text(text)
    line = next(
        i
        for i, s in enumerate(text.splitlines(), 1)
        if "disk_size_gib: 100" in s and i > text.splitlines().index("  user:")
    )
    plot = tmp_path / "never.png"
    code, _, err = run(capsys, str(path), "--plot", str(plot))
    assert code == 2
    assert f"stable.yaml:{line}: node_pools.user[0].disk_size_gib:" in err
    assert "image cache" in err
    assert not plot.exists()  # nothing half-written


def test_prices_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "prices.yaml"
    bad.write_text("region: nowhere\n")
    code, _, err = run(capsys, "stable", "--prices", str(bad))
    assert code == 2 and "price table lacks" in err


@pytest.mark.integration
def test_installed_command_runs(tmp_path: Path) -> None:
    """The installed console script, as a planner runs it."""
    result = subprocess.run(
        [str(SCIPLAT), "capacity", "stable", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["binding_constraint"] == "cpu"
    result = subprocess.run(
        [str(SCIPLAT), "capacity", "--users", "abc"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_plot_marks_where_the_plan_refuses(tmp_path: Path) -> None:
    from sciplat.capacity import Planner
    from sciplat.capacity.plot import sweep, sweep_points

    env = yaml.safe_load((ROOT / "env" / "stable.yaml").read_text())
    env["network"]["pods_cidr"] = "10.12.0.0/18"  # 16,384 addresses: 244 user nodes
    points = sweep(Planner(env), sweep_points())
    refused = [p for p in points if "refused" in p]
    assert refused and refused[0]["refused"].startswith("network.pods_cidr:")
    first = refused[0]["users"]
    assert all("refused" in p for p in points if p["users"] >= first)  # monotone
    assert sweep_points()[0] == 1 and sweep_points()[-1] == 10_000


def test_markdown_has_the_scale_table_and_every_cost_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "stable", "--markdown")
    assert code == 0
    assert "### Scale on paper" in out
    assert "| hub size | 5,000 |" in out
    assert "- 1,000 concurrent users: first to break: Filestore instance maximum (homes)." in out
    assert "| **total** |  | **$10,582.20** |  |" in out
    assert "| CPU guarantee | 14 | **binds** |" in out
    # A Markdown table row per cost line, each with a dollar amount.
    rows = [r for r in out.splitlines() if r.startswith("| ") and "-month" in r]
    assert len(rows) >= 6 and all("$" in r for r in rows)


def test_plot_into_a_path_that_cannot_be_written_is_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("not a directory")
    target = tmp_path / "file" / "capacity.png"
    code, _, err = run(capsys, "stable", "--plot", str(target))
    assert code == 2
    assert f"--plot: {target}: cannot write" in err
    assert "Traceback" not in err
