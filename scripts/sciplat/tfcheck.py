"""Check the Terraform for real without a cloud: providers offline, `validate` and `terraform test`.

Three commands:

- `sciplat providers`: make the providers the code requires installable. When the Terraform
  registry answers, nothing is needed (`terraform init` installs them). Otherwise each provider is
  built from its released source archive (tools/providers/providers.json pins version and
  checksum; the Go module proxy serves the dependencies) into a cache outside the repository, and
  offered to Terraform as a filesystem mirror through a CLI config, so a plain `terraform init`
  installs the very same versions offline.
- `sciplat tf-validate`: `terraform validate -json` for the root and every module; each error
  is reported with its file, line and the message of Terraform or of the provider itself.
- `sciplat tf-test`: `terraform test` for the root and every module, then the root's
  environment suite once per shipped environment with that environment's rendered tfvars.

What this checks and what it cannot is written down in docs/verification.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from sciplat import console as consoles
from sciplat import gobuild
from sciplat.errors import SciplatError, UsageError

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_DIR = REPO_ROOT / "tools" / "providers"
MANIFEST = TOOLS_DIR / "providers.json"
REGISTRY_HOST = "registry.terraform.io"
ENV_SUITE_DIR = "tests/environments"

console = consoles.out
err = consoles.err


# --------------------------------------------------------------------------- versions


_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?$")


def _parse_version(text: str) -> tuple[tuple[int, int, int], int]:
    m = _VERSION.match(text.strip())
    if not m:
        raise UsageError(f"not a version: {text!r}")
    parts = [int(g) if g else 0 for g in m.groups()[:3]]
    given = sum(1 for g in m.groups()[:3] if g)
    return (parts[0], parts[1], parts[2]), given


def version_allowed(version: str, constraint: str) -> bool:
    """Whether `version` meets a Terraform version constraint such as ">= 7.0, < 8.0"."""
    have, _ = _parse_version(version)
    for part in constraint.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^(~>|>=|<=|!=|=|>|<)?\s*(.+)$", part)
        if not m:
            raise UsageError(f"not a version constraint: {constraint!r}")
        op, want_text = m.group(1) or "=", m.group(2)
        want, given = _parse_version(want_text)
        if op == "~>":
            upper = list(want)
            bump = max(given - 2, 0)
            upper[bump] += 1
            for i in range(bump + 1, 3):
                upper[i] = 0
            ok = want <= have < tuple(upper)
        else:
            ok = {
                "=": have == want,
                "!=": have != want,
                ">": have > want,
                ">=": have >= want,
                "<": have < want,
                "<=": have <= want,
            }[op]
        if not ok:
            return False
    return True


# --------------------------------------------------------------------------- configuration scan


@dataclass(frozen=True)
class Requirement:
    """One `required_providers` entry: where it is and what it asks for."""

    file: str
    line: int
    local_name: str
    source: str  # "hashicorp/google"
    constraint: str


_REQUIRED_BLOCK = re.compile(r"required_providers\s*\{")
_PROVIDER_ENTRY = re.compile(r"(\w[\w-]*)\s*=\s*\{([^{}]*)\}", re.S)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _matching_brace(text: str, start: int) -> int:
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return len(text)


def scan_requirements(directory: Path) -> list[Requirement]:
    """The `required_providers` entries of the .tf files directly in `directory`."""
    found: list[Requirement] = []
    for tf in sorted(directory.glob("*.tf")):
        text = tf.read_text(encoding="utf-8")
        for block in _REQUIRED_BLOCK.finditer(text):
            open_at = block.end() - 1
            body = text[open_at + 1 : _matching_brace(text, open_at)]
            for entry in _PROVIDER_ENTRY.finditer(body):
                attrs = dict(re.findall(r"(\w+)\s*=\s*\"([^\"]*)\"", entry.group(2)))
                source = attrs.get("source", f"hashicorp/{entry.group(1)}")
                if source.count("/") == 2:  # registry.terraform.io/hashicorp/google
                    source = source.split("/", 1)[1]
                line = text.count("\n", 0, open_at + 1 + entry.start()) + 1
                found.append(
                    Requirement(
                        _display(tf), line, entry.group(1), source, attrs.get("version", "")
                    )
                )
    return found


def terraform_dirs(root: Path = REPO_ROOT) -> list[Path]:
    """The root module and every module under modules/."""
    dirs = [root / "terraform"] if (root / "terraform").is_dir() else []
    dirs += sorted(p for p in (root / "modules").glob("*") if p.is_dir() and any(p.glob("*.tf")))
    return dirs


# --------------------------------------------------------------------------- the providers


@dataclass(frozen=True)
class ProviderSpec:
    """One provider built from its released source: which version, from which archive."""

    source: str  # "hashicorp/google"
    version: str
    archive: str  # file name of the source archive in the sources directory
    sha256: str  # of the archive: what the cached build is keyed by
    ldflags: str  # what the provider's release process links in (its version string)

    @property
    def name(self) -> str:
        return self.source.split("/")[-1]


def load_manifest(path: Path = MANIFEST) -> dict[str, ProviderSpec]:
    shown = _display(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SciplatError(f"{shown}: cannot read the provider manifest: {exc}") from exc
    providers = data.get("providers") if isinstance(data, dict) else None
    if not isinstance(providers, dict):
        raise UsageError(f"{shown}: providers: required (an object of provider source to spec)")
    specs = {}
    for source, spec in providers.items():
        for key in ("version", "archive", "sha256"):
            if not isinstance(spec, dict) or not isinstance(spec.get(key), str) or not spec[key]:
                where = f"{shown}: providers.{source}.{key}"
                raise UsageError(f"{where}: required (a non-empty string)")
        if not re.fullmatch(r"[0-9a-f]{64}", spec["sha256"]):
            raise UsageError(f"{shown}: providers.{source}.sha256: not a sha256 hex digest")
        specs[source] = ProviderSpec(
            source, spec["version"], spec["archive"], spec["sha256"], str(spec.get("ldflags", ""))
        )
    return specs


def cache_root() -> Path:
    """Where built providers live: outside the repository, keyed by provider, version and source."""
    if explicit := os.environ.get("SCIPLAT_PROVIDER_CACHE"):
        return Path(explicit).expanduser()
    return gobuild.cache_base() / "providers"


def sources_dir() -> Path:
    """Where the providers' released source archives are: $SCIPLAT_PROVIDER_SOURCES, else the
    offline copies beside the repository (../shared/vendor/terraform-providers)."""
    if explicit := os.environ.get("SCIPLAT_PROVIDER_SOURCES"):
        return Path(explicit).expanduser()
    return REPO_ROOT.parent / "shared" / "vendor" / "terraform-providers"


def cli_config_path() -> Path:
    return cache_root() / "mirror.tfrc"


def mirror_dir() -> Path:
    return cache_root() / "mirror"


def registry_reachable(timeout: float = 3.0) -> bool:
    """Whether the Terraform registry answers (then `terraform init` installs providers)."""
    mode = os.environ.get("SCIPLAT_PROVIDERS", "auto")
    if mode == "local":
        return False
    if mode == "registry":
        return True
    import httpx

    try:
        resp = httpx.get(f"https://{REGISTRY_HOST}/.well-known/terraform.json", timeout=timeout)
    except httpx.HTTPError:
        return False
    return resp.status_code == 200


def _say(message: str, quiet: bool) -> None:
    if not quiet:
        err.print(message, markup=False)


def _platform() -> str:
    machine = os.uname().machine
    arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{sys.platform}_{arch}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def mirror_path(spec: ProviderSpec) -> Path:
    """The provider's executable in the unpacked filesystem-mirror layout Terraform reads."""
    return (
        mirror_dir()
        / REGISTRY_HOST
        / spec.source
        / spec.version
        / _platform()
        / f"terraform-provider-{spec.name}_v{spec.version}"
    )


