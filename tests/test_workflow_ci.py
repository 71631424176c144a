"""The scripts the CI workflows call, run locally: changed environments, PR comment, drift."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
CI = REPO / "scripts" / "ci"
sys.path.insert(0, str(CI))

import changed_envs  # noqa: E402
import drift_report  # noqa: E402
import post_review  # noqa: E402

KNOWN = ["int", "sandbox", "stable", "workshop"]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["env/int.yaml"], ["int"]),
        (["env/images/stable.json", "env/int.yaml"], ["int", "stable"]),
        (["modules/gke/main.tf"], KNOWN),
        (["terraform/variables.tf"], KNOWN),
        (["env/schema/environment.schema.json"], KNOWN),
        (["scripts/sciplat/capacity/planner.py"], KNOWN),
        (["scripts/sciplat/review/classify.py"], []),
        (["docs/operations.md", "tests/test_x.py", ".github/workflows/plan.yml"], []),
        (["env/retired.yaml"], []),  # deleted environment: nothing to plan
        (["./env/sandbox.yaml", ""], ["sandbox"]),
    ],
)
def test_touched(files: list[str], expected: list[str]) -> None:
    assert changed_envs.touched(files, KNOWN) == expected


def test_environments_are_the_env_files() -> None:
    assert changed_envs.environments() == sorted(p.stem for p in (REPO / "env").glob("*.yaml"))


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.mark.integration
def test_git_mode_on_a_real_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "env").mkdir()
    for name in ("int", "stable"):
        (tmp_path / "env" / f"{name}.yaml").write_text(f"name: {name}\n")
    (tmp_path / "README.md").write_text("x\n")
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "base")
    _git(tmp_path, "checkout", "-q", "-b", "change")
    (tmp_path / "env" / "stable.yaml").write_text("name: stable\n# more\n")
    (tmp_path / "README.md").write_text("y\n")
    _git(tmp_path, "commit", "-q", "-am", "change stable")
    assert changed_envs.main(["--git", "main", "--json", "--repo", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out) == ["stable"]
    with pytest.raises(SystemExit, match="git diff against nope failed"):
        changed_envs.main(["--git", "nope", "--repo", str(tmp_path)])


class FakeForge(BaseHTTPRequestHandler):
    """The three comment endpoints of the forge's REST API, in memory."""

    comments: ClassVar[list[dict[str, Any]]] = []
    requests: ClassVar[list[tuple[str, str]]] = []

    def _reply(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def do_GET(self) -> None:
        self.requests.append(("GET", self.path))
        if self.headers.get("Authorization") != "Bearer t0ken":
            self._reply(401, {"message": "Bad credentials"})
            return
        self._reply(200, self.comments)

    def do_POST(self) -> None:
        self.requests.append(("POST", self.path))
        comment = {"id": 100 + len(self.comments), "body": self._body()["body"]}
        self.comments.append(comment)
        self._reply(201, comment)

    def do_PATCH(self) -> None:
        self.requests.append(("PATCH", self.path))
        ident = int(self.path.rsplit("/", 1)[1])
        for comment in self.comments:
            if comment["id"] == ident:
                comment["body"] = self._body()["body"]
        self._reply(200, {"id": ident})

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def forge(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeForge]]:
    FakeForge.comments = [{"id": 7, "body": "someone else's comment"}]
    FakeForge.requests = []
    server = HTTPServer(("127.0.0.1", 0), FakeForge)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setenv("GITHUB_REPOSITORY", "sciplat/sciplat")
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    monkeypatch.setenv("GITHUB_RUN_ID", "555")
    yield FakeForge
    server.shutdown()


