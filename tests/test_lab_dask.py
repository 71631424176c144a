"""Dask beside the Hub: the environment's dask section, the planner's dask pool, the gateway's
Helm values (validated against the chart's schema) and the Hub's side of the daskhub wiring."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from test_config import raw, write_env
from test_tf_contract import REPO_ROOT, rendered_tfvars
from test_tf_hub_values import deep_merge, evaluate, hub_inputs

from sciplat.capacity import load_prices, plan_capacity
from sciplat.config import load_environment
from tests.conftest import require_or_skip

DASK_VALUES = REPO_ROOT / "modules" / "dask" / "values"


def dask_vendor() -> Path:
    named = os.environ.get("SCIPLAT_DASK_GATEWAY_VENDOR")
    if named:
        return Path(named)
    return (
        REPO_ROOT.parent / "shared" / "vendor" / "dask-gateway-2026.3.0" / "chart" / "dask-gateway"
    )


def dask_inputs(tfvars: dict[str, Any]) -> dict[str, Any]:
    """The values submodule's inputs as terraform/main.tf passes them from the tfvars."""
    dask = tfvars["dask"]
    pool = next(p for p in tfvars["extra_pools"] if p["name"] == dask["pool"])
    return {
        "namespace": tfvars["hub"]["namespace"],
        "release_name": dask["release_name"],
        "per_user": dask["per_user"],
        "scheduler": dask["scheduler"],
        "worker": dask["worker"],
        "idle_timeout_seconds": dask["idle_timeout_seconds"],
        "pool": {"name": pool["name"], "dedicated": pool["dedicated"]},
        "mirror_prefixes": {
            "docker.io": "us-central1-docker.pkg.dev/sciplat-stable/dockerhub",
            "ghcr.io": "us-central1-docker.pkg.dev/sciplat-stable/ghcr",
        },
    }