def build_provider(spec: ProviderSpec, quiet: bool = False) -> Path:
    """Build one provider from its released source (once per archive checksum) into the mirror."""
    archive = sources_dir() / spec.archive
    if not archive.is_file():
        raise SciplatError(
            f"{spec.source} {spec.version}: the Terraform registry is unreachable and the "
            f"provider's source archive {spec.archive} is not in {sources_dir()}; set "
            "SCIPLAT_PROVIDER_SOURCES to the directory holding it",
            exit_code=2,
        )
    build_dir = cache_root() / "builds" / f"{spec.name}-{spec.version}-{spec.sha256[:12]}"
    exe = build_dir / f"terraform-provider-{spec.name}_v{spec.version}"

    def make(out: Path) -> None:
        actual = _sha256(archive)
        if actual != spec.sha256:
            raise SciplatError(
                f"{archive}: sha256 {actual} is not the {spec.sha256} that "
                f"{_display(MANIFEST)} pins for {spec.source} {spec.version}"
            )
        src = out / "src"
        shutil.rmtree(src, ignore_errors=True)
        src.mkdir()
        _say(f"{spec.source} {spec.version}: unpacking {spec.archive}", quiet)
        with tarfile.open(archive) as tar:
            tar.extractall(src, filter="data")
        roots = [p for p in src.iterdir() if (p / "go.mod").is_file()]
        if len(roots) != 1:
            raise SciplatError(f"{archive}: expected one Go module at the top of the archive")
        # Static, as the providers' release builds are.
        target = gobuild.Target(
            f"{spec.source} {spec.version}",
            roots[0],
            ".",
            exe,
            f"-s -w {spec.ldflags}".strip(),
            cgo=False,
        )
        gobuild.build(target, quiet=quiet)
        shutil.rmtree(src, ignore_errors=True)  # the Go caches keep what a rebuild needs

    gobuild.cached(build_dir, spec.sha256, make)
    linked = mirror_path(spec)
    if not (linked.is_file() and os.path.samefile(linked, exe)):
        linked.parent.mkdir(parents=True, exist_ok=True)
        staged = linked.with_name(linked.name + ".tmp")
        staged.unlink(missing_ok=True)
        try:
            os.link(exe, staged)
        except OSError:
            shutil.copy2(exe, staged)
        staged.replace(linked)
    return linked


