"""The JWT header authenticator (modules/hub/values/hub/jwtauth.py), run in the Hub's Python with
keys the harness generates and a JWKS it serves on 127.0.0.1 (tests/harness/jwt_login.py)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_or_skip

REPO = Path(__file__).resolve().parents[1]
HARNESS = REPO / "tests" / "harness" / "jwt_login.py"
ISSUER = "https://login.sciplat.example.org"
AUDIENCE = "https://stable.sciplat.example.org"

pytestmark = pytest.mark.integration


def hub_python() -> Path:
    """The Hub's Python (`make hub-venv`): JupyterHub, PyJWT and cryptography of the hub image."""
    named = os.environ.get("SCIPLAT_HUB_PYTHON")
    path = Path(named) if named else REPO / ".venv-hub" / "bin" / "python"
    if not path.is_file():
        message = f"no Hub Python at {path}; run `make hub-venv`"
        require_or_skip(message)
    return path


def claims(**extra: Any) -> dict[str, Any]:
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "u-42",
        "exp": "+600",
        "iat": "-5",
        "preferred_username": "ada",
        "uidNumber": 40001,
        "gidNumber": 40001,
        "isMemberOf": [{"name": "sciplat-users", "id": 50001}, "observers"],
        **extra,
    }


def without(key: str) -> dict[str, Any]:
    out = claims()
    del out[key]
    return out