@pytest.mark.integration
def test_post_review_creates_then_updates_one_comment_per_environment(
    forge: type[FakeForge], tmp_path: Path
) -> None:
    review = tmp_path / "review.md"
    review.write_text("### ⛔ Plan review: `int`\n\nfirst\n")
    assert post_review.main(["--env", "int", "--review", str(review), "--pr", "42"]) == 0
    review.write_text("### ✅ Plan review: `int`\n\nsecond\n")
    assert post_review.main(["--env", "int", "--review", str(review), "--pr", "42"]) == 0
    assert post_review.main(["--env", "stable", "--review", str(review), "--pr", "42"]) == 0
    bodies = {c["id"]: c["body"] for c in forge.comments}
    assert len(bodies) == 3  # the stranger's comment, int's and stable's
    assert bodies[7] == "someone else's comment"
    assert "second" in bodies[101] and "first" not in bodies[101]
    assert bodies[101].startswith("<!-- sciplat-review:int -->")
    assert "/actions/runs/555" in bodies[101]
    methods = [m for m, _ in forge.requests]
    assert methods == ["GET", "POST", "GET", "PATCH", "GET", "POST"]
    assert all(p.startswith("/repos/sciplat/sciplat/issues/") for _, p in forge.requests)


@pytest.mark.integration
def test_post_review_reports_http_errors(
    forge: type[FakeForge], tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "wrong")
    with pytest.raises(SystemExit, match="HTTP 401"):
        post_review.main(["--env", "int", "--review", str(tmp_path / "r.md"), "--pr", "1"])


def test_post_review_needs_the_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    assert post_review.main(["--env", "int", "--review", str(tmp_path / "r"), "--pr", "1"]) == 2


def test_failed_plan_gets_a_note(tmp_path: Path) -> None:
    body = post_review.comment_body("int", tmp_path / "missing.md", "https://example.org/run/1")
    assert "Plan of `int` failed" in body and "https://example.org/run/1" in body


def test_long_reviews_are_cut_below_the_limit_with_details_closed(tmp_path: Path) -> None:
    review = tmp_path / "review.md"
    review.write_text("<details>\n<summary>x</summary>\n\n" + "- line\n" * 20_000 + "</details>\n")
    body = post_review.comment_body("int", review, None)
    assert len(body) <= post_review.MAX_BODY
    assert body.count("<details>") == body.count("</details>")
    assert "Review truncated" in body


def _review_json(tmp_path: Path, case: str) -> Path:
    from sciplat.review.cli import render, review_file

    text = render(review_file(REPO / "tests" / "fixtures" / "plans" / case / "plan.json"), "json")
    path = tmp_path / f"{case}.json"
    path.write_text(text or "")
    return path


def test_drift_report_fails_on_drift_and_writes_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = tmp_path / "summary.md"
    code = drift_report.main([str(_review_json(tmp_path, "platform")), "--summary", str(summary)])
    assert code == 1
    out = capsys.readouterr().out
    assert "2 resource(s) drifted" in out
    assert "module.network.google_compute_firewall.legacy: deleted outside Terraform" in out
    assert "autoscaling[0].total_max_node_count" in summary.read_text()


def test_drift_report_passes_without_drift(tmp_path: Path) -> None:
    assert drift_report.main([str(_review_json(tmp_path, "safe"))]) == 0


def test_drift_report_rejects_other_documents(tmp_path: Path) -> None:
    other = tmp_path / "x.json"
    other.write_text('{"schema": "something"}')
    assert drift_report.main([str(other)]) == 2


@pytest.mark.parametrize("text", ["[]", '"drift"', "null"])
def test_drift_report_rejects_json_that_is_not_an_object(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "x.json"
    other.write_text(text)
    assert drift_report.main([str(other)]) == 2  # never 1, which means "drifted"
    assert "not a sciplat.review v1 document" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "trigger"), [("plan.yml", "pull_request"), ("drift.yml", "schedule")]
)
def test_workflows_call_scripts_that_exist(name: str, trigger: str) -> None:
    text = (REPO / ".github" / "workflows" / name).read_text()
    doc = yaml.safe_load(text)
    triggers = doc.get(True) or doc.get("on")  # YAML 1.1 reads the key `on` as true
    assert trigger in triggers
    called = set(re.findall(r"scripts/ci/([\w.-]+\.py)", text))
    assert called, "the workflow should call its scripts, not inline logic"
    for script in called:
        assert (CI / script).is_file(), script
    uploaded = [s for s in doc["jobs"].get("plan", {}).get("steps", []) if "upload" in str(s)]
    for step in uploaded:  # the plan JSON holds sensitive values in clear: never uploaded
        assert "plan.json" not in step["with"]["path"]
