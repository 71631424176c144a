"""The user model on the Hub's real spawn path, against a real Kubernetes API server.

JupyterHub 5.5.0, KubeSpawner 7.0.0 and OAuthenticator 17.4.0 (the 4.4.0 hub image's versions,
in `.venv-hub`) load the chart's own `jupyterhub_config.py` with an environment's Helm values
(evaluated from modules/hub/values by terraform, merged over the chart's defaults as Helm does),
laid out as the hub pod sees them under /usr/local/etc/jupyterhub. Users log in through the
authenticators' real OAuth flows against a loopback server shaped like GitHub's and CILogon's APIs
(the only fake here: their published REST and OIDC endpoints), then `User.spawn` runs. The
assertions read what the API server holds: the user's namespace, quota, limit range, network
policy, the pod's identity and volumes, the events the spawn page shows; then the namespace is
gone after the stop.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from tests.conftest import REPO_ROOT, require_or_skip, vendor_dir

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HARNESS = REPO_ROOT / "tests" / "harness" / "hub_spawn.py"
PREFIX = "/usr/local/etc/jupyterhub"
SHARED_GID = 2000
REPORT = "SCIPLAT-HUB "


def hub_python() -> Path:
    named = os.environ.get("SCIPLAT_HUB_PYTHON")
    path = Path(named) if named else REPO_ROOT / ".venv-hub" / "bin" / "python"
    if not path.is_file():
        require_or_skip(f"no Hub Python at {path}; run `make hub-venv`")
    return path


def chart_dir() -> Path:
    path = vendor_dir() / "z2jh-4.4.0" / "chart" / "jupyterhub"
    if not (path / "files" / "hub" / "jupyterhub_config.py").is_file():
        require_or_skip(f"the zero-to-jupyterhub 4.4.0 chart is not in {path}")
    return path


# --------------------------------------------------------------------------- identity providers


class IdP:
    """GitHub's REST API and CILogon's OIDC endpoints, on 127.0.0.1, for the users it is given.

    GitHub: POST /login/oauth/access_token, GET /api/v3/user, /api/v3/user/orgs (paginated by a
    Link header, 2 per page), /api/v3/orgs/{org}/members/{login} (204 or 404). CILogon: POST
    /oauth2/token, GET /oauth2/userinfo. A user is found by the OAuth code, then by the token.
    """

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}  # code -> {"github": ..., "orgs": ...}
        self.requests: list[str] = []
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: Any = None, headers: dict | None = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _user(self) -> dict[str, Any] | None:
                auth = self.headers.get("Authorization", "")
                token = auth.split(" ", 1)[-1]
                return idp.users.get(token.removeprefix("tok-"))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                idp.requests.append(f"POST {self.path}")
                code = form.get("code", [""])[0]
                if code not in idp.users:
                    self._send(400, {"error": "bad_verification_code"})
                    return
                if self.path == "/login/oauth/access_token":
                    self._send(
                        200,
                        {"access_token": f"tok-{code}", "token_type": "bearer",
                         "scope": "read:org,read:user"},
                    )  # fmt: skip
                elif self.path == "/oauth2/token":
                    self._send(200, {"access_token": f"tok-{code}", "token_type": "Bearer"})
                else:
                    self._send(404, {"message": "Not Found"})

            def do_GET(self) -> None:
                url = urlparse(self.path)
                idp.requests.append(f"GET {url.path}")
                user = self._user()
                if user is None:
                    self._send(401, {"message": "Bad credentials"})
                    return
                if url.path == "/api/v3/user":
                    self._send(200, user["github"])
                elif url.path == "/api/v3/user/orgs":
                    page = int(parse_qs(url.query).get("page", ["1"])[0])
                    visible = [o for o in user["orgs"] if not o.get("hidden")]
                    chunk = visible[(page - 1) * 2 : page * 2]
                    headers = {}
                    if page * 2 < len(visible):
                        host = self.headers["Host"]
                        headers["Link"] = (
                            f"<http://{host}/api/v3/user/orgs?per_page=100&page={page + 1}>; "
                            'rel="next"'
                        )
                    body = [{"id": o["id"], "login": o["login"]} for o in chunk]
                    self._send(200, body, headers)
                elif url.path.startswith("/api/v3/orgs/"):
                    parts = url.path.split("/")  # /api/v3/orgs/{org}/members/{login}
                    org, login = parts[4], parts[-1]
                    member = any(o["login"] == org for o in user["orgs"])
                    self._send(204 if member and login == user["github"]["login"] else 404)
                elif url.path == "/oauth2/userinfo":
                    self._send(200, user["claims"])
                else:
                    self._send(404, {"message": "Not Found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def github_user(self, code: str, uid: int, login: str, orgs: list[dict[str, Any]]) -> None:
        self.users[code] = {
            "github": {"id": uid, "login": login, "name": login, "email": f"{login}@example.org"},
            "orgs": orgs,
        }

    def cilogon_user(self, code: str, claims: dict[str, Any]) -> None:
        self.users[code] = {"claims": claims}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def idp():
    server = IdP()
    yield server
    server.close()


# --------------------------------------------------------------------------- the hub pod's files


def helm_values(env: str, tmp_path: Path) -> dict[str, Any]:
    """The environment's Helm values as the release's Secret holds them: modules/hub/values
    evaluated by terraform, merged over the chart's defaults, plus Chart and Release."""
    from test_tf_contract import rendered_tfvars
    from test_tf_hub_values import deep_merge, evaluate, hub_inputs

    tfvars, _ = rendered_tfvars(env)
    (tmp_path / "tf").mkdir()
    values = evaluate(tmp_path / "tf", hub_inputs(json.loads(json.dumps(tfvars))))["values"]
    defaults = yaml.safe_load((chart_dir() / "values.yaml").read_text(encoding="utf-8"))
    merged = deep_merge(defaults, values)
    merged["Chart"] = {"Name": "jupyterhub", "Version": "4.4.0", "AppVersion": "5.5.0"}
    merged["Release"] = {"Name": "jupyterhub", "Namespace": "hub", "Service": "Helm"}
    return merged


