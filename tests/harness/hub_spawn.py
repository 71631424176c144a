"""Log users in and spawn their labs with the Hub's real code, against a real API server.

Run with the Hub's Python (`.venv-hub`: JupyterHub, KubeSpawner and OAuthenticator at the
versions of the zero-to-jupyterhub 4.4.0 hub image), not the project's:

    .venv-hub/bin/python tests/harness/hub_spawn.py SPEC.json

SPEC names the directory laid out as the hub pod's /usr/local/etc/jupyterhub (the chart's
jupyterhub_config.py and z2jh.py, the release's values and secrets, the extraFiles), the
identity provider's address (a loopback server the test runs, shaped like GitHub's or CILogon's
API), the kubeconfig this script uses in the kubelet's place, and the logins: each an OAuth
`code` and the server options to spawn with. The Hub itself uses $KUBECONFIG.

For each login the authenticator runs its real OAuth flow (code -> token -> user info -> the
auth-state hook -> allowed check), the user and auth state go into the Hub's database, and
`User.spawn` runs: KubeSpawner with the chart's configuration and the project's hooks creates the
namespace and the pod on the API server. No kubelet runs, so this script plays its part for the
lab pod only: once the pod exists it sets the pod's status to Running with a loopback address
where a tiny HTTP server answers, which is all the Hub waits for. It prints one JSON line per
login, then waits for a line on stdin, stops every lab it started (post_stop_hook included),
prints a final JSON line and exits.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import random
import socket
import sys
from pathlib import Path
from typing import Any


class _Handler:
    """The parts of the OAuth callback handler that OAuthenticator reads."""

    def __init__(self, code: str, state: str) -> None:
        self._code = code
        self._state = state

    def get_argument(self, name: str, default: Any = None) -> Any:
        return {"code": self._code, "state": self._state}.get(name, default)

    def get_state_cookie(self) -> str:
        return self._state


def _loopback_listener() -> tuple[socket.socket, str]:
    """A listening socket on port 8888 (the lab's port) of some 127.x.y.z address."""
    for _ in range(50):
        ip = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
        sock = socket.socket()
        try:
            sock.bind((ip, 8888))
        except OSError:
            sock.close()
            continue
        sock.listen(64)
        return sock, ip
    raise RuntimeError("no free loopback address for port 8888")


async def _serve_ok(sock: socket.socket) -> None:
    """Answer every HTTP request with 200: the Hub only checks that the lab responds."""

    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(reply, sock=sock)
    async with server:
        await server.serve_forever()


_KUBELET_API: Any = None


async def _kubelet_api(kubeconfig: str) -> Any:
    """The kubelet's own client (its credentials, not the hub's: the hub may not set status)."""
    global _KUBELET_API
    if _KUBELET_API is None:
        from kubernetes_asyncio import client, config

        api_client = await config.new_client_from_config(config_file=kubeconfig)
        _KUBELET_API = client.CoreV1Api(api_client)
    return _KUBELET_API


async def _play_kubelet(spawner: Any, ip: str, kubeconfig: str) -> None:
    """Report each new lab pod running at `ip`, as a kubelet would, until cancelled (a stale pod
    the hooks remove is not the one to report)."""
    from kubernetes_asyncio.client.rest import ApiException

    api = await _kubelet_api(kubeconfig)
    reported: set[str] = set()
    while True:
        try:
            pod = await api.read_namespaced_pod(spawner.pod_name, spawner.namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise
            await asyncio.sleep(0.2)
            continue
        if pod.metadata.uid in reported or pod.metadata.deletion_timestamp is not None:
            await asyncio.sleep(0.2)
            continue
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        statuses = [
            {
                "name": c.name,
                "ready": True,
                "restartCount": 0,
                "image": c.image,
                "imageID": "",
                "state": {"running": {"startedAt": now}},
            }
            for c in pod.spec.containers
        ]
        body = {
            "status": {
                "phase": "Running",
                "podIP": ip,
                "podIPs": [{"ip": ip}],
                "startTime": now,
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now}],
                "containerStatuses": statuses,
            }
        }
        try:
            await api.patch_namespaced_pod_status(spawner.pod_name, spawner.namespace, body)
        except ApiException as exc:
            if exc.status not in (404, 409):
                raise
            continue
        reported.add(pod.metadata.uid)


