"""`sciplat plan|apply|destroy ENV`: one command per environment, gated by the plan review.

plan     validate, size, render (images from the lock file), check Google credentials, `terraform
         init` with the environment's backend, `terraform plan -out`, `terraform show -json`, then
         the review, written to build/ENV/review.md (and review.json) and printed. Records in
         build/ENV/plan.meta.json the hashes of every input, so apply can refuse a stale plan.
apply    applies exactly the saved plan; refuses a stale plan (exit 5) and a plan whose review has
         blocking findings (exit 3) unless `--allow data-loss`, which is recorded in
         build/ENV/apply-log.jsonl with who, when, the plan hash and the findings overridden.
         The review it gates on is made from what Terraform reads from (a private copy of) the
         saved plan, `terraform show -json`, never from plan.json or plan.meta.json, which
         anyone can edit; that copy is what is applied.
destroy  refuses while deletion protection is on (in the environment file, and in the state, as
         the destroy plan shows it), asks for the environment's name (or `--confirm NAME`), then
         plans a destroy, shows its review and applies exactly that plan.

An interrupt (Ctrl-C, SIGINT, SIGTERM) during a Terraform run is passed on to Terraform, which
stops cleanly; a second one kills it. The outcome is recorded as `interrupted` in the apply log
and the plan metadata. Everything under build/ENV is private to the user (files 0600, the
directory 0700): saved plans hold values in clear.

Exit codes: 0 done; 1 Terraform failed; 2 bad input; 3 blocked by the review or by deletion
protection; 4 the environment is not ready (credentials, state bucket, lock, project, network,
providers); 5 stale plan; 130 interrupted.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import hashlib
import json
import os
import re
import socket
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from sciplat import console as consoles
from sciplat.errors import SciplatError, UsageError
from sciplat.files import private_dir, write_atomic

if TYPE_CHECKING:
    import subprocess

    from sciplat.config import Environment
    from sciplat.review.report import Review
    from sciplat.terraform import Terraform

EXIT_TERRAFORM = 1
EXIT_BLOCKED = 3
EXIT_NOT_READY = 4
EXIT_STALE = 5

ALLOW_NAMES = {
    "data-loss": "apply a plan whose review has blocking findings (destroy or replace of "
    "stateful resources, removal of deletion protection)",
}
META_VERSION = 1
ROOT_ENV_VAR = "SCIPLAT_TERRAFORM_ROOT"
REPO_ROOT = Path(__file__).resolve().parents[2]
CODE_SUFFIXES = (".tf", ".tf.json", ".tftpl", ".tpl", ".yaml", ".yml", ".hcl")
SKIP_DIRS = {".terraform", "tests", "__pycache__"}

out = consoles.out
err = consoles.err


class NotReady(SciplatError):
    """The environment cannot be planned yet: credentials, state bucket, lock or project."""

    exit_code = EXIT_NOT_READY


# --------------------------------------------------------------------------------------------
# Paths and hashes


@dataclass(frozen=True)
class Paths:
    """Everything a plan of one environment reads and writes under build/ENV/."""

    build: Path
    env_name: str

    @property
    def dir(self) -> Path:
        return self.build / self.env_name

    @property
    def tfvars(self) -> Path:
        return self.dir / "terraform.tfvars.json"

    @property
    def backend(self) -> Path:
        return self.dir / "backend.hcl"

    @property
    def tfplan(self) -> Path:
        return self.dir / "plan.tfplan"

    @property
    def plan_json(self) -> Path:
        return self.dir / "plan.json"

    @property
    def review_md(self) -> Path:
        return self.dir / "review.md"

    @property
    def review_json(self) -> Path:
        return self.dir / "review.json"

    @property
    def meta(self) -> Path:
        return self.dir / "plan.meta.json"

    @property
    def apply_log(self) -> Path:
        return self.dir / "apply-log.jsonl"

    @property
    def destroy_tfplan(self) -> Path:
        return self.dir / "destroy.tfplan"

    @property
    def destroy_json(self) -> Path:
        return self.dir / "destroy.json"

    @property
    def data_dir(self) -> Path:
        return self.dir / ".terraform"


def terraform_root(root: Path | None = None) -> Path:
    """The root module: --root, else $SCIPLAT_TERRAFORM_ROOT, else terraform/ of the repository."""
    chosen = root or (Path(os.environ[ROOT_ENV_VAR]) if os.environ.get(ROOT_ENV_VAR) else None)
    path = (chosen or REPO_ROOT / "terraform").resolve()
    if not path.is_dir() or not any(path.glob("*.tf")):
        raise UsageError(f"{path}: not a Terraform root module (no *.tf files).")
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def code_files(root: Path) -> list[Path]:
    """The root module's files, the lock file, and the local modules beside it (../modules)."""
    found: list[Path] = []
    bases = [root]
    modules = root.parent / "modules"
    if modules.is_dir() and root == (REPO_ROOT / "terraform").resolve():
        bases.append(modules)
    for base in bases:
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(base)
            if any(part in SKIP_DIRS for part in rel.parts[:-1]) or not path.is_file():
                continue
            if path.name == ".terraform.lock.hcl" or path.name.endswith(CODE_SUFFIXES):
                found.append(path)
    return found