def render_cli_config(sources: list[str]) -> str:
    addresses = [f"{REGISTRY_HOST}/{source}" for source in sorted(sources)]
    listed = ", ".join(f'"{a}"' for a in addresses)
    return "\n".join(
        [
            "# Written by `sciplat providers`: the providers built from their released sources,",
            "# offered as a filesystem mirror, so a plain `terraform init` installs them offline",
            "# (and writes the dependency lock file); everything else comes from the registry.",
            "provider_installation {",
            "  filesystem_mirror {",
            f'    path    = "{mirror_dir()}"',
            f"    include = [{listed}]",
            "  }",
            "  direct {",
            f"    exclude = [{listed}]",
            "  }",
            "}",
            "",
        ]
    )


@dataclass
class ProvidersResult:
    mode: str  # "registry" | "local"
    providers: list[dict[str, Any]] = field(default_factory=list)
    cli_config: Path | None = None
    seconds: float = 0.0


def required_sources(dirs: list[Path]) -> dict[str, list[Requirement]]:
    by_source: dict[str, list[Requirement]] = {}
    for directory in dirs:
        for req in scan_requirements(directory):
            by_source.setdefault(req.source, []).append(req)
    return by_source


def ensure_providers(
    dirs: list[Path] | None = None, *, quiet: bool = False, check_registry: bool = True
) -> ProvidersResult:
    """Make every provider the code requires installable offline, or say the registry will do."""
    started = time.monotonic()
    if check_registry and registry_reachable():
        return ProvidersResult("registry", seconds=time.monotonic() - started)
    dirs = terraform_dirs() if dirs is None else dirs
    manifest = load_manifest()
    needed = required_sources(dirs)
    problems = []
    for source, reqs in sorted(needed.items()):
        spec = manifest.get(source)
        if spec is None:
            first = reqs[0]
            problems.append(
                f"{first.file}:{first.line}: {first.local_name}: no source archive is known for "
                f"{source}; add it to {_display(MANIFEST)}"
            )
            continue
        for req in reqs:
            if req.constraint and not version_allowed(spec.version, req.constraint):
                problems.append(
                    f"{req.file}:{req.line}: {req.local_name}: version constraint "
                    f'"{req.constraint}" excludes {spec.version}, the version built from '
                    f"source ({_display(MANIFEST)})"
                )
    if problems:
        raise UsageError("\n".join(problems))
    result = ProvidersResult("local")
    for source in sorted(needed):
        spec = manifest[source]
        path = build_provider(spec, quiet)
        result.providers.append({"source": source, "version": spec.version, "path": str(path)})
    config = cli_config_path()
    # Every provider of the manifest, whichever this call needed: one file, the same for all.
    text = render_cli_config(sorted(manifest))
    if not config.is_file() or config.read_text(encoding="utf-8") != text:
        staged = config.with_suffix(f".{os.getpid()}.tmp")
        staged.write_text(text, encoding="utf-8")
        staged.replace(config)
    result.cli_config = config
    result.seconds = time.monotonic() - started
    return result