def lay_out(values: dict[str, Any], root: Path) -> Path:
    """/usr/local/etc/jupyterhub as the hub pod mounts it, under `root`: the chart's own
    jupyterhub_config.py and z2jh.py (their absolute paths pointed at `root`), the values and
    generated secrets, the resource names, and hub.extraFiles at their mountPaths."""
    chart = chart_dir()
    root.mkdir(parents=True)
    for name in ("jupyterhub_config.py", "z2jh.py"):
        text = (chart / "files" / "hub" / name).read_text(encoding="utf-8")
        assert PREFIX in text
        (root / name).write_text(text.replace(PREFIX, str(root)), encoding="utf-8")
    secret = root / "secret"
    secret.mkdir()
    (secret / "values.yaml").write_text(yaml.safe_dump(values), encoding="utf-8")
    for key in (
        "hub.config.JupyterHub.cookie_secret",
        "hub.config.CryptKeeper.keys",
        "hub.config.ConfigurableHTTPProxy.auth_token",
    ):
        (secret / key).write_text(secrets.token_hex(32), encoding="utf-8")
    for name in values["hub"].get("services") or {}:
        (secret / f"hub.services.{name}.apiToken").write_text(secrets.token_hex(32))
    config = root / "config"
    config.mkdir()
    names = {
        "hub": "hub",
        "proxy-api": "proxy-api",
        "user-scheduler": "user-scheduler",
        "priority": "jupyterhub-default-priority",
        "singleuser": "singleuser",
    }
    for key, value in names.items():
        (config / key).write_text(value, encoding="utf-8")
    for details in (values["hub"].get("extraFiles") or {}).values():
        target = Path(details["mountPath"].replace(PREFIX, str(root)))
        assert target.is_relative_to(root), details["mountPath"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(details["stringData"], encoding="utf-8")
    return root


class Hub:
    """The driver process: logs the given users in, spawns their labs, stops them on request."""

    def __init__(
        self, kubeconfig: Path, admin: Path, env: str, tmp_path: Path, idp: IdP, tweak=None
    ) -> None:
        self.values = helm_values(env, tmp_path)
        if tweak is not None:
            tweak(self.values)
        self.settings = self.values["custom"]["sciplat"]["usermodel"]
        self.auth = self.values["hub"]["config"]["JupyterHub"]["authenticator_class"]
        self.root = lay_out(self.values, tmp_path / "etc-jupyterhub")
        self.kubeconfig = kubeconfig  # the hub's ServiceAccount
        self.admin = admin  # for the kubelet's part only
        self.tmp = tmp_path
        self.idp = idp
        self.proc: subprocess.Popen | None = None

    def spawn(self, logins: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        if self.auth == "github":
            argv = [
                f"--GitHubOAuthenticator.github_url={self.idp.url}",
                "--GitHubOAuthenticator.client_secret=test-only",
            ]
        else:
            argv = [
                f"--CILogonOAuthenticator.token_url={self.idp.url}/oauth2/token",
                f"--CILogonOAuthenticator.userdata_url={self.idp.url}/oauth2/userinfo",
                "--CILogonOAuthenticator.client_secret=test-only",
            ]
        spec = {
            "config_dir": str(self.root),
            "argv": argv,
            "logins": logins,
            "kubelet_kubeconfig": str(self.admin),
        }
        spec_path = self.tmp / "spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        env = {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            "POD_NAMESPACE": self.settings["hub_namespace"],
            "PROXY_API_SERVICE_PORT": "8001",
            "HUB_SERVICE_PORT": "8081",
            # The hub Deployment sets it from the chart's Secret.
            "CONFIGPROXY_AUTH_TOKEN": (
                self.root / "secret" / "hub.config.ConfigurableHTTPProxy.auth_token"
            ).read_text(),
        }
        run_dir = self.tmp / "run"
        run_dir.mkdir()
        self.log = self.tmp / "hub.log"
        self.proc = subprocess.Popen(
            [str(hub_python()), str(HARNESS), str(spec_path)],
            cwd=run_dir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log.open("w"),
            text=True,
        )
        results = {}
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if not line.startswith(REPORT):
                continue
            record = json.loads(line.removeprefix(REPORT))
            if "spawned" in record:
                return results
            results[record["code"]] = record
        raise AssertionError(f"the hub exited early:\n{self.log.read_text()[-4000:]}")

    def stop(self) -> list[str]:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write("stop\n")
        self.proc.stdin.flush()
        out, _ = self.proc.communicate(timeout=120)
        [last] = [line for line in out.splitlines() if line.startswith(REPORT)][-1:]
        return json.loads(last.removeprefix(REPORT))["stopped"]

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def plane(request: pytest.FixtureRequest):
    """The local control plane (tests/conftest.py `control_plane`)."""
    try:
        return request.getfixturevalue("control_plane")
    except pytest.FixtureLookupError:
        require_or_skip("the local control plane harness (control_plane fixture) is missing")


@pytest.fixture(scope="module")
def kube(plane):
    """API clients and the admin kubeconfig."""
    from kubernetes import client

    control_plane = plane
    api = control_plane.api_client()
    return client.CoreV1Api(api), client.NetworkingV1Api(api), control_plane.kubeconfig


def _unquote(value: Any) -> Any:
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value.strip('"') if isinstance(value, str) else value


def tf_rules(kind: str, name: str) -> list[dict[str, Any]]:
    """The rules of a Role or ClusterRole as modules/hub/rbac.tf declares them."""
    import hcl2

    with (REPO_ROOT / "modules" / "hub" / "rbac.tf").open(encoding="utf-8") as handle:
        data = hcl2.load(handle)
    for block in data["resource"]:
        for resource_type, named in block.items():
            for resource_name, body in named.items():
                if (_unquote(resource_type), _unquote(resource_name)) != (kind, name):
                    continue
                rules = []
                for rule in body["rule"]:
                    out = {
                        "apiGroups": _unquote(rule["api_groups"]),
                        "resources": _unquote(rule["resources"]),
                        "verbs": _unquote(rule["verbs"]),
                    }
                    if "resource_names" in rule:
                        names = _unquote(rule["resource_names"])
                        out["resourceNames"] = [
                            "sciplat-storage-usage" if n == "${local.usage_configmap}" else n
                            for n in names
                        ]
                    rules.append(out)
                return rules
    raise AssertionError(f"{kind}.{name} not in rbac.tf")


def chart_role_rules() -> list[dict[str, Any]]:
    """The rules of the chart's own hub Role (templates/hub/rbac.yaml, template lines dropped)."""
    text = (chart_dir() / "templates" / "hub" / "rbac.yaml").read_text(encoding="utf-8")
    plain = "\n".join(line for line in text.splitlines() if "{{" not in line)
    docs = [d for d in yaml.safe_load_all(plain) if d]
    return next(d for d in docs if d["kind"] == "Role")["rules"]


@pytest.fixture(scope="module")
def hub_account(plane, kube, tmp_path_factory):
    """What the release gives the Hub on a cluster, made here and removed afterwards: the hub
    namespace and ServiceAccount with only the chart's Role and what modules/hub/rbac.tf adds (so
    the spawns below prove those permissions are enough), and the chart's PriorityClass for labs.
    Yields a kubeconfig of that ServiceAccount."""
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    control_plane = plane
    core, _, _ = kube
    api = control_plane.api_client()
    rbac = client.RbacAuthorizationV1Api(api)
    scheduling = client.SchedulingV1Api(api)
    ns = "hub"
    created: list[Any] = []  # (delete function, args) of what this fixture made

    def ensure(create, delete, *args) -> None:
        try:
            obj = create(*args)
        except ApiException as exc:
            if exc.status != 409:
                raise
            return
        scope = (args[0],) if len(args) > 1 else ()
        created.append((delete, (obj.metadata.name, *scope)))

    meta = client.V1ObjectMeta
    subject = [client.RbacV1Subject(kind="ServiceAccount", name="hub", namespace=ns)]
    ensure(
        scheduling.create_priority_class,
        scheduling.delete_priority_class,
        client.V1PriorityClass(metadata=meta(name="jupyterhub-default-priority"), value=0),
    )
    ensure(core.create_namespace, core.delete_namespace, client.V1Namespace(metadata=meta(name=ns)))
    ensure(
        core.create_namespaced_service_account,
        core.delete_namespaced_service_account,
        ns,
        client.V1ServiceAccount(metadata=meta(name="hub")),
    )
    roles = {
        "hub": chart_role_rules(),
        "sciplat-read-usage": tf_rules("kubernetes_role_v1", "hub_usage"),
    }
    for name, rules in roles.items():
        ensure(
            rbac.create_namespaced_role,
            rbac.delete_namespaced_role,
            ns,
            client.V1Role(metadata=meta(name=name), rules=rules),
        )
        ensure(
            rbac.create_namespaced_role_binding,
            rbac.delete_namespaced_role_binding,
            ns,
            client.V1RoleBinding(
                metadata=meta(name=name),
                role_ref=client.V1RoleRef(
                    api_group="rbac.authorization.k8s.io", kind="Role", name=name
                ),
                subjects=subject,
            ),
        )
    cluster_role = "sciplat-test-hub-user-namespaces"
    ensure(
        rbac.create_cluster_role,
        rbac.delete_cluster_role,
        client.V1ClusterRole(
            metadata=meta(name=cluster_role),
            rules=tf_rules("kubernetes_cluster_role_v1", "hub_users"),
        ),
    )
    ensure(
        rbac.create_cluster_role_binding,
        rbac.delete_cluster_role_binding,
        client.V1ClusterRoleBinding(
            metadata=meta(name=cluster_role),
            role_ref=client.V1RoleRef(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=cluster_role
            ),
            subjects=subject,
        ),
    )
    token = core.create_namespaced_service_account_token(
        "hub",
        ns,
        client.AuthenticationV1TokenRequest(
            spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600)
        ),
    ).status.token
    path = tmp_path_factory.mktemp("hub-account") / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "hub",
        "clusters": [{"name": "local", "cluster": {
            "server": control_plane.server,
            "certificate-authority": str(control_plane.workdir / "pki" / "ca.crt"),
        }}],
        "users": [{"name": "hub", "user": {"token": token}}],
        "contexts": [{"name": "hub", "context": {"cluster": "local", "user": "hub"}}],
    }))  # fmt: skip
    yield path
    for delete, args in reversed(created):
        try:
            delete(*args)
        except ApiException as exc:
            if exc.status != 404:
                raise


