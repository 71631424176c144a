"""Apply modules/hub for one environment to a local control plane, with the real providers.

The inputs are the environment's rendered tfvars (`sciplat.render.prepare`), passed through the
wrapper root tests/harness/hub-local/ exactly as terraform/main.tf passes them; the chart is the
released zero-to-jupyterhub directory ($SCIPLAT_Z2JH_CHART, by default
../shared/vendor/z2jh-4.4.0/chart/jupyterhub beside the repository). The kubernetes and helm
providers are the real ones (from the registry, or built from source by `sciplat providers`).

For people: `make hub-local ENV=stable` starts the control plane under build/cluster if needed,
applies, and prints the kubeconfig:
    python -m tests.harness.hub stable [--destroy]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sciplat.errors import SciplatError
from sciplat.hubvalues import mirror_prefixes
from sciplat.terraform import Terraform
from tests.harness.controlplane import DEFAULT_DIR, ControlPlane, ControlPlaneError, up

REPO_ROOT = Path(__file__).resolve().parents[2]
WRAPPER = Path(__file__).resolve().parent / "hub-local"
# Documentation addresses (RFC 5737): no kubelet mounts anything, nothing is ever sent to them.
HOME_SERVER = "192.0.2.10"
SHARED_SERVER = "192.0.2.11"


def vendor_dir() -> Path:
    return Path(os.environ.get("SCIPLAT_VENDOR") or REPO_ROOT.parent / "shared" / "vendor")


def chart_dir() -> Path:
    named = os.environ.get("SCIPLAT_Z2JH_CHART")
    return Path(named) if named else vendor_dir() / "z2jh-4.4.0" / "chart" / "jupyterhub"


def dask_chart_dir() -> Path:
    named = os.environ.get("SCIPLAT_DASK_GATEWAY_CHART")
    return (
        Path(named) if named else vendor_dir() / "dask-gateway-2026.3.0" / "chart" / "dask-gateway"
    )


def hub_variables(tfvars: dict[str, Any], kubeconfig: Path, chart: Path) -> dict[str, Any]:
    """The wrapper's variables from an environment's rendered tfvars."""
    filestore = tfvars["filestore"]
    return {
        "kubeconfig": str(kubeconfig),
        "chart_path": str(chart),
        "hub": tfvars["hub"],
        "dask": tfvars.get("dask") or {"enabled": False, "release_name": "dask-gateway"},
        "extra_pools": tfvars.get("extra_pools") or [],
        "dask_chart_path": str(dask_chart_dir()),
        "labels": tfvars["labels"],
        "mirror_prefixes": mirror_prefixes(tfvars),
        "home_nfs": {
            "server": HOME_SERVER,
            "path": f"/{filestore['home']['share_name']}",
            "capacity_gib": filestore["home"]["capacity_gib"],
        },
        "shared_nfs": {
            "server": SHARED_SERVER,
            "path": f"/{filestore['shared']['share_name']}",
            "capacity_gib": filestore["shared"]["capacity_gib"],
        },
    }


def rendered_tfvars(env_name: str) -> dict[str, Any]:
    from sciplat.render import prepare

    _, _, tfvars, _ = prepare(env_name)
    return copy.deepcopy(tfvars)


@dataclass
class HubApply:
    """One environment's hub on the control plane: its Terraform, inputs and outputs."""

    env: str
    plane: ControlPlane
    workdir: Path
    tf: Terraform
    variables: dict[str, Any]
    outputs: dict[str, Any]
    seconds: float

    @property
    def namespace(self) -> str:
        return str(self.outputs["namespace"])

    def apply(self, variables: dict[str, Any] | None = None) -> HubApply:
        """Apply again, with changed variables when given (an image set, a share's capacity)."""
        if variables is not None:
            self.variables = variables
        self.seconds = _apply(self.tf, self.workdir, self.variables)
        self.outputs = _outputs(self.tf)
        return self

    def plan_json(self, *, destroy: bool = False) -> dict[str, Any]:
        """A saved plan (of the current variables, or of a destroy) as `terraform show -json`."""
        plan = self.workdir / ("destroy.tfplan" if destroy else "change.tfplan")
        args = ["plan", "-input=false", "-no-color", f"-var-file={self._var_file()}"]
        args += [f"-out={plan}"] + (["-destroy"] if destroy else [])
        self.tf.run(args, stream=False)
        return dict(self.tf.json(["show", "-json", str(plan)]))

    def destroy(self) -> None:
        self.tf.run(
            [
                "destroy",
                "-auto-approve",
                "-input=false",
                "-no-color",
                f"-var-file={self._var_file()}",
            ],
            stream=False,
        )

    def _var_file(self) -> Path:
        return _write_vars(self.workdir, self.variables)