async def _login(app: Any, code: str) -> tuple[Any, dict[str, Any]] | tuple[None, str]:
    from jupyterhub import orm, roles
    from oauthenticator.oauth2 import _serialize_state

    state = _serialize_state({"state_id": "test", "code_verifier": "v" * 64})
    handler = _Handler(code, state)
    try:
        authenticated = await app.authenticator.get_authenticated_user(handler, None)
    except Exception as exc:
        return None, f"login failed: {exc}"
    if not authenticated:
        return None, "login refused"
    name = authenticated["name"]
    orm_user = orm.User.find(app.db, name)
    if orm_user is None:
        orm_user = orm.User(name=name)
        app.db.add(orm_user)
        roles.assign_default_roles(app.db, entity=orm_user)
        app.db.commit()
    user = app.users[orm_user.id]
    if authenticated.get("admin") is not None:
        user.admin = authenticated["admin"]
        app.db.commit()
    await user.save_auth_state(authenticated.get("auth_state"))
    return user, authenticated


async def _spawn(app: Any, login: dict[str, Any], kubelet_kubeconfig: str) -> dict[str, Any]:
    user, authenticated = await _login(app, login["code"])
    if user is None:
        return {"code": login["code"], "login_error": authenticated}
    result: dict[str, Any] = {
        "code": login["code"],
        "name": user.name,
        "admin": bool(user.admin),
        "auth_state_keys": sorted(authenticated.get("auth_state") or {}),
        "auth_state_sciplat": (authenticated.get("auth_state") or {}).get("sciplat"),
    }
    sock, ip = _loopback_listener()
    server_task = asyncio.ensure_future(_serve_ok(sock))
    spawner = user.get_spawner("", replace_failed=True)
    spawn = asyncio.ensure_future(user.spawn("", options=login.get("options") or {}))
    kubelet = asyncio.ensure_future(_play_kubelet(spawner, ip, kubelet_kubeconfig))
    try:
        await asyncio.wait_for(asyncio.shield(spawn), timeout=login.get("timeout", 90))
        result["url"] = spawner.server.url if spawner.server else None
        result["ok"] = True
    except Exception as exc:
        result["ok"] = False
        result["error"] = f"{type(exc).__name__}: {exc}"
    kubelet.cancel()
    result["namespace"] = spawner.namespace
    result["pod"] = spawner.pod_name
    result["progress"] = [
        {"type": e["type"], "reason": e.get("reason"), "message": e["message"]}
        for e in spawner.events
    ]
    result["_server_task"] = server_task
    return result


REPORT = "SCIPLAT-HUB "  # the Hub's configuration prints to stdout too


def _report(record: dict[str, Any]) -> None:
    print(REPORT + json.dumps(record), flush=True)


async def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    from jupyterhub.app import JupyterHub

    app = JupyterHub.instance()  # as `jupyterhub` does: singletons (CryptKeeper) read its config
    await app.initialize(
        ["-f", str(Path(spec["config_dir"]) / "jupyterhub_config.py"), *spec.get("argv", [])]
    )
    results = []
    for login in spec["logins"]:
        results.append(await _spawn(app, login, spec["kubelet_kubeconfig"]))
        shown = {k: v for k, v in results[-1].items() if not k.startswith("_")}
        _report(shown)
    _report({"spawned": len([r for r in results if r.get("ok")])})

    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    stopped = []
    for result in results:
        if "name" not in result:
            continue
        user = app.users[result["name"]]
        if user.spawner.active or result.get("ok"):
            await user.stop("")
            stopped.append(result["name"])
        if "_server_task" in result:
            result["_server_task"].cancel()
    _report({"stopped": stopped})
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