@pytest.fixture
def make_hub(hub_account, kube, tmp_path_factory, idp):
    hubs: list[Hub] = []

    def make(env: str, tweak=None) -> Hub:
        hub = Hub(hub_account, kube[2], env, tmp_path_factory.mktemp(f"hub-{env}"), idp, tweak)
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        hub.close()


# --------------------------------------------------------------------------- helpers


def quantity(text: str) -> float:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "M": 1e6, "G": 1e9, "k": 1e3, "m": 1e-3}
    for suffix in sorted(units, key=len, reverse=True):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * units[suffix]
    return float(text)


def wait_gone(core, namespace: str, timeout: float = 60) -> bool:
    from kubernetes.client.rest import ApiException

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            core.read_namespace(namespace)
        except ApiException as exc:
            if exc.status == 404:
                return True
            raise
        time.sleep(0.5)
    return False


def lab_objects(core, net, namespace: str, pod: str) -> dict[str, Any]:
    from kubernetes import client

    ser = client.ApiClient().sanitize_for_serialization
    return {
        "namespace": ser(core.read_namespace(namespace)),
        "quota": ser(core.read_namespaced_resource_quota("sciplat-lab", namespace)),
        "limits": ser(core.read_namespaced_limit_range("sciplat-lab", namespace)),
        "policy": ser(net.read_namespaced_network_policy("sciplat-lab", namespace)),
        "pod": ser(core.read_namespaced_pod(pod, namespace)),
    }


