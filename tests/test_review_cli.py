"""`sciplat review` end to end: formats, exit codes and messages for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PLANS = Path(__file__).parent / "fixtures" / "plans"


def test_text_view_shows_findings_drift_cost_and_images(
    run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = run_cli("review", str(PLANS / "platform" / "plan.json"))
    assert result.code == 0
    out = result.out
    for expected in (
        "BLOCKING (6)",
        "WARNING (5)",
        "forced by: node_config[0].machine_type",
        "Drift: changed outside Terraform (2)",
        "Cost (estimated, per month)",
        "+ docker.io/lsstsqre/sciplat-lab:w_2026_44",
        "BLOCKED: 6 blocking findings",
    ):
        assert expected in out, expected
    assert "oauth-secret-value" not in out


def test_fail_on_blocking_exits_3_with_a_message(run_cli) -> None:
    result = run_cli("review", str(PLANS / "platform" / "plan.json"), "--fail-on", "blocking")
    assert result.code == 3
    assert "6 blocking" in result.err and "Traceback" not in result.err


def test_fail_on_blocking_passes_a_safe_plan(run_cli) -> None:
    result = run_cli("review", str(PLANS / "safe" / "plan.json"), "--fail-on", "blocking")
    assert result.code == 0
    assert "Nothing blocking; read the warnings" in result.out


def test_fail_on_warning_fails_a_plan_with_warnings(run_cli) -> None:
    result = run_cli("review", str(PLANS / "safe" / "plan.json"), "--fail-on", "warning")
    assert result.code == 3


def test_empty_plan_says_no_changes(run_cli) -> None:
    result = run_cli("review", str(PLANS / "nochanges" / "plan.json"), "-f", "md")
    assert result.code == 0
    assert "**No changes.** Nothing blocking." in result.out


def test_json_to_file_is_written_whole(run_cli, tmp_path: Path) -> None:
    target = tmp_path / "review.json"
    result = run_cli("review", str(PLANS / "safe" / "plan.json"), "-f", "json", "-o", str(target))
    assert result.code == 0 and result.out == ""
    doc = json.loads(target.read_text())
    assert doc["summary"]["blocking"] is False
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("{oops", "not valid JSON"),
        (
            '{"format_version": "2.1", "resource_changes": []}',
            "unsupported plan format_version 2.1",
        ),
    ],
)
def test_bad_input_exits_2_with_one_clear_message(
    run_cli, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    for fmt in ("text", "md", "json"):
        result = run_cli("review", str(path), "-f", fmt)
        assert result.code == 2
        assert message in result.err and str(path) in result.err
        assert "Traceback" not in result.err
        assert result.out == ""


def test_missing_file_exits_2(run_cli, tmp_path: Path) -> None:
    result = run_cli("review", str(tmp_path / "nope.json"))
    assert result.code == 2 and "no such file" in result.err


def test_output_with_text_format_is_a_usage_error(run_cli, tmp_path: Path) -> None:
    result = run_cli("review", str(PLANS / "safe" / "plan.json"), "-o", str(tmp_path / "x"))
    assert result.code == 2 and "--output needs" in result.err


def test_help_has_an_example(run_cli) -> None:
    result = run_cli("review", "--help")
    assert result.code == 0 and "Example: sciplat review" in result.out


def test_an_errored_plan_is_called_incomplete(run_cli, tmp_path: Path) -> None:
    doc = json.loads((PLANS / "safe" / "plan.json").read_text())
    doc["errored"] = True
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))
    result = run_cli("review", str(path), "-f", "md")
    assert result.code == 0
    assert "INCOMPLETE: Terraform reported errors while planning" in result.out
    assert result.out.startswith("### ⛔")


def test_terminal_and_plain_text_views_say_the_same() -> None:
    import io
    import re

    from rich.console import Console

    from sciplat.review.cli import render, review_file

    review = review_file(PLANS / "platform" / "plan.json", title="platform")
    plain, colour = io.StringIO(), io.StringIO()
    render(review, "text", Console(file=plain, width=200))
    render(review, "text", Console(file=colour, width=200, force_terminal=True))
    assert "\x1b[" in colour.getvalue() and "\x1b[" not in plain.getvalue()
    stripped = re.sub(r"\x1b\[[0-9;]*m", "", colour.getvalue())
    assert stripped == plain.getvalue()


def test_plan_from_standard_input(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO((PLANS / "safe" / "plan.json").read_text()))
    result = run_cli("review", "-", "-f", "json")
    assert result.code == 0
    assert json.loads(result.out)["plan"]["source"] == "<stdin>"
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    empty = run_cli("review", "-")
    assert empty.code == 2 and "<stdin>: the file is empty" in empty.err


def test_output_that_cannot_be_written_is_a_usage_error(run_cli, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    target = tmp_path / "file" / "r.md"
    result = run_cli("review", str(PLANS / "safe" / "plan.json"), "-f", "md", "-o", str(target))
    assert result.code == 2
    assert f"--output: {target}: cannot write" in result.err
    assert "Traceback" not in result.err
    assert [p.name for p in tmp_path.iterdir()] == ["file"]