def _dir_size(path: Path) -> int:
    """Bytes on disk under `path`, counting hard-linked files once."""
    seen: dict[tuple[int, int], int] = {}
    for p in path.rglob("*"):
        if p.is_file():
            st = p.stat()
            seen[(st.st_dev, st.st_ino)] = st.st_size
    return sum(seen.values())


# --------------------------------------------------------------------------- running terraform


def _terraform(workdir: Path, env: dict[str, str]) -> Any:
    from sciplat.terraform import Terraform

    return Terraform(workdir, env=env)


def _data_dir(directory: Path, test_directory: str | None = None) -> Path:
    """Per-directory TF_DATA_DIR under build/, so checks leave nothing in the module folders."""
    try:
        slug = str(directory.resolve().relative_to(REPO_ROOT)).replace("/", "-")
    except ValueError:
        slug = "ext-" + hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:12]
    if test_directory:
        slug += "--" + test_directory.replace("/", "-")
    return REPO_ROOT / "build" / "tfcheck" / slug


def _tf_env(
    directory: Path, providers: ProvidersResult, test_directory: str | None = None
) -> dict[str, str]:
    env = {"TF_DATA_DIR": str(_data_dir(directory, test_directory)), "TF_IN_AUTOMATION": "1"}
    if providers.mode == "local" and providers.cli_config is not None:
        env["TF_CLI_CONFIG_FILE"] = str(providers.cli_config)
    return env


def _prepare_dir(
    directory: Path, providers: ProvidersResult, test_directory: str | None = None
) -> Any:
    """`terraform init` without a backend: providers from the registry or the local mirror, and
    the modules, also those the test files call."""
    tf = _terraform(directory, _tf_env(directory, providers, test_directory))
    args = ["init", "-backend=false", "-input=false", "-no-color"]
    if test_directory:
        args.append(f"-test-directory={test_directory}")
    proc = tf.run(args, stream=False, check=False)
    if proc.returncode != 0:
        raise SciplatError(
            f"{_display(directory)}: terraform {' '.join(args)} failed:\n"
            f"{(proc.stderr or proc.stdout).strip()}"
        )
    return tf