def hashed_uid(subject: str) -> int:
    """The documented stable mapping, written out independently of the hub's code."""
    n = int.from_bytes(hashlib.sha256(subject.encode()).digest()[:8], "big")
    return 2**30 + n % (2**31 - 1 - 2**30)


def profile(values: dict[str, Any], slug: str | None = None) -> dict[str, Any]:
    profiles = values["singleuser"]["profileList"]
    if slug is None:
        return next(p for p in profiles if p.get("default"))
    return next(p for p in profiles if p["slug"] == slug)


def check_lab(objs: dict[str, Any], values: dict[str, Any], chosen: dict[str, Any], image: str):
    """The namespace, quota, limit range, policy and pod of a lab of size `chosen`."""
    settings = values["custom"]["sciplat"]["usermodel"]
    labels = objs["namespace"]["metadata"]["labels"]
    assert labels["sciplat/user-namespace"] == "true"
    assert labels["hub.jupyter.org/network-access-hub"] == "true"
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"

    over = chosen["kubespawner_override"]
    hard = objs["quota"]["spec"]["hard"]
    assert quantity(hard["requests.cpu"]) == pytest.approx(over["cpu_guarantee"])
    assert quantity(hard["limits.cpu"]) == pytest.approx(over["cpu_limit"])
    assert quantity(hard["requests.memory"]) == pytest.approx(
        quantity(over["mem_guarantee"][:-1] + "Mi")
    )
    assert quantity(hard["limits.memory"]) == pytest.approx(quantity(over["mem_limit"][:-1] + "Mi"))
    assert hard["pods"] == "1"
    # The quota controller has counted the pod against it.
    assert objs["quota"]["status"]["hard"] == hard

    [item] = objs["limits"]["spec"]["limits"]
    assert item["type"] == "Container"
    assert quantity(item["max"]["cpu"]) == pytest.approx(over["cpu_limit"])
    assert {"cpu", "memory"} <= set(item["defaultRequest"])

    policy = objs["policy"]["spec"]
    assert policy["podSelector"] == {}
    hub_ns = {"kubernetes.io/metadata.name": settings["hub_namespace"]}
    assert policy["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"] == hub_ns
    blocked = policy["egress"][-1]["to"][0]["ipBlock"]["except"]
    assert "169.254.169.254/32" in blocked

    pod = objs["pod"]["spec"]
    [lab] = [c for c in pod["containers"] if c["name"] == "notebook"]
    assert lab["image"] == image
    volumes = {v["name"]: v for v in pod["volumes"]}
    home_nfs = next(
        v for v in values["singleuser"]["storage"]["extraVolumes"] if v["name"] == "home"
    )
    assert volumes["home"]["nfs"] == home_nfs["nfs"]
    assert "shared" in volumes and "nfs" in volumes["shared"]
    assert not any("persistentVolumeClaim" in v for v in volumes.values())
    mounts = {m["name"]: m for m in lab["volumeMounts"]}
    assert mounts["shared"]["mountPath"] == "/shared"
    [init] = [c for c in pod["initContainers"] if c["name"] == "sciplat-home"]
    assert init["image"] == image  # the chosen image, not the chart's default
    assert init["command"][-1] == f"/homes/{mounts['home']['subPath']}"
    assert init["volumeMounts"] == [{"name": "home", "mountPath": "/homes"}]
    return pod, lab, init, mounts


