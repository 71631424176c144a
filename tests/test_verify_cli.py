"""`sciplat verify`: bad input is one line and exit 2; an unreachable cluster one sentence and 4."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import yaml

from sciplat.errors import UsageError
from sciplat.verify.cli import DEFAULT_WAIT, VerifyCommand, parse_checks
from sciplat.verify.expected import read_outputs


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line and not line.startswith("warning:")]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kubeconfig(tmp_path: Path, server: str, *, context: str = "local") -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {"name": "c", "cluster": {"server": server, "insecure-skip-tls-verify": True}}
                ],
                "users": [{"name": "u", "user": {"token": "not-a-real-token"}}],
                "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}}],
                "current-context": context,
            }
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture(autouse=True)
def _no_gke_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCIPLAT_GKE_ENDPOINT", raising=False)


def test_unknown_environment(run_cli) -> None:
    result = run_cli("verify", "no-such-env", "--checks", "prepull")
    assert result.code == 2
    assert one_line(result.err).startswith(
        "env/no-such-env.yaml:1: (document): no such environment"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("prepull,bogus", "--checks: unknown check 'bogus' (checks: prepull, hub, storage, "),
        (" , ", "--checks: give one or more of prepull, hub"),
    ],
)
def test_bad_checks(value: str, message: str, run_cli) -> None:
    result = run_cli("verify", "stable", "--checks", value)
    assert result.code == 2
    assert one_line(result.err).startswith(message)


def test_checks_run_in_a_fixed_order_without_repeats() -> None:
    assert parse_checks("cluster,prepull,cluster") == ["prepull", "cluster"]
    assert parse_checks(None) == ["prepull", "hub", "storage", "placement", "cluster"]


def test_unreadable_kubeconfig(tmp_path: Path, run_cli) -> None:
    missing = run_cli("verify", "stable", "--kubeconfig", str(tmp_path / "nope"))
    assert missing.code == 2
    assert (
        one_line(missing.err)
        == f"{tmp_path / 'nope'}: cannot read the kubeconfig (No such file or directory)"
    )
    bad = tmp_path / "bad"
    bad.write_text("apiVersion: v1\nclusters: [\n  - name: x\n", encoding="utf-8")
    broken = run_cli("verify", "stable", "--kubeconfig", str(bad))
    assert broken.code == 2
    assert one_line(broken.err).startswith(f"{bad}:3: not a kubeconfig: not valid YAML")
    scalar = tmp_path / "scalar"
    scalar.write_text("just text\n", encoding="utf-8")
    assert run_cli("verify", "stable", "--kubeconfig", str(scalar)).code == 2


def test_unknown_context_names_the_known_ones(tmp_path: Path, run_cli) -> None:
    path = kubeconfig(tmp_path, "https://127.0.0.1:1", context="mine")
    result = run_cli("verify", "stable", "--kubeconfig", str(path), "--context", "theirs")
    assert result.code == 2
    assert one_line(result.err) == f"{path}: --context: no context 'theirs' (contexts: mine)"


def test_api_not_listening_is_exit_4_in_one_sentence(tmp_path: Path, run_cli) -> None:
    port = free_port()
    path = kubeconfig(tmp_path, f"https://127.0.0.1:{port}")
    result = run_cli(
        "verify", "stable", "--kubeconfig", str(path), "--checks", "prepull,hub",
        "--build-dir", str(tmp_path / "build"),
    )  # fmt: skip
    assert result.code == 4
    assert (
        "warning: no Terraform outputs: " in result.err
        and "not initialized; NFS servers and the proxy address are not compared" in result.err
    )
    assert one_line(result.err) == (
        f"Cannot reach the Kubernetes API at https://127.0.0.1:{port}: connection refused."
    )
    as_json = run_cli("verify", "stable", "--kubeconfig", str(path), "--json")
    assert as_json.code == 4
    doc = json.loads(as_json.out)
    assert doc["ok"] is False and doc["exit_code"] == 4 and "connection refused" in doc["error"]


def test_without_kubeconfig_or_google_credentials_is_exit_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli
) -> None:
    for var in (
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GOOGLE_CREDENTIALS",
        "GOOGLE_BACKEND_CREDENTIALS",
        "GOOGLE_OAUTH_ACCESS_TOKEN",
        "CLOUDSDK_AUTH_ACCESS_TOKEN",
        "CLOUDSDK_CONFIG",
        "GCE_METADATA_HOST",
        "APPDATA",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    result = run_cli("verify", "stable", "--checks", "prepull")
    assert result.code == 4
    assert one_line(result.err).startswith("No Google credentials found")
    assert "verify again" in result.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--wait", "-5"], "--wait"),
        (["--timeout", "0"], "--timeout"),
        (["--wait", "soon"], None),  # not a number: a bare --wait, then an extra argument
    ],
)
def test_bad_numbers_are_usage_errors(args: list[str], message: str | None, run_cli) -> None:
    result = run_cli("verify", "stable", *args)
    assert result.code == 2
    assert "Traceback" not in result.err
    if message:
        assert message in result.err


def test_bare_wait_takes_the_default_and_a_number_is_its_value() -> None:
    command = VerifyCommand(name="verify", callback=lambda **kw: None, params=[])
    seen: list[list[str]] = []

    def capture(self: object, ctx: object, args: list[str]) -> list[str]:
        seen.append(list(args))
        return []

    original = VerifyCommand.__mro__[1].parse_args
    try:
        VerifyCommand.__mro__[1].parse_args = capture  # type: ignore[method-assign]
        command.parse_args(None, ["stable", "--wait"])
        command.parse_args(None, ["stable", "--wait", "--json"])
        command.parse_args(None, ["stable", "--wait", "30"])
        command.parse_args(None, ["--wait", "stable"])
    finally:
        VerifyCommand.__mro__[1].parse_args = original  # type: ignore[method-assign]
    default = f"{DEFAULT_WAIT:g}"
    assert seen == [
        ["stable", "--wait", default],
        ["stable", "--wait", default, "--json"],
        ["stable", "--wait", "30"],
        ["--wait", default, "stable"],
    ]


def test_outputs_file_problems_name_the_file_and_field(tmp_path: Path, run_cli) -> None:
    bad = tmp_path / "outputs.json"
    bad.write_text('{\n  "proxy_ip": {"value": 7}\n}\n', encoding="utf-8")
    result = run_cli("verify", "stable", "--outputs", str(bad))
    assert result.code == 2
    assert one_line(result.err) == f"{bad}: proxy_ip: must be a string, not int"
    bad.write_text("{\n  oops\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"outputs.json:2: --outputs: not valid JSON"):
        read_outputs(bad)
    bad.write_text(
        json.dumps(
            {
                "proxy_ip": {"value": "34.1.2.3", "type": "string", "sensitive": False},
                "filestore_ips": {"value": {"home": "10.0.0.2", "shared": "10.0.0.3"}},
            }
        ),
        encoding="utf-8",
    )
    assert read_outputs(bad) == {
        "proxy_ip": "34.1.2.3",
        "filestore_ips": {"home": "10.0.0.2", "shared": "10.0.0.3"},
    }


def test_the_cli_loads_without_the_kubernetes_and_google_clients() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, sciplat.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'kubernetes' "
        "or m.startswith('google.cloud')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