@dataclass(frozen=True)
class Diagnostic:
    directory: str
    severity: str
    summary: str
    detail: str
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.file else self.directory
        detail = " ".join(self.detail.split())
        return f"{where}: {self.severity}: {self.summary}" + (f": {detail}" if detail else "")


def validate_dir(directory: Path, providers: ProvidersResult) -> list[Diagnostic]:
    tf = _prepare_dir(directory, providers)
    proc = tf.run(["validate", "-json", "-no-color"], stream=False, check=False)
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise SciplatError(
            f"{_display(directory)}: terraform validate printed no JSON "
            f"(exit {proc.returncode}):\n{(proc.stderr or proc.stdout).strip()}"
        ) from exc
    out = []
    for diag in data.get("diagnostics", []):
        rng = diag.get("range") or {}
        file = rng.get("filename", "")
        if file:
            file = _display(directory / file)
        start = rng.get("start") or {}
        out.append(
            Diagnostic(
                _display(directory),
                diag.get("severity", "error"),
                diag.get("summary", ""),
                diag.get("detail", ""),
                file,
                int(start.get("line", 0)),
                int(start.get("column", 0)),
            )
        )
    if proc.returncode != 0 and not any(d.severity == "error" for d in out):
        out.append(
            Diagnostic(
                _display(directory), "error", "terraform validate failed", proc.stderr, "", 0, 0
            )
        )
    return out


_TEST_TOTALS = re.compile(r"(\d+) passed, (\d+) failed(?:, (\d+) skipped)?")


@dataclass
class SuiteResult:
    label: str
    directory: str
    passed: int
    failed: int
    skipped: int
    seconds: float
    ok: bool
    output: str


def count_suite(paths: list[Path]) -> tuple[int, int]:
    """(run blocks, assert blocks) in the given .tftest.hcl files."""
    runs = asserts = 0
    for path in paths:
        text = re.sub(r"(?m)^\s*(#|//).*$", "", path.read_text(encoding="utf-8"))
        runs += len(re.findall(r"(?m)^\s*run\s+\"", text))
        asserts += len(re.findall(r"(?m)^\s*assert\s*\{", text))
    return runs, asserts


def run_suite(
    directory: Path,
    providers: ProvidersResult,
    *,
    label: str,
    extra: list[str] | None = None,
    prepared: Any = None,
) -> SuiteResult:
    tf = prepared or _prepare_dir(directory, providers)
    started = time.monotonic()
    proc = tf.run(["test", "-no-color", *(extra or [])], stream=False, check=False)
    output = (proc.stdout or "") + (proc.stderr or "")
    totals = _TEST_TOTALS.findall(output)
    passed, failed, skipped = (int(x or 0) for x in totals[-1]) if totals else (0, 0, 0)
    return SuiteResult(
        label,
        _display(directory),
        passed,
        failed,
        skipped,
        time.monotonic() - started,
        proc.returncode == 0 and failed == 0,
        output,
    )


def environment_tfvars(name: str) -> Path:
    """Render one environment's tfvars into build/tfcheck/env/ (not the operator's build/ENV)."""
    from sciplat.render import prepare

    _, _, tfvars, _ = prepare(name)
    out = REPO_ROOT / "build" / "tfcheck" / "env" / f"{name}.tfvars.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(tfvars, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out


# --------------------------------------------------------------------------- commands


def _resolve_dirs(paths: list[str] | None) -> list[Path]:
    if not paths:
        dirs = terraform_dirs()
        if not dirs:
            raise UsageError("no Terraform found: expected terraform/ and modules/*/")
        return dirs
    out = []
    for text in paths:
        path = Path(text)
        if not path.is_dir() or not any(path.glob("*.tf")):
            raise UsageError(f"{text}: not a directory with .tf files")
        out.append(path)
    return out