# --------------------------------------------------------------------------- GitHub


def test_github_logins_map_to_uid_and_gids(make_hub, idp, kube) -> None:
    core, net, _ = kube
    weekly_ref = "registry.example.org/lsstsqre/sciplat-lab:w_2026_49"

    def second_image(values: dict[str, Any]) -> None:
        """A second image in every size's menu, as an image set with two images offers."""
        for p in values["singleuser"]["profileList"]:
            p["profile_options"]["image"]["choices"]["99-weekly-w-2026-49"] = {
                "display_name": "Weekly 2026_49",
                "default": False,
                "kubespawner_override": {"image": weekly_ref},
            }

    hub = make_hub("stable", second_image)
    org = "sciplat-users"
    orgs = [{"id": 5001, "login": org}, {"id": 5002, "login": "astro-lab"}]
    idp.github_user("three", 583231, "octocat", [*orgs, {"id": 5003, "login": "lsst"}])
    idp.github_user("shy", 7002, "shy-person", [{"id": 5001, "login": org, "hidden": True}])
    idp.github_user("none", 7003, "outsider", [])
    idp.github_user("admin", 7004, "platform-admin", [])
    idp.github_user("old", 42, "early-bird", [{"id": 5001, "login": org}])
    weekly = profile(hub.values, "small")
    results = hub.spawn([
        {"code": "three", "options": {"profile": "small", "image": "99-weekly-w-2026-49"}},
        {"code": "shy"}, {"code": "none"}, {"code": "admin"}, {"code": "old"},
    ])  # fmt: skip
    log = hub.log.read_text()

    # A user in three organizations (read over two pages of /user/orgs).
    three = results["three"]
    assert three["ok"], (three, log[-3000:])
    assert three["auth_state_sciplat"] == {
        "orgs": [{"id": 5001, "login": org}, {"id": 5002, "login": "astro-lab"},
                 {"id": 5003, "login": "lsst"}],
    }  # fmt: skip
    assert three["namespace"] == "hub-u-octocat"
    objs = lab_objects(core, net, three["namespace"], three["pod"])
    pod, lab, init, mounts = check_lab(objs, hub.values, weekly, weekly_ref)
    assert hub.values["singleuser"]["image"]["name"] not in weekly_ref  # not the chart default
    ctx = lab["securityContext"]
    assert (ctx["runAsUser"], ctx["runAsGroup"]) == (583231, 583231)
    assert ctx["runAsNonRoot"] is True and ctx["allowPrivilegeEscalation"] is False
    assert pod["securityContext"]["fsGroup"] == 583231
    assert sorted(pod["securityContext"]["supplementalGroups"]) == [
        SHARED_GID, 5001, 5002, 5003, 583231,
    ]  # fmt: skip
    assert init["securityContext"]["runAsUser"] == 583231
    assert mounts["home"]["subPath"] == "octocat"
    assert mounts["home"]["mountPath"] == "/home/octocat"
    env = {e["name"]: e.get("value") for e in lab["env"]}
    assert json.loads(env["SCIPLAT_GROUPS"])["5002"] == "org astro-lab"
    messages = [p["message"] for p in three["progress"]]
    assert any("Running as UID 583231" in m and "5003 (org lsst)" in m for m in messages)

    # A hidden membership: allowed to log in, no GID for it, and told why.
    shy = results["shy"]
    assert shy["ok"], shy
    spec = lab_objects(core, net, shy["namespace"], shy["pod"])["pod"]["spec"]
    assert sorted(spec["securityContext"]["supplementalGroups"]) == [SHARED_GID, 7002]
    hidden = [p for p in shy["progress"] if p["reason"] == "SciplatGroups"]
    assert hidden and org in hidden[0]["message"] and "OAuth" in hidden[0]["message"]

    # In no organization: refused at login, unless an admin (who gets only UID and shared GIDs).
    assert results["none"] == {"code": "none", "login_error": "login refused"}
    admin = results["admin"]
    assert admin["ok"] and admin["admin"] is True
    spec = lab_objects(core, net, admin["namespace"], admin["pod"])["pod"]["spec"]
    assert sorted(spec["securityContext"]["supplementalGroups"]) == [SHARED_GID, 7004]

    # A UID in the reserved range: no lab, a message for the user, no pod anywhere.
    old = results["old"]
    assert old["ok"] is False
    assert "UID 42 is in the reserved range" in old["error"]
    assert not _exists(core, old["namespace"])

    started = [r["namespace"] for r in results.values() if r.get("ok")]
    assert hub.stop() == ["octocat", "shy-person", "platform-admin"]
    for namespace in started:
        assert wait_gone(core, namespace), f"{namespace} still exists after the stop"