CASES: list[dict[str, Any]] = [
    {"name": "valid", "claims": claims()},
    {"name": "valid-bare", "claims": claims(), "form": "bare"},
    {"name": "expired", "claims": claims(exp="-600")},
    {"name": "wrong-audience", "claims": claims(aud="https://other.example.org")},
    {"name": "wrong-issuer", "claims": claims(iss="https://evil.example.org")},
    {"name": "wrong-signature", "claims": claims(), "key": "stranger"},
    {"name": "unknown-kid", "claims": claims(), "key": "stranger", "kid": "stranger-1"},
    {"name": "no-exp", "claims": without("exp")},
    {"name": "no-aud", "claims": without("aud")},
    {"name": "no-uid", "claims": without("uidNumber")},
    {"name": "bare-username", "header": "ada"},
    {"name": "bearer-username", "header": "Bearer ada"},
    {"name": "no-header", "header": None},
    {"name": "alg-none", "header": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZGEifQ."},
    {"name": "jwks-unreachable", "claims": claims(), "jwks": "unreachable"},
]


def run_harness(
    tmp_path: Path,
    cases: list[dict[str, Any]],
    usermodel: dict[str, Any] | None = None,
    **settings: Any,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "settings": settings,
        "cases": cases,
    }
    if usermodel is not None:
        spec["usermodel"] = usermodel
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    run = subprocess.run(
        [str(hub_python()), str(HARNESS), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_harness(tmp_path_factory.mktemp("jwt"), CASES)


def test_a_valid_token_maps_claims_to_user_uid_and_groups(results: dict[str, Any]) -> None:
    for case in ("valid", "valid-bare"):
        user = results[case]["user"]
        assert user["name"] == "ada"
        assert user["groups"] == ["observers", "sciplat-users"]
        state = user["auth_state"]["jwt_user"]
        assert (state["uid"], state["gid"], state["sub"]) == (40001, 40001, "u-42")
        assert state["groups"] == {"sciplat-users": 50001, "observers": None}
        assert results[case]["allowed"] is True


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("expired", "ExpiredSignatureError"),
        ("wrong-audience", "InvalidAudienceError"),
        ("wrong-issuer", "InvalidIssuerError"),
        ("wrong-signature", "InvalidSignatureError"),
        ("unknown-kid", "PyJWKClientError"),
        ("no-exp", 'MissingRequiredClaimError: Token is missing the "exp" claim'),
        ("no-aud", 'MissingRequiredClaimError: Token is missing the "aud" claim'),
        ("no-uid", "the token has no UID in 'uidNumber'"),
        ("bare-username", "the header does not hold a signed JWT"),
        ("bearer-username", "the header does not hold a signed JWT"),
        ("no-header", "no token in the header"),
        ("alg-none", "algorithm 'none' is not accepted"),
        ("jwks-unreachable", "cannot fetch the issuer's keys"),
    ],
)
def test_every_bad_token_is_refused_with_its_reason(
    results: dict[str, Any], case: str, reason: str
) -> None:
    assert "user" not in results[case], results[case]
    assert reason in results[case]["refused"]
    assert "from 10.0.0.7" in results[case]["refused"]


def test_the_hub_uses_the_authenticator_and_its_login_handler(results: dict[str, Any]) -> None:
    assert results["_class"] == "JWTHeaderAuthenticator"
    assert results["_handlers"] == [["/login", "JWTLoginHandler"]]


def test_allowed_groups_limit_who_may_log_in(tmp_path: Path) -> None:
    out = run_harness(
        tmp_path,
        [
            {"name": "member", "claims": claims()},
            {"name": "outsider", "claims": claims(isMemberOf=["visitors"])},
        ],
        allowed_groups=["sciplat-users"],
    )
    assert out["member"]["allowed"] is True
    assert out["outsider"]["allowed"] is False


def test_claim_names_come_from_the_settings(tmp_path: Path) -> None:
    token_claims = claims(email="ada@example.org", uid=41000, groups=["g1"])
    out = run_harness(
        tmp_path,
        [{"name": "custom", "claims": token_claims}],
        username_claim="email",
        uid_claim="uid",
        gid_claim="gid",
        groups_claim="groups",
        header_name="Authorization",
    )
    user = out["custom"]["user"]
    assert user["name"] == "ada@example.org"
    assert user["auth_state"]["jwt_user"]["uid"] == 41000
    assert user["auth_state"]["jwt_user"]["gid"] == 41000  # no gid claim: the UID
    assert user["groups"] == ["g1"]


# --------------------------------------------------------------------------- configuration


JWT_AUTH = {
    "jwks_url": "https://login.sciplat.example.org/.well-known/jwks.json",
    "issuer": ISSUER,
    "audience": AUDIENCE,
}


def jwt_env(tmp_path: Path, auth: dict[str, Any]) -> Path:
    from test_config import raw, write_env

    data = raw("stable")
    data["hub"]["auth"] = auth
    return write_env(tmp_path, data)


def test_an_environment_with_jwt_login_renders_the_authenticator_settings(tmp_path: Path) -> None:
    from sciplat.render import render

    path = jwt_env(tmp_path, {"type": "jwt", "admin_users": ["ada"], "jwt": JWT_AUTH})
    result = render(path, build_dir=tmp_path / "build")
    auth = result.tfvars["hub"]["auth"]
    assert auth["type"] == "jwt" and auth["client_secret_secret"] is None
    assert auth["jwt"] == {
        **JWT_AUTH,
        "header": "X-Auth-Request-Access-Token",
        "username_claim": "preferred_username",
        "uid_claim": "uidNumber",
        "gid_claim": "gidNumber",
        "groups_claim": "isMemberOf",
        "allowed_groups": [],
    }


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        ({"type": "jwt"}, "hub.auth.jwt: JWT login needs jwks_url, issuer and audience"),
        (
            {"type": "jwt", "jwt": {**JWT_AUTH, "jwks_url": "http://login.example.org/jwks"}},
            "hub.auth.jwt.jwks_url: 'http://login.example.org/jwks' does not match",
        ),
        (
            {"type": "jwt", "jwt": {k: v for k, v in JWT_AUTH.items() if k != "audience"}},
            "hub.auth.jwt.audience: required key is missing",
        ),
        (
            {"type": "github", "github_organizations": ["o"], "client_secret_secret": "s"},
            "hub.auth.client_id: github login needs the OAuth client id",
        ),
    ],
)
def test_bad_jwt_settings(tmp_path: Path, auth: dict[str, Any], expected: str, run_cli) -> None:
    path = jwt_env(tmp_path, auth)
    result = run_cli("validate", str(path))
    assert result.code == 2
    lines = [line for line in result.err.splitlines() if "hub.auth" in line]
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"{path}:") and expected in lines[0], lines[0]