def evaluate_module(tmp_path: Path, module: Path, inputs: dict[str, Any]) -> dict[str, Any]:
    """Apply a temporary root that calls `module` with `inputs`; return its outputs."""
    import subprocess

    from sciplat.terraform import find_engine

    engine = find_engine()
    root = tmp_path / "root"
    root.mkdir()
    (root / "inputs.json").write_text(json.dumps(inputs), encoding="utf-8")
    arguments = "\n".join(f"  {k} = local.in.{k}" for k in inputs)
    outputs = "\n".join(
        f'output "{name}" {{\n  value = module.m.{name}\n}}'
        for name in ("values", "address", "proxy_address", "service_url", "prefix")
    )
    (root / "main.tf").write_text(
        'locals {\n  in = jsondecode(file("${path.module}/inputs.json"))\n}\n\n'
        f'module "m" {{\n  source = "{module.as_posix()}"\n{arguments}\n}}\n\n{outputs}\n',
        encoding="utf-8",
    )
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "TF_IN_AUTOMATION": "1"}
    for args in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
        run = subprocess.run(
            engine.argv([f"-chdir={root}", *args, "-no-color"]),
            capture_output=True,
            text=True,
            env=env,
        )
        assert run.returncode == 0, f"terraform {args[0]} failed:\n{run.stderr}"
    out = subprocess.run(
        engine.argv([f"-chdir={root}", "output", "-json"]),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return {k: v["value"] for k, v in json.loads(out.stdout).items()}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tfvars, _ = rendered_tfvars("stable")
    return evaluate_module(tmp_path_factory.mktemp("dask"), DASK_VALUES, dask_inputs(tfvars))


# --------------------------------------------------------------------------- planner and render


def test_stable_plans_a_dask_pool_from_the_per_user_limits() -> None:
    sizing = plan_capacity(load_environment("stable").data).to_dict()
    dask = sizing["dask"]
    # 16 cores / 64 GiB per user, scheduler 1 core 2 GiB, workers 2 cores 8 GiB: 7 workers fit.
    assert dask["workers_per_cluster"] == 7
    assert dask["clusters"] == 10 and dask["workers"] == 70
    assert dask["cores_at_peak"] == 150 and dask["memory_gib_at_peak"] == 580
    (pool,) = [p for p in sizing["extra_pools"] if p["name"] == "dask"]
    assert pool["spot"] is True and pool["min_nodes"] == 0
    # Memory binds on n2-standard-8 (27.17 GiB after DaemonSets): 3 workers of 8 GiB per node.
    assert pool["max_nodes"] == 25
    (line,) = [ln for ln in sizing["cost"]["lines"] if ln["item"] == "dask pool"]
    prices = load_prices()
    hourly = (
        prices.node_hour_usd("n2-standard-8", spot=True)
        + 100 * prices.disk_gib_month_usd("pd-balanced") / prices.hours_per_month
    )
    assert line["quantity"] == 25 * 200
    assert line["monthly_usd"] == pytest.approx(25 * 200 * hourly, abs=0.02)


def test_more_clusters_need_more_dask_nodes() -> None:
    data = copy.deepcopy(load_environment("stable").data)
    before = plan_capacity(data).to_dict()
    data["dask"]["concurrent_clusters"] = 20
    after = plan_capacity(data).to_dict()
    nodes = {s["dask"]["pool"]: s for s in (before, after)}
    assert nodes
    b = next(p for p in before["extra_pools"] if p["name"] == "dask")["max_nodes"]
    a = next(p for p in after["extra_pools"] if p["name"] == "dask")["max_nodes"]
    assert a > b
    assert after["network"]["nodes_planned"] == before["network"]["nodes_planned"] + a - b


def test_stable_renders_the_dask_pool_and_settings() -> None:
    tfvars, _ = rendered_tfvars("stable")
    (pool,) = [p for p in tfvars["extra_pools"] if p["name"] == "dask"]
    assert pool["labels"] == {"sciplat.io/pool": "dask"}
    assert pool["dedicated"] is True and pool["spot"] is True
    assert (pool["min_nodes"], pool["max_nodes"]) == (0, 25)
    assert tfvars["dask"]["enabled"] is True
    assert tfvars["dask"]["chart_version"] == "2026.3.0"
    assert tfvars["dask"]["per_user"] == {"max_clusters": 2, "max_cores": 16, "max_memory_gib": 64}
    sandbox, _ = rendered_tfvars("sandbox")
    assert sandbox["dask"]["enabled"] is False
    assert not [p for p in sandbox["extra_pools"] if p["name"] == "dask"]


BAD = [
    (
        {"per_user": {"max_cores": 2}},
        "dask.per_user.max_cores: 2 cores cannot hold a scheduler and one worker (3 cores)",
    ),
    (
        {"worker": {"cores": 2, "memory_gib": 40}},
        "dask.worker: a worker (2 cores, 40 GiB) does not fit a n2-standard-8",
    ),
    (
        {"pool": {"machine_type": "n2-standard-9"}},
        "dask.pool.machine_type: unknown machine type 'n2-standard-9'",
    ),
    ({"concurrent_clusters": 0}, "dask.concurrent_clusters: 0 is less than the minimum of 1"),
    ({"idle_timeout": 60}, "dask.idle_timeout: unknown key (did you mean 'idle_timeout_seconds'?)"),
]


@pytest.mark.parametrize(("change", "expected"), BAD, ids=[b[1].split(":")[0] for b in BAD])
def test_bad_dask_settings(tmp_path: Path, change: dict[str, Any], expected: str, run_cli) -> None:
    data = raw("stable")
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(data["dask"].get(key), dict):
            data["dask"][key] = {**data["dask"][key], **value}
        else:
            data["dask"][key] = value
    path = write_env(tmp_path, data)
    result = run_cli("validate", str(path))
    assert result.code == 2
    assert "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if "dask" in line]
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"{path}:") and expected in lines[0], lines[0]
    text = path.read_text().splitlines()
    assert int(lines[0].split(":")[1]) > text.index("dask:")


def test_the_dask_pool_name_is_taken(tmp_path: Path, run_cli) -> None:
    data = raw("stable")
    data["node_pools"]["extra"] = [
        {"name": "dask", "machine_type": "n2-standard-8", "max_nodes": 1}
    ]
    result = run_cli("validate", str(write_env(tmp_path, data)))
    assert result.code == 2
    assert "node_pools.extra[0].name: pool name 'dask' is used twice" in result.err


# --------------------------------------------------------------------------- gateway values