def _exists(core, namespace: str) -> bool:
    from kubernetes.client.rest import ApiException

    try:
        core.read_namespace(namespace)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


# --------------------------------------------------------------------------- CILogon


def test_cilogon_logins_map_claims_and_groups(make_hub, idp, kube) -> None:
    core, net, _ = kube
    hub = make_hub("int")
    idp_id = "urn:mace:incommon:uiuc.edu"
    alice_sub = "http://cilogon.org/serverA/users/1234"
    idp.cilogon_user("alice", {
        "sub": alice_sub, "email": "alice@uiuc.edu", "idp": idp_id,
        "isMemberOf": ["CO:COU:sciplat-users:members:active", "CO:COU:unlisted:members:active"],
    })  # fmt: skip
    idp.cilogon_user("numbered", {
        "sub": "http://cilogon.org/serverA/users/99", "email": "Bob.O'Neil+lab@uiuc.edu",
        "idp": idp_id, "uidNumber": "41234", "gidNumber": "41234",
        "isMemberOf": ["CO:COU:sciplat-developers:members:active"],
    })  # fmt: skip
    idp.cilogon_user("system", {
        "sub": "http://cilogon.org/serverA/users/7", "email": "svc@uiuc.edu", "idp": idp_id,
        "uidNumber": "999",
    })  # fmt: skip
    results = hub.spawn([{"code": "alice"}, {"code": "numbered"}, {"code": "system"}])
    log = hub.log.read_text()
    default = profile(hub.values)
    image = next(
        c["kubespawner_override"]["image"]
        for c in default["profile_options"]["image"]["choices"].values()
        if c["default"]
    )

    # Groups and no uidNumber: the stable mapping of the subject; isMemberOf through the table.
    alice = results["alice"]
    assert alice["ok"], (alice, log[-3000:])
    assert alice["name"] == "alice@uiuc.edu"
    objs = lab_objects(core, net, alice["namespace"], alice["pod"])
    pod, lab, _, mounts = check_lab(objs, hub.values, default, image)
    uid = hashed_uid(alice_sub)
    assert lab["securityContext"]["runAsUser"] == uid
    assert sorted(pod["securityContext"]["supplementalGroups"]) == sorted([SHARED_GID, 20001, uid])
    assert any("no 'uidNumber' claim" in p["message"] for p in alice["progress"])

    # A username needing escaping: a valid namespace and home directory, distinct from others.
    bob = results["numbered"]
    assert bob["ok"], bob
    assert bob["name"] == "bob.o'neil+lab@uiuc.edu"
    namespace = bob["namespace"]
    assert namespace.startswith("hub-u-") and len(namespace) <= 63
    assert all(ch.isalnum() or ch == "-" for ch in namespace)
    objs = lab_objects(core, net, namespace, bob["pod"])
    pod, lab, _, mounts = check_lab(objs, hub.values, default, image)
    assert (lab["securityContext"]["runAsUser"], lab["securityContext"]["runAsGroup"]) == (
        41234,
        41234,
    )
    assert sorted(pod["securityContext"]["supplementalGroups"]) == [SHARED_GID, 20002, 41234]
    assert "'" not in mounts["home"]["subPath"] and "/" not in mounts["home"]["subPath"]

    # A UID in the reserved range from the registry: refused.
    assert results["system"]["ok"] is False
    assert "UID 999 is in the reserved range" in results["system"]["error"]

    assert hub.stop() == ["alice@uiuc.edu", "bob.o'neil+lab@uiuc.edu"]
    assert wait_gone(core, alice["namespace"]) and wait_gone(core, namespace)


