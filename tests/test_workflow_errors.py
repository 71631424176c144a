"""Early stops of `sciplat plan`: credentials, and one sentence per typical Terraform failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sciplat.workflow import (
    NO_CREDENTIALS,
    NotReady,
    combined_hash,
    explain_terraform_error,
    google_credentials,
    root_needs_google,
    stale_reasons,
)

REPO = Path(__file__).resolve().parents[1]
DATA = {
    "gcp": {"project": "sciplat-int", "region": "us-central1"},
    "state": {"bucket": "sciplat-int-tfstate", "prefix": "sciplat/int"},
}
CREDENTIAL_VARS = (
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_BACKEND_CREDENTIALS",
    "GOOGLE_CREDENTIALS",
    "GOOGLE_OAUTH_ACCESS_TOKEN",
    "CLOUDSDK_AUTH_ACCESS_TOKEN",
    "CLOUDSDK_CONFIG",
    "APPDATA",
    "GCE_METADATA_HOST",
)

# Captured stderr of terraform init/plan (the box-drawing margin as Terraform prints it).
BUCKET_MISSING = """\
Initializing the backend...
╷
│ Error: Failed to get existing workspaces: querying Cloud Storage failed: storage: bucket doesn't
│ exist
╵
"""
LOCKED = """\
╷
│ Error: Error acquiring the state lock
│
│ Error message: writing "gs://sciplat-int-tfstate/sciplat/int/default.tflock" failed: googleapi:
│ Error 412: At least one of the pre-conditions you specified did not hold., conditionNotMet
│ Lock Info:
│   ID:        1764239000123456
│   Path:      gs://sciplat-int-tfstate/sciplat/int/default.tflock
│   Operation: OperationTypeApply
│   Who:       alice@laptop
│   Version:   1.11.4
│   Created:   2026-11-27 10:00:00.000000 +0000 UTC
│   Info:
│
│ Terraform acquires a state lock to protect the state from being written
│ by multiple users at the same time. Please resolve the issue above and try
│ again. For most commands, you can disable locking with the "-lock=false"
│ flag, but this is not recommended.
╵
"""
LOCK_DENIED = """\
│ Error: Error acquiring the state lock
│ Error message: 2 errors occurred:
│ 	* writing "gs://sciplat-int-tfstate/default.tflock" failed:
│ googleapi: Error 403: Access denied., forbidden
"""
NO_ADC = """\
│ Error: storage.NewClient() failed: dialing: google: could not find default credentials. See
│ https://cloud.google.com/docs/authentication/external/set-up-adc for more information
"""
EXPIRED = """\
│ Error: Failed to get existing workspaces: querying Cloud Storage failed: Get
│ "https://storage.googleapis.com/storage/v1/b/sciplat-int-tfstate/o": oauth2: cannot fetch
│ token: 400 Bad Request
│ Response: {"error": "invalid_grant", "error_description": "reauth related error (invalid_rapt)"}
"""
PROJECT_404 = """\
│ Error: Error when reading or editing Project Service sciplat-int/container.googleapis.com:
│ googleapi: Error 404: The requested project was not found., notFound
"""
PROJECT_403 = """\
│ Error: Error when reading or editing Project Service sciplat-int/compute.googleapis.com:
│ googleapi: Error 403: Permission denied on resource project sciplat-int., forbidden
"""
BUCKET_403 = """\
│ Error: Failed to get existing workspaces: querying Cloud Storage failed: googleapi: Error 403:
│ ops@example.org does not have storage.objects.list access to the Google Cloud Storage bucket.
│ Permission 'storage.objects.list' denied on resource (or it may not exist)., forbidden
"""
NO_REGISTRY = """\
│ Error: Failed to query available provider packages
│
│ Could not retrieve the list of available versions for provider hashicorp/google: could not
│ connect to registry.terraform.io: failed to request discovery document: Get
│ "https://registry.terraform.io/.well-known/terraform.json": dial tcp: lookup
│ registry.terraform.io: no such host
"""


# Captured from `sciplat plan sandbox` on this machine with a token but no route to Google.
NO_NETWORK = (
    "\x1b[31m╷\x1b[0m\x1b[0m\n"
    "\x1b[31m│\x1b[0m \x1b[0m\x1b[1m\x1b[31mError: \x1b[0m\x1b[0m\x1b[1mFailed to get existing "
    'workspaces: querying Cloud Storage failed: Get "https://storage.googleapis.com/storage/v1/b/'
    'sciplat-sandbox-tfstate/o?alt=json&delimiter=%2F&prefix=sciplat%2Fsandbox%2F": dial tcp: '
    "lookup storage.googleapis.com on 10.255.255.53:53: no such host\x1b[0m\n"
    "\x1b[31m╵\x1b[0m\x1b[0m\n"
)


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        (NO_NETWORK, "Google Cloud cannot be reached from here"),
        (BUCKET_MISSING, "The state bucket gs://sciplat-int-tfstate does not exist"),
        (LOCKED, "locked by alice@laptop (lock 1764239000123456)"),
        (LOCK_DENIED, "Project sciplat-int was not found or your account lacks access"),
        (NO_ADC, "Google rejected the credentials"),
        (EXPIRED, "Google rejected the credentials"),
        (PROJECT_404, "Project sciplat-int was not found"),
        (PROJECT_403, "Project sciplat-int was not found"),
        (BUCKET_403, "lacks access to it or to gs://sciplat-int-tfstate"),
        (NO_REGISTRY, "run `make providers`"),
    ],
)
def test_terraform_errors_map_to_one_sentence(stderr: str, expected: str) -> None:
    message = explain_terraform_error(stderr, "int", DATA)
    assert message is not None and expected in message
    assert "\n" not in message
    assert message.count(". ") == 0  # one sentence, ending in a full stop
    assert message.endswith(".")


def test_unrelated_errors_are_left_to_terraform() -> None:
    text = '│ Error: Reference to undeclared input variable\n│ An input variable "nope"'
    assert explain_terraform_error(text, "int", DATA) is None


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for var in CREDENTIAL_VARS:
        monkeypatch.delenv(var, raising=False)
    return {}


def test_no_credentials_anywhere(tmp_path: Path, clean_env: dict[str, str]) -> None:
    assert google_credentials(clean_env, home=tmp_path) is None


@pytest.mark.parametrize("var", ["GOOGLE_OAUTH_ACCESS_TOKEN", "CLOUDSDK_AUTH_ACCESS_TOKEN"])
def test_access_tokens_count(tmp_path: Path, var: str) -> None:
    assert google_credentials({var: "ya29.x"}, home=tmp_path) == f"${var}"


def test_key_file_must_exist(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    with pytest.raises(NotReady, match="does not exist"):
        google_credentials({"GOOGLE_APPLICATION_CREDENTIALS": str(key)}, home=tmp_path)
    key.write_text("{}")
    found = google_credentials({"GOOGLE_APPLICATION_CREDENTIALS": str(key)}, home=tmp_path)
    assert found is not None and str(key) in found


def test_gcloud_application_default_credentials(tmp_path: Path) -> None:
    adc = tmp_path / ".config" / "gcloud" / "application_default_credentials.json"
    adc.parent.mkdir(parents=True)
    adc.write_text("{}")
    found = google_credentials({}, home=tmp_path)
    assert found is not None and "application-default" in found
    other = tmp_path / "cfg"
    other.mkdir()
    (other / "application_default_credentials.json").write_text("{}")
    found = google_credentials({"CLOUDSDK_CONFIG": str(other)}, home=tmp_path / "none")
    assert found is not None and str(other) in found


def test_metadata_server_probed_only_when_named(tmp_path: Path) -> None:
    # Port 9 on localhost: nothing listens; the probe must fail fast, not hang.
    assert google_credentials({"GCE_METADATA_HOST": "127.0.0.1:9"}, home=tmp_path) is None


def test_metadata_server_answering(tmp_path: Path) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.headers.get("Metadata-Flavor") == "Google"
            self.send_response(200 if ok else 403)
            self.end_headers()
            self.wfile.write(b"nodes@sciplat-int.iam.gserviceaccount.com")

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host = f"127.0.0.1:{server.server_port}"
        found = google_credentials({"GCE_METADATA_HOST": host}, home=tmp_path)
        assert found == f"the metadata server at {host}"
    finally:
        server.shutdown()


def test_the_real_root_needs_google_and_the_test_root_does_not() -> None:
    assert root_needs_google(REPO / "terraform")
    assert not root_needs_google(REPO / "tests" / "fixtures" / "plans" / "workflow-root")


def test_plan_sandbox_without_credentials_stops_after_render(
    run_cli, tmp_path: Path, clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SCIPLAT_TERRAFORM_ROOT", raising=False)
    build = tmp_path / "build"
    result = run_cli("plan", "sandbox", "--build-dir", str(build))
    assert result.code == 4
    assert NO_CREDENTIALS in result.err
    assert "Traceback" not in result.err
    assert json.loads((build / "sandbox" / "terraform.tfvars.json").read_text())["environment"] == (
        "sandbox"
    )
    assert (build / "sandbox" / "backend.hcl").is_file()
    assert not (build / "sandbox" / ".terraform").exists()  # terraform init never ran
    assert not (build / "sandbox" / "plan.tfplan").exists()


def test_stale_reasons_name_what_changed() -> None:
    old = {"environment": "a", "tfvars": "b", "code:terraform/main.tf": "c"}
    new = {"environment": "a", "tfvars": "B", "code:terraform/extra.tf": "d"}
    assert stale_reasons(old, new) == [
        "terraform/extra.tf is new",
        "terraform/main.tf was removed",
        "the rendered tfvars changed",
    ]
    assert stale_reasons(old, dict(old)) == []
    assert combined_hash(old) == combined_hash(dict(reversed(old.items())))
    assert combined_hash(old) != combined_hash(new)


def test_typed_confirmation(monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    from sciplat.errors import UsageError
    from sciplat.workflow import confirm_name

    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return answers.pop(0)

    answers = ["sandbox\n", "sandbx"]
    monkeypatch.setattr(typer, "prompt", prompt)
    confirm_name("sandbox", None, interactive=True)
    assert "Type the environment name" in asked[0]
    with pytest.raises(UsageError, match="nothing destroyed"):
        confirm_name("sandbox", None, interactive=True)
    with pytest.raises(UsageError, match="--confirm sandbox"):
        confirm_name("sandbox", None, interactive=False)
    confirm_name("sandbox", "sandbox", interactive=False)


@pytest.mark.parametrize("flags", [["--fail-on", "blockng"], ["--format", "json"]])
def test_plan_refuses_a_bad_flag_value_before_anything_runs(
    run_cli, tmp_path: Path, flags: list[str]
) -> None:
    build = tmp_path / "build"
    result = run_cli("plan", "sandbox", "--build-dir", str(build), *flags)
    assert result.code == 2
    assert f"{flags[0]} {flags[1]}:" in result.err
    assert "Traceback" not in result.err
    assert not (build / "sandbox").exists()  # nothing rendered, nothing planned