@pytest.mark.integration
def test_gateway_values_fit_the_chart_schema(gateway: dict[str, Any]) -> None:
    chart = dask_vendor()
    if not (chart / "values.schema.json").is_file():
        require_or_skip(f"dask-gateway chart not found at {chart}; set SCIPLAT_DASK_GATEWAY_VENDOR")
    defaults = yaml.safe_load((chart / "values.yaml").read_text(encoding="utf-8"))
    schema = json.loads((chart / "values.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(deep_merge(defaults, gateway["values"]), schema)
    bad = deep_merge(defaults, {"gateway": {"auth": {"type": "oauth"}}})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


@pytest.mark.integration
def test_gateway_values_wire_auth_placement_limits_and_mirror(gateway: dict[str, Any]) -> None:
    values = gateway["values"]
    auth = values["gateway"]["auth"]
    assert auth["type"] == "jupyterhub"
    assert auth["jupyterhub"]["apiUrl"] == "http://hub.hub.svc.cluster.local:8081/hub/api"
    assert auth["jupyterhub"]["apiTokenFromSecretKey"] == "hub.services.dask-gateway.apiToken"
    assert values["gateway"]["prefix"] == "/services/dask-gateway"
    assert values["traefik"]["service"]["type"] == "ClusterIP"
    for role, cores, memory in (("scheduler", 1, "2048M"), ("worker", 2, "8192M")):
        spec = values["gateway"]["backend"][role]
        assert spec["cores"] == {"request": cores, "limit": cores}
        assert spec["memory"] == {"request": memory, "limit": memory}
        assert spec["extraPodConfig"]["nodeSelector"] == {"sciplat.io/pool": "dask"}
        assert spec["extraPodConfig"]["tolerations"][0]["value"] == "dask"
    for part in ("gateway", "controller", "traefik"):
        assert values[part]["nodeSelector"] == {"hub.jupyter.org/node-purpose": "core"}
    assert values["gateway"]["image"]["name"].startswith("us-central1-docker.pkg.dev/")
    assert values["traefik"]["image"]["name"].endswith("/dockerhub/library/traefik")
    assert (
        gateway["address"]
        == "http://traefik-dask-gateway.hub.svc.cluster.local/services/dask-gateway"
    )


@pytest.mark.integration
def test_the_limits_config_is_python_the_gateway_can_run(gateway: dict[str, Any]) -> None:
    code = gateway["values"]["gateway"]["extraConfig"]["sciplat-limits"]
    # The chart pastes extraConfig into the middle of its config file: no __future__ imports.
    assert "__future__" not in code
    compile(code, "dask_gateway_config.py", "exec")
    first = code.splitlines()[0]
    assert first.startswith("SCIPLAT_DASK = ")
    settings = json.loads(first.removeprefix("SCIPLAT_DASK = "))
    assert settings == {
        "per_user": {"max_clusters": 2, "max_cores": 16, "max_memory_gib": 64},
        "idle_timeout_seconds": 1800,
    }


# --------------------------------------------------------------------------- the Hub's side


@pytest.mark.integration
def test_hub_values_declare_the_service_and_give_labs_the_gateway(tmp_path: Path) -> None:
    tfvars, _ = rendered_tfvars("stable")
    inputs = hub_inputs(json.loads(json.dumps(tfvars)))
    inputs["dask"] = {"enabled": True, "release_name": "dask-gateway", "namespace": "hub"}
    values = evaluate(tmp_path, inputs)["values"]
    service = values["hub"]["services"]["dask-gateway"]
    assert service == {"url": "http://traefik-dask-gateway.hub.svc.cluster.local", "display": False}
    (ingress,) = values["hub"]["networkPolicy"]["ingress"]
    assert ingress["ports"] == [{"port": 8081, "protocol": "TCP"}]
    peer = ingress["from"][0]
    assert peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "gateway"
    assert peer["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "hub"}
    (egress,) = values["singleuser"]["networkPolicy"]["egress"]
    assert egress["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "traefik"
    assert {p["port"] for p in egress["ports"]} == {8000, 8786}
    env = values["singleuser"]["extraEnv"]
    assert env["DASK_GATEWAY__ADDRESS"] == (
        "http://traefik-dask-gateway.hub.svc.cluster.local/services/dask-gateway"
    )
    assert env["DASK_GATEWAY__PROXY_ADDRESS"] == (
        "gateway://traefik-dask-gateway.hub.svc.cluster.local:80"
    )
    assert env["DASK_GATEWAY__PUBLIC_ADDRESS"] == (
        "https://stable.sciplat.example.org/services/dask-gateway"
    )
    # Doubled for KubeSpawner, which expands {...} in environment values (the lab gets single
    # braces; tests/test_hub_usermodel_live.py checks the pod).
    assert (
        env["DASK_DISTRIBUTED__DASHBOARD__LINK"]
        == "{{JUPYTERHUB_SERVICE_PREFIX}}proxy/{{port}}/status"
    )


@pytest.mark.integration
def test_hub_values_without_dask_add_nothing(tmp_path: Path) -> None:
    tfvars, _ = rendered_tfvars("sandbox")
    values = evaluate(tmp_path, hub_inputs(json.loads(json.dumps(tfvars))))["values"]
    assert values["hub"]["services"] == {}
    assert values["singleuser"]["extraEnv"] == {}
    assert values["singleuser"]["networkPolicy"]["egress"] == []


# --------------------------------------------------------------------------- the gateway's limits


def _limits_module() -> Any:
    import importlib.util

    path = DASK_VALUES / "gateway" / "limits.py"
    spec = importlib.util.spec_from_file_location("sciplat_dask_limits", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_gateway_caps_each_cluster_as_the_planner_sizes_it() -> None:
    """dask-gateway-server 2026.3.0's own config classes read the settings as the gateway will:
    per-cluster caps from the per-user limits, and the workers they allow are the planner's."""
    from dask_gateway_server.backends.kubernetes.backend import KubeClusterConfig
    from traitlets.config import Config

    limits = _limits_module()
    env = load_environment("stable").data["dask"]
    c = Config()
    limits.configure(
        c, {"per_user": env["per_user"], "idle_timeout_seconds": env["idle_timeout_seconds"]}
    )
    gib = 2**30
    cluster = KubeClusterConfig(
        config=c,
        worker_cores=env["worker"]["cores"],
        worker_memory=int(env["worker"]["memory_gib"] * gib),
        scheduler_cores=env["scheduler"]["cores"],
        scheduler_memory=int(env["scheduler"]["memory_gib"] * gib),
    )
    assert cluster.cluster_max_cores == 16
    assert cluster.cluster_max_memory == 64 * gib
    assert cluster.idle_timeout == 1800
    planned = plan_capacity(load_environment("stable").data).to_dict()["dask"]
    assert cluster.cluster_max_workers == planned["workers_per_cluster"] == 7
    assert c.DaskGateway.backend_class is limits.LimitedKubeBackend
    assert limits.LimitedKubeBackend(config=c).max_clusters_per_user == 2


def test_a_user_at_the_cluster_limit_is_refused() -> None:
    import asyncio
    from types import SimpleNamespace

    from dask_gateway_server.backends.base import PublicException
    from traitlets.config import Config

    limits = _limits_module()
    c = Config()
    limits.configure(
        c,
        {
            "per_user": {"max_clusters": 2, "max_cores": 16, "max_memory_gib": 64},
            "idle_timeout_seconds": 0,
        },
    )

    class Backend(limits.LimitedKubeBackend):
        """The user's active clusters as the backend's cache would list them."""

        async def list_clusters(self, username=None, statuses=None):
            return [object()] * {"ada": 2, "bob": 1}.get(username, 0)

    backend = Backend(config=c)
    with pytest.raises(PublicException, match="ada already has 2 active Dask clusters"):
        asyncio.run(backend.start_cluster(SimpleNamespace(name="ada"), {}))
    # Under the limit the request goes on to the Kubernetes backend (which, unconfigured here,
    # fails for its own reasons rather than ours).
    with pytest.raises(Exception) as info:
        asyncio.run(backend.start_cluster(SimpleNamespace(name="bob"), {}))
    assert not isinstance(info.value, PublicException)


# --------------------------------------------------------------------------- the chart, rendered


def helm_binary() -> Path:
    named = os.environ.get("SCIPLAT_HELM")
    if named:
        return Path(named)
    try:
        from tests.harness.tools import helm_tool
    except ImportError:
        require_or_skip("no helm: set SCIPLAT_HELM or build it with the control plane's tools")
    return Path(helm_tool(quiet=True))


@pytest.mark.integration
def test_the_rendered_gateway_config_runs_with_dask_gateway_server(
    gateway: dict[str, Any], tmp_path: Path
) -> None:
    """`helm template` of the released chart with stable's values; the gateway's config file it
    renders is run as the gateway runs it, against dask-gateway-server 2026.3.0's classes."""
    import subprocess

    from dask_gateway_server.backends.kubernetes.backend import KubeClusterConfig
    from traitlets.config import Config

    chart = dask_vendor()
    if not (chart / "Chart.yaml").is_file():
        require_or_skip(f"dask-gateway chart not found at {chart}; set SCIPLAT_DASK_GATEWAY_VENDOR")
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump(gateway["values"]), encoding="utf-8")
    run = subprocess.run(
        [
            str(helm_binary()),
            "template",
            "dask-gateway",
            str(chart),
            "--namespace",
            "hub",
            "--kube-version",
            "1.34.2",
            "--values",
            str(values),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    docs = [d for d in yaml.safe_load_all(run.stdout) if d]
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    assert services["traefik-dask-gateway"]["spec"]["type"] == "ClusterIP"
    (config_map,) = [
        d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "api-dask-gateway"
    ]
    code = config_map["data"]["dask_gateway_config.py"]
    config_file = tmp_path / "dask_gateway_config.py"
    config_file.write_text(code, encoding="utf-8")
    c = Config()
    exec(compile(code, str(config_file), "exec"), {"c": c, "__file__": str(config_file)})
    assert c.DaskGateway.backend_class.__name__ == "LimitedKubeBackend"
    assert c.JupyterHubAuthenticator.jupyterhub_api_url == (
        "http://hub.hub.svc.cluster.local:8081/hub/api"
    )
    cluster = KubeClusterConfig(config=c)
    assert (cluster.worker_cores, cluster.worker_memory) == (2, 8192 * 2**20)
    assert (cluster.scheduler_cores, cluster.scheduler_memory) == (1, 2048 * 2**20)
    assert cluster.cluster_max_workers == 7
    assert cluster.idle_timeout == 1800
    assert cluster.worker_extra_pod_config["nodeSelector"] == {"sciplat.io/pool": "dask"}
    assert cluster.image.endswith("/ghcr/dask/dask-gateway:2026.3.0")


def _release_change(chart: str, actions: list[str]) -> dict[str, Any]:
    release = {"name": chart, "chart": chart, "version": "2026.3.0", "values": ["{}"]}
    after = {**release, "values": ['{"gateway": {"loglevel": "DEBUG"}}']}
    return {
        "address": f"module.x.helm_release.{chart.replace('-', '_')}",
        "mode": "managed",
        "type": "helm_release",
        "name": chart,
        "provider_name": "registry.terraform.io/hashicorp/helm",
        "change": {
            "actions": actions,
            "before": release,
            "after": None if actions == ["delete"] else after,
            "after_unknown": {},
            "before_sensitive": {},
            "after_sensitive": {},
        },
    }


def test_the_review_tells_the_dask_release_from_the_hub() -> None:
    from sciplat.review.classify import BLOCKING, WARNING, classify
    from sciplat.review.plan import parse_plan

    plan = {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "resource_changes": [
            _release_change("dask-gateway", ["update"]),
            _release_change("jupyterhub", ["update"]),
        ],
    }
    findings = {(f.address, f.rule): f for f in classify(parse_plan(plan).changes)}
    dask = findings[("module.x.helm_release.dask_gateway", "dask-gateway-restart")]
    assert dask.severity == WARNING and "running clusters keep going" in dask.message
    assert ("module.x.helm_release.dask_gateway", "hub-restart") not in findings
    assert ("module.x.helm_release.jupyterhub", "hub-restart") in findings
    gone = {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "resource_changes": [_release_change("dask-gateway", ["delete"])],
    }
    (finding,) = [f for f in classify(parse_plan(gone).changes) if f.severity == BLOCKING]
    assert "the Dask gateway" in finding.message and "JupyterHub" not in finding.message