def test_the_same_login_at_two_sources_gets_two_uids(make_hub, idp, kube) -> None:
    """`alice` at GitHub and `alice` at CILogon are two people: the UID follows the source's
    stable id (GitHub's numeric id, CILogon's subject), never the name."""
    core, net, _ = kube
    github = make_hub("sandbox")
    idp.github_user("gh", 1001, "alice", [{"id": 5010, "login": "sciplat-developers"}])
    gh = github.spawn([{"code": "gh"}])["gh"]
    assert gh["ok"], github.log.read_text()[-3000:]
    gh_pod = lab_objects(core, net, gh["namespace"], gh["pod"])["pod"]
    github.stop()
    assert wait_gone(core, gh["namespace"])

    cilogon = make_hub("int")
    sub = "http://cilogon.org/serverE/users/555"
    idp.cilogon_user(
        "cl", {"sub": sub, "email": "alice@uiuc.edu", "idp": "urn:mace:incommon:uiuc.edu"}
    )
    cl = cilogon.spawn([{"code": "cl"}])["cl"]
    assert cl["ok"], cilogon.log.read_text()[-3000:]
    cl_pod = lab_objects(core, net, cl["namespace"], cl["pod"])["pod"]
    cilogon.stop()

    gh_uid = next(c for c in gh_pod["spec"]["containers"] if c["name"] == "notebook")[
        "securityContext"
    ]["runAsUser"]
    cl_uid = next(c for c in cl_pod["spec"]["containers"] if c["name"] == "notebook")[
        "securityContext"
    ]["runAsUser"]
    assert gh_uid == 1001
    assert cl_uid == hashed_uid(sub) != gh_uid
    assert cl_uid != hashed_uid("alice")


# --------------------------------------------------------------------------- every environment


@pytest.mark.parametrize("env", ["int", "sandbox", "stable", "workshop"])
def test_every_environment_spawns_into_a_namespace_with_a_quota(
    env: str, make_hub, idp, kube
) -> None:
    core, net, _ = kube
    hub = make_hub(env)
    if hub.auth == "github":
        org = hub.values["hub"]["config"]["GitHubOAuthenticator"]["allowed_organizations"][0]
        idp.github_user("u", 31337, "lab-user", [{"id": 6001, "login": org}])
    else:
        idp.cilogon_user("u", {
            "sub": "http://cilogon.org/serverA/users/31337", "email": "lab-user@uiuc.edu",
            "idp": "urn:mace:incommon:uiuc.edu", "uidNumber": 31337,
        })  # fmt: skip
    result = hub.spawn([{"code": "u"}])["u"]
    assert result["ok"], (result, hub.log.read_text()[-3000:])
    default = profile(hub.values)
    image = next(
        c["kubespawner_override"]["image"]
        for c in default["profile_options"]["image"]["choices"].values()
        if c["default"]
    )
    objs = lab_objects(core, net, result["namespace"], result["pod"])
    pod, lab, _, _ = check_lab(objs, hub.values, default, image)
    assert lab["securityContext"]["runAsUser"] == 31337
    assert SHARED_GID in pod["securityContext"]["supplementalGroups"]
    env_values = {e["name"]: e.get("value") for e in lab["env"]}
    if "DASK_DISTRIBUTED__DASHBOARD__LINK" in (hub.values["singleuser"].get("extraEnv") or {}):
        # Braces in the chart's extraEnv reach the lab as written, after KubeSpawner's expansion.
        link = env_values["DASK_DISTRIBUTED__DASHBOARD__LINK"]
        assert link == "{JUPYTERHUB_SERVICE_PREFIX}proxy/{port}/status"
    hub.stop()
    assert wait_gone(core, result["namespace"])


