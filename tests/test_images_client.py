"""Registry client pieces that need no server: hosts, challenges, Link headers, credentials."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from sciplat.images.registry import (
    Credentials,
    _next_link,
    api_base_url,
    load_credentials,
    normalize_repository,
    parse_challenge,
)


def test_api_hosts() -> None:
    assert api_base_url("docker.io") == "https://registry-1.docker.io"
    assert api_base_url("us-docker.pkg.dev") == "https://us-docker.pkg.dev"
    assert api_base_url("127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert api_base_url("localhost:5000") == "http://localhost:5000"
    assert api_base_url("http://127.0.0.1:5000/") == "http://127.0.0.1:5000"
    assert api_base_url("https://quay.io") == "https://quay.io"
    assert normalize_repository("docker.io", "ubuntu") == "library/ubuntu"
    assert normalize_repository("docker.io", "lsstsqre/sciplat-lab") == "lsstsqre/sciplat-lab"
    assert normalize_repository("quay.io", "ubuntu") == "ubuntu"


def test_parse_challenge() -> None:
    scheme, params = parse_challenge(
        'Bearer realm="https://auth.example/token",service="registry.example",'
        'scope="repository:a/b:pull,push"'
    )
    assert scheme == "bearer"
    assert params == {
        "realm": "https://auth.example/token",
        "service": "registry.example",
        "scope": "repository:a/b:pull,push",
    }
    assert parse_challenge('Basic realm="x"') == ("basic", {"realm": "x"})
    assert parse_challenge("Bearer realm=https://a/t, service=s") == (
        "bearer",
        {"realm": "https://a/t", "service": "s"},
    )


def test_next_link() -> None:
    assert _next_link('</v2/r/tags/list?n=2&last=b>; rel="next"') == "/v2/r/tags/list?n=2&last=b"
    assert _next_link('<https://x/a>; rel="prev", <https://x/b>; rel="next"') == "https://x/b"
    assert _next_link(None) is None
    assert _next_link('<https://x/a>; rel="prev"') is None


@pytest.fixture
def no_env_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCIPLAT_REGISTRY_USERNAME", raising=False)
    monkeypatch.delenv("SCIPLAT_REGISTRY_PASSWORD", raising=False)


def test_credentials_from_docker_config_auths(tmp_path: Path, no_env_credentials: None) -> None:
    config = tmp_path / "config.json"
    auth = base64.b64encode(b"alice:s3:cret").decode()
    config.write_text(
        json.dumps(
            {
                "auths": {
                    "https://index.docker.io/v1/": {"auth": auth},
                    "127.0.0.1:5000": {"username": "bob", "password": "pw"},
                }
            }
        )
    )
    assert load_credentials("docker.io", config) == Credentials("alice", "s3:cret")
    assert load_credentials("http://127.0.0.1:5000", config) == Credentials("bob", "pw")
    assert load_credentials("quay.io", config) is None
    assert load_credentials("quay.io", tmp_path / "missing.json") is None
    (tmp_path / "bad.json").write_text("{")
    assert load_credentials("quay.io", tmp_path / "bad.json") is None


def test_credentials_from_a_credential_helper(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_env_credentials: None
) -> None:
    helper = tmp_path / "docker-credential-sciplattest"
    helper.write_text(
        "#!/bin/sh\nread host\n"
        'printf \'{"ServerURL":"%s","Username":"oauth2accesstoken","Secret":"tok-%s"}\' '
        '"$host" "$host"\n'
    )
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credHelpers": {"us-docker.pkg.dev": "sciplattest"}}))
    assert load_credentials("us-docker.pkg.dev", config) == Credentials(
        "oauth2accesstoken", "tok-us-docker.pkg.dev"
    )


def test_credentials_from_environment_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCIPLAT_REGISTRY_USERNAME", "ci")
    monkeypatch.setenv("SCIPLAT_REGISTRY_PASSWORD", "pw")
    assert load_credentials("quay.io", tmp_path / "none.json") == Credentials("ci", "pw")