def providers_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    local: bool = typer.Option(
        False, "--local", help="Build from source even if the Terraform registry answers."
    ),
) -> None:
    """Make the Terraform providers the code requires installable, offline if need be.

    When the Terraform registry answers, nothing is built: `terraform init` installs the pinned
    providers. Otherwise each provider is built from its released source archive (version and
    sha256 pinned in tools/providers/providers.json; sources in $SCIPLAT_PROVIDER_SOURCES, by
    default ../shared/vendor/terraform-providers) with Go, its dependencies from the Go module
    proxy, into a cache outside the repository keyed by version and source checksum
    ($SCIPLAT_PROVIDER_CACHE, default ~/.cache/sciplat/providers). A Terraform CLI config offers
    the builds as a filesystem mirror; set TF_CLI_CONFIG_FILE to it and a plain `terraform init`
    works offline. A first build takes minutes (google is the largest); later runs reuse it.
    SCIPLAT_PROVIDERS=local|registry forces either way.

    Example: sciplat providers --json
    """
    result = ensure_providers(quiet=as_json, check_registry=not local)
    if as_json:
        payload = {
            "mode": result.mode,
            "cli_config": str(result.cli_config) if result.cli_config else None,
            "cache": str(cache_root()),
            "providers": result.providers,
            "seconds": round(result.seconds, 2),
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    if result.mode == "registry":
        console.print(
            f"{REGISTRY_HOST} answers: `terraform init` installs the pinned providers; "
            "nothing to build."
        )
        return
    table = Table(title="providers built from source (filesystem mirror)")
    table.add_column("provider")
    table.add_column("version")
    table.add_column("path")
    for item in result.providers:
        table.add_row(item["source"], item["version"], item["path"])
    console.print(table)
    size = _dir_size(cache_root()) / 2**20
    console.print(f"CLI config: {result.cli_config}  (cache {size:.0f} MiB, {result.seconds:.1f}s)")
    console.print(f"Use it with: export TF_CLI_CONFIG_FILE={result.cli_config}")


def tf_validate(
    paths: list[str] = typer.Argument(
        None, metavar="[DIR]...", help="Terraform directories; the root and every module if none."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the diagnostics as JSON."),
) -> None:
    """Run `terraform validate` for the root and every module against the provider schemas.

    Prints each diagnostic as FILE:LINE:COLUMN: severity: summary: detail and exits 1 when any
    directory has an error.

    Example: sciplat tf-validate modules/gke
    """
    dirs = _resolve_dirs(paths)
    providers = ensure_providers(quiet=True)
    rows = []
    diagnostics: list[Diagnostic] = []
    for directory in dirs:
        diags = validate_dir(directory, providers)
        diagnostics += diags
        errors = sum(1 for d in diags if d.severity == "error")
        rows.append((_display(directory), errors, len(diags) - errors))
    errors_total = sum(r[1] for r in rows)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "valid": errors_total == 0,
                    "providers": providers.mode,
                    "directories": [
                        {"directory": d, "errors": e, "warnings": w} for d, e, w in rows
                    ],
                    "diagnostics": [d.__dict__ for d in diagnostics],
                },
                indent=2,
            )
        )
    else:
        table = Table(title=f"terraform validate ({providers.mode} providers)")
        table.add_column("directory")
        table.add_column("errors", justify="right")
        table.add_column("warnings", justify="right")
        for d, e, w in rows:
            table.add_row(d, str(e), str(w))
        console.print(table)
        for diag in diagnostics:
            if diag.severity != "error":
                err.print(str(diag), markup=False)
    if errors_total:
        raise SciplatError(
            "\n".join(str(d) for d in diagnostics if d.severity == "error"), exit_code=1
        )