def _write_vars(workdir: Path, variables: dict[str, Any]) -> Path:
    path = workdir / "hub.tfvars.json"
    path.write_text(json.dumps(variables, indent=2, sort_keys=True), encoding="utf-8")
    return path


def _apply(tf: Terraform, workdir: Path, variables: dict[str, Any]) -> float:
    started = time.monotonic()
    var_file = _write_vars(workdir, variables)
    tf.run(
        ["apply", "-auto-approve", "-input=false", "-no-color", f"-var-file={var_file}"],
        stream=False,
    )
    return time.monotonic() - started


def _outputs(tf: Terraform) -> dict[str, Any]:
    return {k: v["value"] for k, v in tf.json(["output", "-json"]).items()}


def terraform_for(workdir: Path, cli_config: Path | None) -> Terraform:
    env = {"TF_DATA_DIR": str(workdir / ".terraform"), "TF_IN_AUTOMATION": "1"}
    if cli_config is not None:
        env["TF_CLI_CONFIG_FILE"] = str(cli_config)
    return Terraform(WRAPPER, env=env)


def apply_hub(
    plane: ControlPlane,
    env_name: str,
    workdir: Path,
    *,
    tfvars: dict[str, Any] | None = None,
    quiet: bool = True,
) -> HubApply:
    """Init the wrapper (state in `workdir`) and apply the hub of `env_name` to `plane`."""
    from sciplat.tfcheck import ensure_providers

    chart = chart_dir()
    if not (chart / "Chart.yaml").is_file():
        raise SciplatError(
            f"the zero-to-jupyterhub chart is not at {chart}; set SCIPLAT_Z2JH_CHART to the "
            "chart's directory",
            exit_code=2,
        )
    providers = ensure_providers([WRAPPER], quiet=quiet)
    workdir.mkdir(parents=True, exist_ok=True)
    tf = terraform_for(workdir, providers.cli_config)
    tf.run(
        [
            "init",
            "-input=false",
            "-no-color",
            "-reconfigure",
            f"-backend-config=path={workdir / 'terraform.tfstate'}",
        ],
        stream=False,
    )
    variables = hub_variables(
        tfvars if tfvars is not None else rendered_tfvars(env_name), plane.kubeconfig, chart
    )
    seconds = _apply(tf, workdir, variables)
    return HubApply(env_name, plane, workdir, tf, variables, _outputs(tf), seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.harness.hub",
        description="Apply modules/hub for ENV's rendered inputs to the local control plane "
        "(started under build/cluster if none is healthy) with the real kubernetes and helm "
        "providers and the released chart. Helm does not wait for pods: none run here.",
        epilog="Example: python -m tests.harness.hub stable && "
        "kubectl --kubeconfig build/cluster/kubeconfig -n hub get all",
    )
    parser.add_argument("env", help="environment name (env/ENV.yaml)")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="control plane directory")
    parser.add_argument("--destroy", action="store_true", help="destroy ENV's hub instead")
    args = parser.parse_args(argv)
    try:
        plane = up(args.dir)
        workdir = args.dir / "hub" / args.env
        print(f"> applying the hub of {args.env} to {plane.server}", file=sys.stderr)
        result = apply_hub(plane, args.env, workdir, quiet=False)
        if args.destroy:
            result.destroy()
            print(f"destroyed the hub of {args.env}")
        else:
            print(
                f"applied the hub of {args.env} in {result.seconds:.1f}s: "
                f"namespace {result.namespace}, release {result.outputs['release']}"
            )
        print(f"kubeconfig: {plane.kubeconfig}")
        print(f"try: kubectl --kubeconfig {plane.kubeconfig} -n {result.namespace} get all,pvc,cm")
        return 0
    except (SciplatError, ControlPlaneError) as exc:
        print(f"hub-local: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 1)


if __name__ == "__main__":
    sys.exit(main())
