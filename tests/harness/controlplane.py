"""A local Kubernetes control plane: etcd, kube-apiserver and kube-controller-manager on 127.0.0.1.

What runs: etcd (Debian's), kube-apiserver with token authentication, RBAC, Pod Security admission
and service-account keys, and kube-controller-manager, so claims bind to volumes, Deployments make
ReplicaSets, DaemonSets are tracked and namespaces finalize. What does not: no kubelet and no
scheduler, so pods are stored but never scheduled or run. Tests register Node objects shaped like
GKE's pools (tests/harness/nodes.py) and patch their status the way a kubelet would.

Every server listens on 127.0.0.1 only, on free ports, with a fresh data directory, and is stopped
by its process id. The controller-manager runs without leader election, with the cloud, node-IPAM
and node-lifecycle controllers off (there is no cloud, no pod network and no kubelet heartbeat:
the lifecycle controller would taint every registered node unreachable) and a 2 s claim-binder
period (the 15 s default makes binding slow).

For people: `make cluster-up` starts one under build/cluster (or reuses a healthy one) and prints
its kubeconfig; `make cluster-down` stops it and removes its files:
    python -m tests.harness.controlplane up|down|status [--dir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.harness import tools

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = REPO_ROOT / "build" / "cluster"
SERVICE_CIDR = "10.96.0.0/16"
READY_TIMEOUT = 90.0
STATE = "state.json"


class ControlPlaneError(RuntimeError):
    """The control plane did not start; the message carries the tail of each component's log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_pki(pki: Path) -> None:
    """A CA, the API server's serving certificate (127.0.0.1, localhost) and the service-account
    signing key pair."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    pki.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sciplat-local-ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.DNSName("kubernetes.default.svc"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    pkcs8 = serialization.PrivateFormat.PKCS8
    none = serialization.NoEncryption()
    (pki / "ca.crt").write_bytes(ca.public_bytes(pem))
    (pki / "apiserver.crt").write_bytes(cert.public_bytes(pem))
    (pki / "apiserver.key").write_bytes(key.private_bytes(pem, pkcs8, none))
    sa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (pki / "sa.key").write_bytes(sa.private_bytes(pem, pkcs8, none))
    (pki / "sa.pub").write_bytes(
        sa.public_key().public_bytes(pem, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    for path in pki.iterdir():
        path.chmod(0o600)


def _kubeconfig(server: str, ca: Path, token: str, user: str) -> str:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "local", "cluster": {"server": server, "certificate-authority": str(ca)}}
        ],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": "local", "context": {"cluster": "local", "user": user}}],
        "current-context": "local",
    }
    return json.dumps(config, indent=2) + "\n"


@dataclass
class ControlPlane:
    """A running control plane; `stop()` ends it."""

    workdir: Path
    server: str
    token: str
    kubeconfig: Path
    pids: dict[str, int] = field(default_factory=dict)
    version: str = ""

    # ------------------------------------------------------------------ start and stop
    @classmethod
    def start(cls, workdir: Path, *, quiet: bool = True) -> ControlPlane:
        """Start etcd, kube-apiserver and kube-controller-manager under `workdir` (made fresh)."""
        kube = tools.kube_tools(quiet=quiet)
        etcd = tools.etcd_binary()
        workdir = workdir.resolve()
        if workdir.exists() and any(workdir.iterdir()):
            raise ControlPlaneError(f"{workdir}: not empty; a control plane starts from nothing")
        workdir.mkdir(parents=True, exist_ok=True)
        workdir.chmod(0o700)
        pki, logs = workdir / "pki", workdir / "logs"
        logs.mkdir()
        _write_pki(pki)
        token = os.urandom(24).hex()
        cm_token = os.urandom(24).hex()
        tokens = workdir / "tokens.csv"
        tokens.write_text(
            f'{token},sciplat-admin,sciplat-admin,"system:masters"\n'
            f'{cm_token},system:kube-controller-manager,kcm,"system:masters"\n',
            encoding="utf-8",
        )
        tokens.chmod(0o600)
        client, peer, secure, cm_port = (free_port() for _ in range(4))
        server = f"https://127.0.0.1:{secure}"
        kubeconfig = workdir / "kubeconfig"
        kubeconfig.write_text(_kubeconfig(server, pki / "ca.crt", token, "sciplat-admin"))
        kubeconfig.chmod(0o600)
        cm_kubeconfig = workdir / "controller-manager.kubeconfig"
        cm_kubeconfig.write_text(
            _kubeconfig(server, pki / "ca.crt", cm_token, "system:kube-controller-manager")
        )
        cm_kubeconfig.chmod(0o600)
        plane = cls(workdir, server, token, kubeconfig, version=kube.version)
        commands = {
            "etcd": [
                str(etcd),
                "--name=sciplat",
                f"--data-dir={workdir / 'etcd'}",
                f"--listen-client-urls=http://127.0.0.1:{client}",
                f"--advertise-client-urls=http://127.0.0.1:{client}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=sciplat=http://127.0.0.1:{peer}",
                "--log-level=warn",
            ],
            "kube-apiserver": [
                str(kube.apiserver),
                f"--etcd-servers=http://127.0.0.1:{client}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={secure}",
                f"--cert-dir={pki}",
                f"--tls-cert-file={pki / 'apiserver.crt'}",
                f"--tls-private-key-file={pki / 'apiserver.key'}",
                f"--client-ca-file={pki / 'ca.crt'}",
                f"--token-auth-file={tokens}",
                "--authorization-mode=RBAC",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={pki / 'sa.pub'}",
                f"--service-account-signing-key-file={pki / 'sa.key'}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--allow-privileged=true",
                "--endpoint-reconciler-type=none",
                "--profiling=false",
                "--v=1",
            ],
            "kube-controller-manager": [
                str(kube.controller_manager),
                f"--kubeconfig={cm_kubeconfig}",
                f"--authentication-kubeconfig={cm_kubeconfig}",
                f"--authorization-kubeconfig={cm_kubeconfig}",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={cm_port}",
                f"--service-account-private-key-file={pki / 'sa.key'}",
                f"--root-ca-file={pki / 'ca.crt'}",
                "--use-service-account-credentials=false",
                "--controllers=*,-node-ipam-controller,-node-lifecycle-controller,"
                "-cloud-node-lifecycle-controller,-service-lb-controller,-node-route-controller",
                "--pvclaimbinder-sync-period=2s",
                "--profiling=false",
                "--v=1",
            ],
        }
        try:
            plane._spawn("etcd", commands["etcd"])
            plane._wait_for(
                "etcd", lambda: _http_ok(f"http://127.0.0.1:{client}/health"), READY_TIMEOUT
            )
            plane._spawn("kube-apiserver", commands["kube-apiserver"])
            plane._wait_for("kube-apiserver", plane._apiserver_ready, READY_TIMEOUT)
            plane._spawn("kube-controller-manager", commands["kube-controller-manager"])
            plane._wait_for(
                "kube-controller-manager", plane._default_service_account, READY_TIMEOUT
            )
        except BaseException:
            plane.stop(remove=False)
            raise
        plane._save()
        return plane

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = (self.workdir / "logs" / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.workdir,
            start_new_session=True,  # survives the starting process (make cluster-up)
        )
        log.close()
        self.pids[name] = proc.pid
        self._save()

    def _wait_for(self, name: str, ready: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _alive(self.pids[name]):
                raise ControlPlaneError(f"{name} exited during start\n{self.log_tails()}")
            if ready():
                return
            time.sleep(0.2)
        raise ControlPlaneError(f"{name} not ready after {timeout:.0f}s\n{self.log_tails()}")

    def stop(self, *, remove: bool = False) -> None:
        """SIGTERM each process (newest first), SIGKILL what is left after 10 s."""
        for name in reversed(list(self.pids)):
            pid = self.pids[name]
            if _alive(pid):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for pid in self.pids.values():
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
            _reap(pid)
        self.pids.clear()
        if remove:
            import shutil

            shutil.rmtree(self.workdir, ignore_errors=True)
        elif self.workdir.is_dir():
            self._save()

    # ------------------------------------------------------------------ health
    def _ssl(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.workdir / "pki" / "ca.crt"))

    def get(self, path: str) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.server + path, headers={"Authorization": f"Bearer {self.token}"}
        )
        try:
            with urllib.request.urlopen(request, context=self._ssl(), timeout=5) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (urllib.error.URLError, OSError):
            return 0, b""

    def _apiserver_ready(self) -> bool:
        return self.get("/readyz")[0] == 200

    def _default_service_account(self) -> bool:
        # The service-account controller makes `default` in every namespace: proof the
        # controller-manager runs and acts.
        return self.get("/api/v1/namespaces/default/serviceaccounts/default")[0] == 200

    def healthy(self) -> bool:
        return all(_alive(pid) for pid in self.pids.values()) and self._apiserver_ready()

    def log_tails(self, lines: int = 25) -> str:
        out = []
        for log in sorted((self.workdir / "logs").glob("*.log")):
            text = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            out.append(f"--- {log.name} (last {len(text)} lines)\n" + "\n".join(text))
        return "\n".join(out)

    # ------------------------------------------------------------------ clients
    def api_client(self) -> Any:
        from kubernetes import client, config

        configuration = client.Configuration()
        config.load_kube_config(str(self.kubeconfig), client_configuration=configuration)
        return client.ApiClient(configuration)

    # ------------------------------------------------------------------ persistence
    def _save(self) -> None:
        state = {
            "server": self.server,
            "token": self.token,
            "kubeconfig": str(self.kubeconfig),
            "pids": self.pids,
            "version": self.version,
        }
        path = self.workdir / STATE
        path.write_text(json.dumps(state, indent=2), encoding="utf-8")
        path.chmod(0o600)

    @classmethod
    def load(cls, workdir: Path) -> ControlPlane | None:
        path = workdir / STATE
        if not path.is_file():
            return None
        state = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            workdir.resolve(),
            state["server"],
            state["token"],
            Path(state["kubeconfig"]),
            {k: int(v) for k, v in state["pids"].items()},
            state.get("version", ""),
        )


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie of another parent still answers kill(0)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.split(") ", 1)[1][:1] != "Z"
    except OSError:
        return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


# ---------------------------------------------------------------------- make cluster-up / down
def up(workdir: Path = DEFAULT_DIR) -> ControlPlane:
    """Reuse the healthy control plane under `workdir`, or start a new one there."""
    existing = ControlPlane.load(workdir)
    if existing is not None:
        if existing.healthy():
            return existing
        existing.stop(remove=True)
    elif workdir.exists():
        import shutil

        shutil.rmtree(workdir)
    return ControlPlane.start(workdir, quiet=False)


def down(workdir: Path = DEFAULT_DIR) -> bool:
    existing = ControlPlane.load(workdir)
    if existing is None:
        if workdir.exists():
            import shutil

            shutil.rmtree(workdir)
        return False
    existing.stop(remove=True)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.harness.controlplane",
        description="A local Kubernetes control plane (etcd, kube-apiserver, "
        "kube-controller-manager) on 127.0.0.1 for development and tests. No kubelet: pods are "
        "stored, never run.",
        epilog="Example: python -m tests.harness.controlplane up && "
        "kubectl --kubeconfig build/cluster/kubeconfig get namespaces",
    )
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="state directory")
    args = parser.parse_args(argv)
    try:
        if args.action == "up":
            started = time.monotonic()
            plane = up(args.dir)
            took = time.monotonic() - started
            print(f"control plane {plane.version} at {plane.server} ({took:.1f}s)")
            print(f"kubeconfig: {plane.kubeconfig}")
            return 0
        if args.action == "down":
            print("stopped and removed" if down(args.dir) else "no control plane was running")
            return 0
        plane = ControlPlane.load(args.dir)
        if plane is None or not plane.healthy():
            print("no healthy control plane")
            return 1
        print(f"healthy: {plane.server}, kubeconfig: {plane.kubeconfig}")
        return 0
    except (ControlPlaneError, tools.SciplatError) as exc:
        print(f"control plane: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