def tf_test(
    paths: list[str] = typer.Argument(
        None, metavar="[DIR]...", help="Terraform directories; the root and every module if none."
    ),
    envs: list[str] = typer.Option(
        None, "--env", help="Environments for the root's environment suite; all when omitted."
    ),
    no_envs: bool = typer.Option(False, "--no-envs", help="Skip the per-environment runs."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show terraform test output."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Suites run at once; 0 = one per CPU."),
) -> None:
    """Run `terraform test` for the root and every module, then once per environment.

    Each directory's tests/*.tftest.hcl run with mock providers (the real providers' schemas and
    validation, from the registry or built from source offline). The root's tests/environments
    suite then runs with each shipped environment's rendered tfvars. Exits 1 when any run fails.

    Example: sciplat tf-test modules/gke --no-envs
    """
    from sciplat.config import environment_names

    dirs = _resolve_dirs(paths)
    providers = ensure_providers(quiet=True)
    # (label, directory, extra args, prepared runner): modules are installed first, one
    # directory at a time; the suites then run side by side.
    jobs_list: list[tuple[str, Path, list[str], Any]] = []
    for directory in dirs:
        files = sorted((directory / "tests").glob("*.tftest.hcl"))
        env_files = [] if no_envs else sorted((directory / ENV_SUITE_DIR).glob("*.tftest.hcl"))
        if files:
            tf = _prepare_dir(directory, providers)
            jobs_list.append((_display(directory), directory, [], tf))
        if env_files:
            tf = _prepare_dir(directory, providers, ENV_SUITE_DIR)
            for name in envs or environment_names():
                tfvars = environment_tfvars(name)
                extra = [f"-test-directory={ENV_SUITE_DIR}", f"-var-file={tfvars}"]
                jobs_list.append((f"{_display(directory)} [{name}]", directory, extra, tf))
    if not jobs_list:
        raise UsageError("no tests/*.tftest.hcl found in the given directories")

    def one(job: tuple[str, Path, list[str], Any]) -> SuiteResult:
        label, directory, extra, tf = job
        result = run_suite(directory, providers, label=label, extra=extra, prepared=tf)
        if not as_json:
            state = "ok" if result.ok else "FAILED"
            err.print(
                f"{label}: {result.passed} passed, {result.failed} failed "
                f"({result.seconds:.1f}s) {state}",
                markup=False,
            )
        return result

    from concurrent.futures import ThreadPoolExecutor

    workers = max(1, jobs or os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, jobs_list))
    if not results:
        raise UsageError("no tests/*.tftest.hcl found in the given directories")
    failed = [r for r in results if not r.ok]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "passed": not failed,
                    "providers": providers.mode,
                    "suites": [
                        {k: v for k, v in r.__dict__.items() if k != "output"} for r in results
                    ],
                },
                indent=2,
            )
        )
    else:
        table = Table(title=f"terraform test ({providers.mode} providers)")
        for col in ("suite", "passed", "failed", "seconds"):
            table.add_column(col, justify="left" if col == "suite" else "right")
        for r in results:
            table.add_row(escape(r.label), str(r.passed), str(r.failed), f"{r.seconds:.1f}")
        console.print(table)
        for r in results:
            if verbose or not r.ok:
                err.print(f"--- {r.label}\n{r.output.strip()}", markup=False)
    total_pass = sum(r.passed for r in results)
    total_fail = sum(r.failed for r in results)
    if not as_json:
        runs = asserts = 0
        for _label, directory, extra, _tf in jobs_list:
            folder = directory / (ENV_SUITE_DIR if extra else "tests")
            suite_runs, suite_asserts = count_suite(sorted(folder.glob("*.tftest.hcl")))
            runs, asserts = runs + suite_runs, asserts + suite_asserts
        console.print(f"{len(jobs_list)} suites, {runs} runs, {asserts} asserts")
        console.print(f"tf-test: {total_pass} passed, {total_fail} failed")
    if failed:
        raise SciplatError(
            "terraform test failed in: " + ", ".join(r.label for r in failed), exit_code=1
        )


def register(app: typer.Typer) -> None:
    app.command("providers")(providers_cmd)
    app.command("tf-validate")(tf_validate)
    app.command("tf-test")(tf_test)