def test_the_hub_values_ship_and_load_this_authenticator(tmp_path: Path) -> None:
    import jsonschema
    import yaml
    from test_tf_contract import rendered_tfvars
    from test_tf_hub_values import deep_merge, evaluate, hub_inputs, vendor_dir

    tfvars, _ = rendered_tfvars("stable")
    inputs = hub_inputs(json.loads(json.dumps(tfvars)))
    jwt = {
        **JWT_AUTH,
        "header": "Authorization",
        "username_claim": "preferred_username",
        "uid_claim": "uidNumber",
        "gid_claim": "gidNumber",
        "groups_claim": "isMemberOf",
        "allowed_groups": ["sciplat-users"],
    }
    inputs["auth"] = {**inputs["auth"], "type": "jwt", "jwt": jwt, "github_organizations": []}
    (tmp_path / "tf").mkdir()
    values = evaluate(tmp_path / "tf", inputs)["values"]
    vendor = vendor_dir()
    if not (vendor / "values.schema.json").is_file():
        require_or_skip(f"zero-to-jupyterhub values and schema not found in {vendor}")
    defaults = yaml.safe_load((vendor / "values.yaml").read_text(encoding="utf-8"))
    schema = json.loads((vendor / "values.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(deep_merge(defaults, values), schema)
    hub = values["hub"]
    assert hub["config"]["JupyterHub"]["authenticator_class"] == (
        "sciplat_hub.jwtauth.JWTHeaderAuthenticator"
    )
    shipped = hub["extraFiles"]["sciplat-hub-jwtauth.py"]
    assert shipped["mountPath"] == "/usr/local/etc/jupyterhub/sciplat_hub/jwtauth.py"
    source = REPO / "modules" / "hub" / "values" / "hub" / "jwtauth.py"
    assert shipped["stringData"] == source.read_text(encoding="utf-8")
    assert (
        'jwtauth.configure(c, get_config("custom.sciplat.jwt"))'
        in (hub["extraConfig"]["sciplat-jwt"])
    )
    assert "GitHubOAuthenticator" not in hub["config"]
    settings = values["custom"]["sciplat"]["jwt"]
    assert settings["header_name"] == "Authorization"
    assert settings["allowed_groups"] == ["sciplat-users"]
    # The Hub's settings, as rendered, drive the authenticator (the JWKS is the test's own).
    rendered = {k: v for k, v in settings.items() if k not in ("jwks_url", "issuer", "audience")}
    out = run_harness(
        tmp_path,
        [
            {"name": "member", "claims": claims()},
            {"name": "outsider", "claims": claims(isMemberOf=["visitors"])},
            {"name": "stale", "claims": claims(exp="-600")},
        ],
        **rendered,
    )
    assert out["member"]["allowed"] is True and out["member"]["user"]["name"] == "ada"
    assert out["outsider"]["allowed"] is False
    assert "ExpiredSignatureError" in out["stale"]["refused"]


def test_the_user_model_maps_a_jwt_login_to_uid_and_groups(tmp_path: Path) -> None:
    settings = {"auth_type": "jwt", "shared_gid": 100, "reserved_ids_below": 1000}
    out = run_harness(
        tmp_path,
        [
            {"name": "ada", "claims": claims()},
            {"name": "low-uid", "claims": claims(uidNumber=500, gidNumber=500)},
        ],
        usermodel=settings,
    )
    identity = out["ada"]["identity"]
    assert (identity["uid"], identity["gid"]) == (40001, 40001)
    # Groups with a GID become supplementary groups; every lab is in the shared group.
    assert identity["groups"] == {"50001": "group sciplat-users", "100": "shared area"}
    assert "refused" in out["low-uid"]["identity"]
