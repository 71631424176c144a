"""The chart's own checks with every environment's values: `helm lint` and `helm template`.

For each environment, the values the release receives (`sciplat.hubvalues.release_values`, with
placeholder secrets of the right shape) are written to build/chartcheck/ENV.values.yaml; `helm
lint` must pass and `helm template` must render, into build/chartcheck/ENV.yaml (which the tests
then send to a real API server as a server-side dry run). Run by `make lint`:
    python -m tests.harness.chartcheck [ENV ...]
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import yaml

from sciplat.config import environment_names
from sciplat.errors import SciplatError
from sciplat.hubvalues import release_values
from tests.harness.hub import chart_dir, rendered_tfvars
from tests.harness.tools import helm_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT = REPO_ROOT / "build" / "chartcheck"
RELEASE = "jupyterhub"
# What `helm template` assumes the cluster runs (helm's default is far older than any GKE release
# channel); the local control plane runs this version too (tools/kube).
KUBE_VERSION = "1.34.2"


def values_file(env_name: str) -> Path:
    tfvars = rendered_tfvars(env_name)
    values = release_values(tfvars, placeholders=True)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{env_name}.values.yaml"
    path.write_text(yaml.safe_dump(values, sort_keys=True), encoding="utf-8")
    return path


def namespace_of(env_name: str) -> str:
    return str(rendered_tfvars(env_name)["hub"]["namespace"])


def lint(helm: Path, values: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(helm), "lint", str(chart_dir()), "--strict", "-f", str(values)],
        capture_output=True,
        text=True,
    )


def template(env_name: str, helm: Path, values: Path) -> Path:
    """Render the chart as the release would; return the manifest file."""
    out = OUT / f"{env_name}.yaml"
    proc = subprocess.run(
        [
            str(helm),
            "template",
            RELEASE,
            str(chart_dir()),
            "--namespace",
            namespace_of(env_name),
            "--kube-version",
            KUBE_VERSION,
            "-f",
            str(values),
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SciplatError(f"helm template failed for {env_name}:\n{proc.stderr.strip()}")
    out.write_text(proc.stdout, encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    envs = (argv if argv is not None else sys.argv[1:]) or environment_names()
    helm = helm_tool()
    failed = 0
    for env_name in envs:
        started = time.monotonic()
        values = values_file(env_name)
        linted = lint(helm, values)
        if linted.returncode != 0:
            failed += 1
            print(f"{env_name}: helm lint failed\n{linted.stdout}{linted.stderr}", file=sys.stderr)
            continue
        try:
            manifest = template(env_name, helm, values)
        except SciplatError as exc:
            failed += 1
            print(str(exc), file=sys.stderr)
            continue
        objects = sum(1 for doc in yaml.safe_load_all(manifest.read_text()) if doc)
        took = time.monotonic() - started
        print(f"{env_name}: helm lint ok, helm template ok ({objects} objects, {took:.1f}s)")
    print(f"helm lint and helm template: {len(envs) - failed} of {len(envs)} environments ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