def _label(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def input_hashes(paths: Paths, root: Path, env_file: Path) -> dict[str, str]:
    """sha256 of every input of a plan, keyed by a readable name."""
    hashes = {
        "environment": sha256_file(env_file),
        "tfvars": sha256_file(paths.tfvars),
        "backend": sha256_file(paths.backend),
    }
    for path in code_files(root):
        hashes[f"code:{_label(path)}"] = sha256_file(path)
    return hashes


def combined_hash(hashes: Mapping[str, str]) -> str:
    blob = json.dumps(dict(sorted(hashes.items())), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def stale_reasons(recorded: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """What changed between the inputs recorded with the plan and the inputs now."""
    names = {
        "environment": "the environment file",
        "tfvars": "the rendered tfvars",
        "backend": "the backend configuration",
    }
    reasons = []
    for key in sorted(set(recorded) | set(current)):
        label = names.get(key, key.removeprefix("code:"))
        if key not in current:
            reasons.append(f"{label} was removed")
        elif key not in recorded:
            reasons.append(f"{label} is new")
        elif recorded[key] != current[key]:
            reasons.append(f"{label} changed")
    return reasons


def operator() -> str:
    """Who runs this: $SCIPLAT_OPERATOR, the CI actor, or user@host."""
    for var in ("SCIPLAT_OPERATOR", "GITHUB_ACTOR"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        user = getpass.getuser()
    except Exception:  # no user name in a container
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"{user}@{socket.gethostname()}"


def now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------------------------
# Credentials and Terraform errors


ADC_FILE = "application_default_credentials.json"


def google_credentials(
    environ: Mapping[str, str] | None = None, home: Path | None = None
) -> str | None:
    """Where Google credentials would come from, or None. Never contacts the metadata server
    unless GCE_METADATA_HOST names it (on Google Cloud it is set by the platform or the user).
    Raises NotReady when a credentials file is named but does not exist."""
    env = os.environ if environ is None else environ
    for var in ("GOOGLE_OAUTH_ACCESS_TOKEN", "CLOUDSDK_AUTH_ACCESS_TOKEN"):
        if env.get(var):
            return f"${var}"
    for var in (
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GOOGLE_BACKEND_CREDENTIALS",
        "GOOGLE_CREDENTIALS",
    ):
        value = env.get(var)
        if not value:
            continue
        if value.lstrip().startswith("{"):
            return f"${var} (inline JSON)"
        if Path(value).expanduser().is_file():
            return f"${var} ({value})"
        raise NotReady(
            f"${var} names {value}, which does not exist: point it at a service account key or "
            "unset it and run `gcloud auth application-default login`."
        )
    config_dirs = []
    if env.get("CLOUDSDK_CONFIG"):
        config_dirs.append(Path(env["CLOUDSDK_CONFIG"]))
    if env.get("APPDATA"):
        config_dirs.append(Path(env["APPDATA"]) / "gcloud")
    config_dirs.append((home or Path.home()) / ".config" / "gcloud")
    for directory in config_dirs:
        if (directory / ADC_FILE).is_file():
            return f"application-default credentials ({directory / ADC_FILE})"
    host = env.get("GCE_METADATA_HOST")
    if host and _metadata_server_answers(host):
        return f"the metadata server at {host}"
    return None


def _metadata_server_answers(host: str) -> bool:
    import httpx

    url = f"http://{host}/computeMetadata/v1/instance/service-accounts/default/email"
    try:
        response = httpx.get(url, headers={"Metadata-Flavor": "Google"}, timeout=2.0)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


NO_CREDENTIALS = (
    "No Google credentials found: run `gcloud auth application-default login` (or set "
    "GOOGLE_APPLICATION_CREDENTIALS to a service account key), then run the plan again."
)


def root_needs_google(root: Path) -> bool:
    """Whether the root module uses the gcs backend or the google provider."""
    pattern = re.compile(r'backend\s+"gcs"|hashicorp/google|provider\s+"google')
    return any(pattern.search(p.read_text(errors="replace")) for p in root.glob("*.tf"))


def explain_terraform_error(stderr: str, env_name: str, data: Mapping[str, Any]) -> str | None:
    """One sentence on what to do for the typical init/plan/apply failures, else None."""
    text = re.sub(r"\x1b\[[0-9;]*m|[│╷╵]", " ", stderr)
    flat = " ".join(text.split())
    state = data.get("state") or {}
    bucket = state.get("bucket", "?")
    project = (data.get("gcp") or {}).get("project", "?")
    region = (data.get("gcp") or {}).get("region", "?")
    low = flat.lower()
    if (
        "bucket doesn't exist" in low
        or "bucket does not exist" in low
        or ("notfound" in low and "bucket" in low)
    ):
        return (
            f"The state bucket gs://{bucket} does not exist: create it once with "
            f"`gcloud storage buckets create gs://{bucket} --project={project} "
            f"--location={region} --uniform-bucket-level-access` and turn on versioning, "
            f"or fix state.bucket in env/{env_name}.yaml."
        )
    denied = re.search(r"error 403|access denied|forbidden|permission denied", low)
    locked = "error acquiring the state lock" in low or "error locking state" in low
    if locked and not denied:
        lock_id = re.search(r"\bID:\s+(\S+)", flat)
        who = re.search(r"\bWho:\s+(\S+)", flat)
        holder = f" by {who.group(1)}" if who else ""
        ident = lock_id.group(1) if lock_id else "LOCK_ID"
        return (
            f"The state of {env_name} is locked{holder} (lock {ident}): wait for that run to "
            f"finish; if it crashed, run `TF_DATA_DIR=build/{env_name}/.terraform terraform "
            f"-chdir=terraform force-unlock {ident}`, then plan again."
        )
    if re.search(
        r"could not find default credentials|oauth2: cannot fetch token|invalid_grant|"
        r"reauthentication|refresh token.*(expired|revoked)",
        low,
    ):
        return (
            "Google rejected the credentials (missing or expired): run `gcloud auth "
            "application-default login` (or renew the service account key), then plan again."
        )
    if re.search(
        r"project[^.]*not found|requested project was not found|unknown project|"
        r"project .* has been deleted|permission denied on resource project|"
        r"does not have storage\.objects\.\w+ access|accessdenied|error 403",
        low,
    ):
        return (
            f"Project {project} was not found or your account lacks access to it or to "
            f"gs://{bucket}: check gcp.project and state.bucket in env/{env_name}.yaml and that "
            "your account has roles/storage.objectAdmin on the bucket and can manage the project."
        )
    if "failed to query available provider packages" in low or (
        "could not connect to registry" in low
    ):
        return (
            "Terraform cannot download its providers (no route to the registry): run "
            "`make providers` to build them offline, then plan again."
        )
    if re.search(
        r"dial tcp|no such host|i/o timeout|connection refused|network is unreachable", low
    ):
        return (
            "Google Cloud cannot be reached from here (network, DNS or proxy): check the "
            "connection, then plan again."
        )
    return None


# --------------------------------------------------------------------------------------------
# Steps


def _step(message: str) -> None:
    err.print(f"[bold]>[/bold] {message}")


def _terraform(root: Path, paths: Paths) -> Terraform:
    from sciplat.terraform import Terraform

    private_dir(paths.dir)
    # Each environment keeps its own .terraform (backend settings, providers): no cross-talk.
    return Terraform(root, env={"TF_DATA_DIR": str(paths.data_dir.resolve()), "TF_INPUT": "0"})


def _run_tf(
    tf: Terraform, args: list[str], env_name: str, data: Mapping[str, Any]
) -> subprocess.CompletedProcess[str]:
    from sciplat.terraform import TerraformError, TerraformInterrupted

    if not sys.stderr.isatty():
        args = [args[0], "-no-color", *args[1:]]  # logs and CI: no escape codes
    try:
        return tf.run(args, stream=True)
    except TerraformInterrupted:
        raise
    except TerraformError as exc:
        hint = explain_terraform_error(exc.stderr, env_name, data)
        if hint:
            raise NotReady(hint) from None
        # Terraform's own error has just been shown as it came; do not print it twice.
        raise SciplatError(
            f"terraform {args[0]} failed with exit code {exc.returncode} (its error is above).",
            exit_code=EXIT_TERRAFORM,
        ) from None


def _check_credentials(root: Path) -> None:
    if not root_needs_google(root):
        return
    source = google_credentials()
    if source is None:
        raise NotReady(NO_CREDENTIALS)
    _step(f"Google credentials: {source}")


def _clear(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _review(plan_json: Path, env_name: str) -> Review:
    from sciplat.review.cli import review_file

    return review_file(plan_json, title=env_name)


def plan_environment(
    env_ref: str,
    *,
    build_dir: Path = Path("build"),
    root: Path | None = None,
    refresh_only: bool = False,
) -> tuple[Review, Paths]:
    """Run the whole pipeline up to the review; return (review, paths)."""
    from sciplat.render import render
    from sciplat.review.render import to_markdown
    from sciplat.review.report import to_json

    root_dir = terraform_root(root)
    _step(f"validate, size and render {env_ref}")
    result = render(env_ref, build_dir=build_dir)
    for warning in result.warnings:
        err.print(f"  [yellow]warning:[/yellow] {escape(warning)}")
    env = result.env
    paths = Paths(build_dir, env.name)
    # A failed plan must never leave an older plan behind for apply to pick up.
    _clear([paths.tfplan, paths.plan_json, paths.meta, paths.review_md, paths.review_json])
    _check_credentials(root_dir)
    tf = _terraform(root_dir, paths)
    _step(f"terraform init (state: {result.backend_path})")
    _run_tf(
        tf,
        ["init", "-input=false", "-reconfigure", f"-backend-config={paths.backend.resolve()}"],
        env.name,
        env.data,
    )
    _step("terraform plan" + (" -refresh-only" if refresh_only else ""))
    hashes = input_hashes(paths, root_dir, env.path)
    tmp_plan = paths.dir / ".plan.tfplan.partial"
    args = [
        "plan",
        "-input=false",
        "-lock-timeout=60s",
        f"-var-file={paths.tfvars.resolve()}",
        f"-out={tmp_plan.resolve()}",
    ]
    if refresh_only:
        args.append("-refresh-only")
    try:
        _run_tf(tf, args, env.name, env.data)
        plan_doc = tf.json(["show", "-json", str(tmp_plan.resolve())])
    except BaseException:
        tmp_plan.unlink(missing_ok=True)
        raise
    os.chmod(tmp_plan, 0o600)
    write_atomic(paths.plan_json, json.dumps(plan_doc, indent=1) + "\n")
    os.replace(tmp_plan, paths.tfplan)
    review = _review(paths.plan_json, env.name)
    write_atomic(paths.review_md, to_markdown(review))
    write_atomic(paths.review_json, json.dumps(to_json(review), indent=2) + "\n")
    meta = {
        "version": META_VERSION,
        "environment": env.name,
        "environment_file": _label(env.path),
        "root": _label(root_dir),
        "created_at": now(),
        "created_by": operator(),
        "refresh_only": refresh_only,
        "plan_sha256": sha256_file(paths.tfplan),
        "plan_json_sha256": sha256_file(paths.plan_json),
        "inputs_sha256": combined_hash(hashes),
        "inputs": hashes,
        "review": review.severity_counts(),
    }
    write_atomic(paths.meta, json.dumps(meta, indent=2) + "\n")
    return review, paths


def load_meta(paths: Paths) -> dict[str, Any]:
    if not paths.meta.is_file() or not paths.tfplan.is_file() or not paths.plan_json.is_file():
        raise UsageError(
            f"No saved plan for {paths.env_name} in {paths.dir}: run `make plan "
            f"ENV={paths.env_name}` first."
        )
    try:
        meta = json.loads(paths.meta.read_text())
    except json.JSONDecodeError as exc:
        raise UsageError(f"{paths.meta}: not valid JSON ({exc.msg}); plan again.") from None
    if not isinstance(meta, dict) or meta.get("version") != META_VERSION:
        raise UsageError(f"{paths.meta}: unknown format; run `make plan ENV={paths.env_name}`.")
    return meta


def check_fresh(meta: Mapping[str, Any], paths: Paths, root: Path, env_file: Path) -> None:
    """Refuse (exit 5) when the saved plan no longer matches its inputs, code or itself."""
    if meta.get("applied_at"):
        raise SciplatError(
            f"The saved plan of {paths.env_name} was already applied at {meta['applied_at']}: "
            f"run `make plan ENV={paths.env_name}` for a new one.",
            exit_code=EXIT_STALE,
        )
    reasons = []
    if sha256_file(paths.tfplan) != meta.get("plan_sha256"):
        reasons.append(f"{paths.tfplan.name} is not the file that was planned")
    if sha256_file(paths.plan_json) != meta.get("plan_json_sha256"):
        reasons.append(f"{paths.plan_json.name} is not the plan that was reviewed")
    current = input_hashes(paths, root, env_file)
    reasons += stale_reasons(meta.get("inputs") or {}, current)
    if not reasons:
        reasons += _render_drift(paths, env_file)
    if reasons:
        shown = "; ".join(reasons[:5]) + (
            f"; and {len(reasons) - 5} more" if len(reasons) > 5 else ""
        )
        raise SciplatError(
            f"The saved plan of {paths.env_name} is stale ({shown}): run `make plan "
            f"ENV={paths.env_name}` again and review it.",
            exit_code=EXIT_STALE,
        )


def _render_drift(paths: Paths, env_file: Path) -> list[str]:
    """Inputs the files do not show: a fresh render (capacity code, image lock) must agree."""
    from sciplat.render import prepare

    _env, _sizing, tfvars, _warnings = prepare(env_file)
    try:
        on_disk = json.loads(paths.tfvars.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return [f"{paths.tfvars.name} is unreadable"]
    if json.loads(json.dumps(tfvars)) != on_disk:  # compare values, not formatting
        return ["rendering the environment now gives different tfvars"]
    return []


def append_log(paths: Paths, record: Mapping[str, Any]) -> None:
    private_dir(paths.apply_log.parent)
    fd = os.open(paths.apply_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")


def parse_allow(values: list[str] | None) -> list[str]:
    allowed = []
    for value in values or []:
        for name in filter(None, (v.strip() for v in value.split(","))):
            if name not in ALLOW_NAMES:
                known = ", ".join(sorted(ALLOW_NAMES))
                raise UsageError(f"--allow {name}: unknown override; the known ones: {known}.")
            allowed.append(name)
    return allowed


def _private_copy(source: Path, name: str) -> Path:
    """A 0600 copy of `source` in the same private directory: what is reviewed is exactly what
    is applied, even if someone replaces `source` in between."""
    target = source.parent / name
    target.unlink(missing_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle, source.open("rb") as src:
        for block in iter(lambda: src.read(1 << 20), b""):
            handle.write(block)
    return target


def _saved_plan_document(tf: Terraform, plan_file: Path, env_name: str) -> dict[str, Any]:
    """What Terraform itself reads from a saved plan: `terraform show -json PLANFILE`."""
    from sciplat.terraform import TerraformError

    try:
        document = tf.json(["show", "-json", str(plan_file.resolve())])
    except TerraformError as exc:
        detail = " ".join(exc.stderr.split())[:300]
        raise SciplatError(
            f"Terraform cannot read the saved plan of {env_name} ({detail}): run `make plan "
            f"ENV={env_name}` again and review it.",
            exit_code=EXIT_STALE,
        ) from None
    if not isinstance(document, dict):
        raise SciplatError(
            f"Terraform cannot read the saved plan of {env_name}: run `make plan ENV={env_name}`.",
            exit_code=EXIT_STALE,
        )
    return document


def _reviewed_document(paths: Paths) -> Any:
    try:
        return json.loads(paths.plan_json.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None


def apply_environment(
    env_ref: str,
    *,
    allow: list[str] | None = None,
    build_dir: Path = Path("build"),
    root: Path | None = None,
) -> dict[str, Any]:
    """Apply exactly the saved plan of an environment, after the staleness and review gates.

    The gate trusts nothing a user can edit beside the plan: it asks Terraform what the saved
    plan (a private copy of it) will do, requires that to be the plan that was reviewed
    (plan.json), and reviews that, not plan.json, for blocking findings. plan.meta.json only
    serves to notice a stale plan early.
    """
    from sciplat.config import load_environment

    overrides = parse_allow(allow)
    env = load_environment(env_ref)
    root_dir = terraform_root(root)
    paths = Paths(build_dir, env.name)
    meta = load_meta(paths)
    check_fresh(meta, paths, root_dir, env.path)
    _check_credentials(root_dir)
    tf = _terraform(root_dir, paths)
    gated = _private_copy(paths.tfplan, ".apply.tfplan")
    try:
        record = _gate_and_apply(tf, gated, paths, env, meta, overrides)
    finally:
        gated.unlink(missing_ok=True)
    return record


def _gate_and_apply(
    tf: Terraform,
    gated: Path,
    paths: Paths,
    env: Environment,
    meta: dict[str, Any],
    overrides: list[str],
) -> dict[str, Any]:
    from sciplat.review.plan import parse_plan
    from sciplat.review.report import build_review
    from sciplat.terraform import TerraformInterrupted

    document = _saved_plan_document(tf, gated, env.name)
    if _reviewed_document(paths) != document:
        raise SciplatError(
            f"The saved plan of {env.name} is stale ({paths.tfplan.name} does not hold the plan "
            f"in {paths.plan_json.name}, which was reviewed): run `make plan ENV={env.name}` "
            "again and review it.",
            exit_code=EXIT_STALE,
        )
    review = build_review(parse_plan(document, paths.tfplan.name), None, env.name)
    blocking = review.blocking
    if blocking and "data-loss" not in overrides:
        lines = "\n".join(f"  {f.address}: {f.message}" for f in blocking)
        raise SciplatError(
            f"Refusing to apply {env.name}: the review has {len(blocking)} blocking finding(s):\n"
            f"{lines}\nIf this is intended, apply with `make apply ENV={env.name} "
            f"ALLOW=data-loss` (sciplat apply {env.name} --allow data-loss); it is recorded.",
            exit_code=EXIT_BLOCKED,
        )
    record = {
        "action": "apply",
        "environment": env.name,
        "at": now(),
        "by": operator(),
        "plan_sha256": sha256_file(gated),
        "inputs_sha256": meta.get("inputs_sha256"),
        "planned_at": meta.get("created_at"),
        "overrides": overrides,
        "findings_overridden": [
            {"address": f.address, "rule": f.rule, "message": f.message} for f in blocking
        ],
    }
    _step(f"terraform apply {paths.tfplan}")
    append_log(paths, {**record, "status": "started"})
    try:
        _run_tf(
            tf,
            ["apply", "-input=false", "-lock-timeout=60s", str(gated.resolve())],
            env.name,
            env.data,
        )
    except TerraformInterrupted as exc:
        outcome = interrupted_outcome(exc)
        append_log(paths, {**record, **outcome, "at": now()})
        meta = {**meta, "interrupted_at": now(), "interrupted": outcome}
        write_atomic(paths.meta, json.dumps(meta, indent=2) + "\n")
        raise SciplatError(
            f"apply of {env.name} interrupted: {outcome['terraform_reported']} Run `make plan "
            f"ENV={env.name}` to see where it stopped.",
            exit_code=exc.exit_code,
        ) from None
    except SciplatError as exc:
        append_log(paths, {**record, "status": "failed", "error": str(exc).splitlines()[0]})
        raise
    append_log(paths, {**record, "status": "applied", "at": now()})
    meta = {**meta, "applied_at": now(), "applied_by": record["by"]}
    write_atomic(paths.meta, json.dumps(meta, indent=2) + "\n")
    return record


def interrupted_outcome(exc: Any) -> dict[str, Any]:
    """The log record of an interrupted Terraform run: its exit code and what it reported."""
    text = re.sub(r"\x1b\[[0-9;]*m|[│╷╵]", " ", exc.stderr or "")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    errors = [line for line in lines if line.lower().startswith("error")]
    reported = "; ".join(errors[:3]) or "; ".join(lines[-3:]) or "no message"
    if exc.killed:
        reported = f"killed after a second interrupt ({reported})"
    return {
        "status": "interrupted",
        "terraform_exit_code": exc.returncode,
        "terraform_reported": reported[:500].rstrip(".") + ".",
        "killed": exc.killed,
    }


def deletion_protection(data: Mapping[str, Any]) -> list[str]:
    """The protections that forbid destroying an environment, as env-file field paths."""
    found = []
    if (data.get("cluster") or {}).get("deletion_protection"):
        found.append("cluster.deletion_protection")
    return found


PROTECTION_ATTRIBUTES = ("deletion_protection", "deletion_protection_enabled")


def protections_in_plan(document: Mapping[str, Any]) -> list[str]:
    """Deletion protections still on in what a plan destroys or replaces, read from the
    plan's `before` values (the state Terraform acts on): `address.path` for each."""
    from sciplat.review.plan import format_path

    found = []
    changes = document.get("resource_changes") or []
    for change in changes if isinstance(changes, list) else []:
        body = change.get("change") if isinstance(change, dict) else None
        if not isinstance(body, dict) or "delete" not in (body.get("actions") or []):
            continue
        stack: list[tuple[list[Any], Any]] = [([], body.get("before"))]
        while stack:
            path, value = stack.pop()
            if isinstance(value, dict):
                for key, child in value.items():
                    if key in PROTECTION_ATTRIBUTES and child is True:
                        found.append(f"{change.get('address')}.{format_path([*path, key])}")
                    else:
                        stack.append(([*path, key], child))
            elif isinstance(value, list):
                stack.extend(([*path, i], child) for i, child in enumerate(value))
    return sorted(found)


def confirm_name(env_name: str, confirm: str | None, interactive: bool) -> None:
    if confirm is None:
        if not interactive:
            raise UsageError(
                f"Destroying {env_name} needs its name typed: run in a terminal, or pass "
                f"--confirm {env_name} (automation only)."
            )
        typed = typer.prompt(
            f"This destroys every resource of {env_name}. Type the environment name to go on"
        )
    else:
        typed = confirm
    if typed.strip() != env_name:
        raise UsageError(f"Typed {typed.strip()!r}, not {env_name!r}: nothing destroyed.")


def destroy_environment(
    env_ref: str,
    *,
    confirm: str | None,
    interactive: bool,
    build_dir: Path = Path("build"),
    root: Path | None = None,
) -> dict[str, Any]:
    """Confirm, refuse while protected, plan the destroy, show its review, apply that plan."""
    from sciplat.render import render
    from sciplat.review.render import print_text
    from sciplat.terraform import TerraformInterrupted

    root_dir = terraform_root(root)
    result = render(env_ref, build_dir=build_dir)
    env = result.env
    paths = Paths(build_dir, env.name)
    protected = deletion_protection(env.data)
    if protected:
        raise SciplatError(
            f"{env.name} has deletion protection on ({', '.join(protected)} in {_label(env.path)}):"
            f" to destroy it, set it to false, run `make plan ENV={env.name}` and `make apply "
            f"ENV={env.name} ALLOW=data-loss` to lift the protection, then destroy again; the "
            "Filestore instances also carry prevent_destroy in modules/filestore, which must be "
            "removed in code first.",
            exit_code=EXIT_BLOCKED,
        )
    confirm_name(env.name, confirm, interactive)
    _check_credentials(root_dir)
    tf = _terraform(root_dir, paths)
    _run_tf(
        tf,
        ["init", "-input=false", "-reconfigure", f"-backend-config={paths.backend.resolve()}"],
        env.name,
        env.data,
    )
    _clear([paths.destroy_tfplan, paths.destroy_json])
    _step("terraform plan -destroy")
    _run_tf(
        tf,
        [
            "plan",
            "-destroy",
            "-input=false",
            "-lock-timeout=60s",
            f"-var-file={paths.tfvars.resolve()}",
            f"-out={paths.destroy_tfplan.resolve()}",
        ],
        env.name,
        env.data,
    )
    document = _saved_plan_document(tf, paths.destroy_tfplan, env.name)
    write_atomic(paths.destroy_json, json.dumps(document, indent=1) + "\n")
    still_protected = protections_in_plan(document)
    if still_protected:
        shown = ", ".join(still_protected[:5]) + (
            f" and {len(still_protected) - 5} more" if len(still_protected) > 5 else ""
        )
        raise SciplatError(
            f"{env.name} has deletion protection on in its state ({shown}), whatever "
            f"{_label(env.path)} says: lift it with a reviewed plan first (`make plan "
            f"ENV={env.name}` with the protection set to false, then `make apply ENV={env.name} "
            "ALLOW=data-loss`), then destroy again. Nothing was destroyed.",
            exit_code=EXIT_BLOCKED,
        )
    review = _review(paths.destroy_json, f"{env.name} (destroy)")
    print_text(review, out)
    record = {
        "action": "destroy",
        "environment": env.name,
        "at": now(),
        "by": operator(),
        "plan_sha256": sha256_file(paths.destroy_tfplan),
        "overrides": ["confirmed-by-name"],
        "findings_overridden": [
            {"address": f.address, "rule": f.rule, "message": f.message} for f in review.blocking
        ],
    }
    append_log(paths, {**record, "status": "started"})
    try:
        _run_tf(
            tf, ["apply", "-input=false", str(paths.destroy_tfplan.resolve())], env.name, env.data
        )
    except TerraformInterrupted as exc:
        outcome = interrupted_outcome(exc)
        append_log(paths, {**record, **outcome, "at": now()})
        raise SciplatError(
            f"destroy of {env.name} interrupted: {outcome['terraform_reported']}",
            exit_code=exc.exit_code,
        ) from None
    except SciplatError as exc:
        append_log(paths, {**record, "status": "failed", "error": str(exc).splitlines()[0]})
        raise
    append_log(paths, {**record, "status": "destroyed", "at": now()})
    _clear([paths.tfplan, paths.plan_json, paths.meta])
    return record


# --------------------------------------------------------------------------------------------
# CLI


def register(app: typer.Typer) -> None:
    build_opt = typer.Option(Path("build"), "--build-dir", help="Where build/ENV/ lives.")
    root_opt = typer.Option(
        None, "--root", help=f"Terraform root module (default: ${ROOT_ENV_VAR}, else terraform/)."
    )

    @app.command("plan")
    def plan_command(
        env: str = typer.Argument(..., metavar="ENV", help="Environment name or YAML path."),
        fmt: str = typer.Option("text", "--format", "-f", help="How to print the review: text|md."),
        fail_on: str = typer.Option(
            "never",
            "--fail-on",
            help="Exit 3 when a finding of this class (or worse) is present: "
            "blocking|warning|never.",
        ),
        refresh_only: bool = typer.Option(
            False, "--refresh-only", help="Plan only the drift (changes made outside Terraform)."
        ),
        build_dir: Path = build_opt,
        root: Path | None = root_opt,
    ) -> None:
        """Validate, size, render, init, plan and review ENV; the plan is saved for apply.

        Writes build/ENV/plan.tfplan, plan.json, review.md, review.json and plan.meta.json.
        Stops early, with one sentence on what to do, when Google credentials are missing, the
        state bucket does not exist, the state is locked or the project is wrong (exit 4).

        Example: sciplat plan int   (make plan ENV=int)
        """
        from sciplat.review.cli import FailOn, exit_code, render

        if fmt not in ("text", "md"):
            raise UsageError(f"--format {fmt}: use text or md.")
        if fail_on not in {f.value for f in FailOn}:
            raise UsageError(f"--fail-on {fail_on}: use blocking, warning or never.")
        review, paths = plan_environment(
            env, build_dir=build_dir, root=root, refresh_only=refresh_only
        )
        err.rule(f"sciplat review of {paths.env_name}")
        text = render(review, fmt, out)
        if text is not None:
            sys.stdout.write(text)
        err.print(f"saved {paths.tfplan} and {paths.review_md}")
        if exit_code(review, fail_on):
            raise SciplatError(
                f"review: {len(review.blocking)} blocking finding(s), "
                f"{len(review.warnings)} warning(s) (--fail-on {fail_on}).",
                exit_code=EXIT_BLOCKED,
            )

    @app.command("apply")
    def apply_command(
        env: str = typer.Argument(..., metavar="ENV", help="Environment name or YAML path."),
        allow: list[str] = typer.Option(
            None,
            "--allow",
            help="Named override, recorded in build/ENV/apply-log.jsonl: "
            + "; ".join(f"{k}: {v}" for k, v in ALLOW_NAMES.items()),
        ),
        build_dir: Path = build_opt,
        root: Path | None = root_opt,
    ) -> None:
        """Apply exactly the saved plan of ENV (never a fresh one).

        Refuses a stale plan (inputs or code changed since it was made; exit 5) and a plan
        whose review has blocking findings (exit 3) unless --allow data-loss is given.

        Example: sciplat apply int --allow data-loss   (make apply ENV=int ALLOW=data-loss)
        """
        record = apply_environment(env, allow=allow, build_dir=build_dir, root=root)
        note = f" with override {', '.join(record['overrides'])}" if record["overrides"] else ""
        err.print(f"applied the saved plan of {record['environment']}{note}")

    @app.command("destroy")
    def destroy_command(
        env: str = typer.Argument(..., metavar="ENV", help="Environment name or YAML path."),
        confirm: str | None = typer.Option(
            None, "--confirm", help="The environment's name, for automation (never defaulted)."
        ),
        build_dir: Path = build_opt,
        root: Path | None = root_opt,
    ) -> None:
        """Destroy every resource of ENV after you type its name; deletion protection holds.

        Example: sciplat destroy sandbox   (make destroy ENV=sandbox)
        """
        record = destroy_environment(
            env,
            confirm=confirm,
            interactive=sys.stdin.isatty(),
            build_dir=build_dir,
            root=root,
        )
        err.print(f"destroyed {record['environment']}")