# --------------------------------------------------------------------------- soft limit


def test_a_home_over_the_soft_limit_is_warned_at_spawn(make_hub, idp, kube) -> None:
    """The usage job's measurement (written as the job writes it) is read at spawn."""
    from kubernetes import client

    core, _, _ = kube
    hub = make_hub("workshop")  # soft limit 5 GiB
    namespace = hub.settings["hub_namespace"]
    org = hub.values["hub"]["config"]["GitHubOAuthenticator"]["allowed_organizations"][0]
    idp.github_user("big", 424242, "big-data", [{"id": 6001, "login": org}])
    idp.github_user("small", 434343, "small-data", [{"id": 6001, "login": org}])
    homes = {"big-data": 6 * 2**30, "small-data": 2**20}
    history = [
        {"time": "2026-12-01T04:17:00Z", "homes": homes, "home_total": sum(homes.values()),
         "shared": 0, "files": 2}
    ]  # fmt: skip
    body = client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="sciplat-storage-usage"),
        data={"usage.json": json.dumps(history)},
    )
    try:
        core.create_namespaced_config_map(namespace, body)
    except client.rest.ApiException:
        core.replace_namespaced_config_map("sciplat-storage-usage", namespace, body)
    results = hub.spawn([{"code": "big"}, {"code": "small"}])
    hub.stop()
    big = [p for p in results["big"]["progress"] if p["reason"] == "SciplatHomeOverSoftLimit"]
    assert big and "6.0 GiB" in big[0]["message"] and "5 GiB" in big[0]["message"]
    assert not [
        p for p in results["small"]["progress"] if p["reason"] == "SciplatHomeOverSoftLimit"
    ]


def test_the_usage_job_writes_the_configmap_that_storage_and_the_hub_read(
    plane, kube, hub_account, tmp_path: Path, run_cli
) -> None:
    """The job's script measures a tree and patches the ConfigMap through the API server (as
    its service account would); `sciplat storage` reads it back through the kubeconfig."""
    import sys

    from kubernetes import client

    core, _, kubeconfig = kube
    namespace = "hub"  # made by hub_account
    body = client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="sciplat-storage-usage"), data={"usage.json": "[]"}
    )
    try:
        core.create_namespaced_config_map(namespace, body)
    except client.rest.ApiException:
        core.replace_namespaced_config_map("sciplat-storage-usage", namespace, body)
    homes = tmp_path / "homes"
    for name, size in (("octocat", 3_000_000), ("alice", 1_000_000)):
        (homes / name).mkdir(parents=True)
        (homes / name / "data.bin").write_bytes(os.urandom(size))
    token = tmp_path / "token"
    token.write_text(plane.token)
    script = REPO_ROOT / "modules" / "hub" / "files" / "measure_usage.py"
    for _ in range(2):
        run = subprocess.run(
            [sys.executable, str(script), "--home-root", str(homes), "--keep", "5",
             "--configmap", f"{namespace}/sciplat-storage-usage", "--server", plane.server,
             "--token-file", str(token), "--ca-file", str(plane.workdir / "pki" / "ca.crt")],
            capture_output=True, text=True,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
    data = core.read_namespaced_config_map("sciplat-storage-usage", namespace).data
    history = json.loads(data["usage.json"])
    assert len(history) == 2
    assert set(history[-1]["homes"]) == {"octocat", "alice"}

    result = run_cli("storage", "stable", "--kubeconfig", str(kubeconfig), "--json")
    assert result.code == 0, result.err
    rep = json.loads(result.out)
    assert [u["user"] for u in rep["top"]] == ["octocat", "alice"]
    assert rep["measurements"] == 2 and rep["homes"]["growth_bytes"] == 0


def test_layout_points_only_at_the_temp_dir(tmp_path: Path) -> None:
    """The chart's files name their own directory; the layout moves every such path."""
    root = lay_out(
        {
            "hub": {
                "extraFiles": {"k": {"mountPath": f"{PREFIX}/sciplat_hub/x.py", "stringData": "x"}}
            }
        },
        tmp_path / "etc",
    )
    assert PREFIX not in (root / "jupyterhub_config.py").read_text()
    assert PREFIX not in (root / "z2jh.py").read_text()
    assert (root / "sciplat_hub" / "x.py").read_text() == "x"
