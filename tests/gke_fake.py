"""A loopback stand-in for the GKE API (container.googleapis.com v1), for tests only.

It answers the REST reads google-cloud-container makes for a cluster and its node pools
(`GET /v1/projects/P/locations/L/clusters/C`, `.../nodePools`, `.../nodePools/NP`) with payloads
shaped like the API reference's Cluster and NodePool resources (camelCase JSON, int64 as strings,
enums as names), and errors shaped like Google's (`{"error": {"code", "message", "status"}}`).
`cluster_payload(tfvars)` builds the resource a faithful apply of the gke module would leave.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CLUSTER_PATH = re.compile(
    r"^/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/clusters/(?P<cluster>[^/:]+)"
    r"(?:/nodePools(?:/(?P<pool>[^/:]+))?(?P<list>)?)?$"
)
PURPOSE = "hub.jupyter.org/node-purpose"
CA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMtZmFrZS0KLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="


def _pool(tfvars: dict[str, Any], name: str, pool: dict[str, Any], *, user: bool) -> dict[str, Any]:
    project, region, cluster = tfvars["project_id"], tfvars["region"], tfvars["cluster"]["name"]
    location = region if tfvars["regional_cluster"] else tfvars["zones"][0]
    base = f"https://container.googleapis.com/v1/projects/{project}/locations/{location}"
    config: dict[str, Any] = {
        "machineType": pool["machine_type"],
        "diskSizeGb": pool["disk_size_gib"],
        "diskType": pool["disk_type"],
        "imageType": "COS_CONTAINERD",
        "oauthScopes": ["https://www.googleapis.com/auth/cloud-platform"],
        "serviceAccount": f"{cluster}-nodes@{project}.iam.gserviceaccount.com",
        "metadata": {"disable-legacy-endpoints": "true"},
        "labels": {**tfvars["labels"], PURPOSE: "user" if user else "core"},
        "resourceLabels": dict(tfvars["labels"]),
        "shieldedInstanceConfig": {"enableSecureBoot": True, "enableIntegrityMonitoring": True},
        "workloadMetadataConfig": {"mode": "GKE_METADATA"},
        "windowsNodeConfig": {},
    }
    payload: dict[str, Any] = {
        "name": name,
        "config": config,
        "initialNodeCount": 1,
        "locations": list(tfvars["zones"]),
        "selfLink": f"{base}/clusters/{cluster}/nodePools/{name}",
        "version": "1.33.5-gke.1201000",
        "instanceGroupUrls": [
            f"https://www.googleapis.com/compute/v1/projects/{project}/zones/{zone}/"
            f"instanceGroupManagers/gke-{cluster}-{name}-grp"
            for zone in tfvars["zones"]
        ],
        "status": "RUNNING",
        "autoscaling": {
            "enabled": True,
            "totalMinNodeCount": pool["min_nodes"],
            "totalMaxNodeCount": pool["max_nodes"],
            "locationPolicy": "ANY" if user else "BALANCED",
        },
        "management": {"autoUpgrade": True, "autoRepair": True},
        "maxPodsConstraint": {"maxPodsPerNode": str(pool.get("max_pods_per_node", 110))},
        "podIpv4CidrSize": 24,
        "upgradeSettings": {"maxSurge": 1, "strategy": "SURGE"},
        "networkConfig": {"podRange": "pods", "podIpv4CidrBlock": "10.64.0.0/14"},
        "etag": f"{name}-etag-1",
    }
    if user:
        config["taints"] = [
            {"key": "hub.jupyter.org_dedicated", "value": "user", "effect": "NO_SCHEDULE"}
        ]
        config["spot"] = pool["spot"]
        config["gcfsConfig"] = {"enabled": pool["image_streaming"]}
        if pool["local_ssd_count"]:
            config["ephemeralStorageLocalSsdConfig"] = {"localSsdCount": pool["local_ssd_count"]}
    return payload


def cluster_payload(tfvars: dict[str, Any]) -> dict[str, Any]:
    """The Cluster resource (with its nodePools) a faithful apply of `tfvars` leaves behind."""
    project, region = tfvars["project_id"], tfvars["region"]
    c = tfvars["cluster"]
    regional = tfvars["regional_cluster"]
    location = region if regional else tfvars["zones"][0]
    pools = [_pool(tfvars, "core", tfvars["core_pool"], user=False)]
    pools += [_pool(tfvars, p["name"], p, user=True) for p in tfvars["user_pools"]]
    return {
        "name": c["name"],
        "description": "",
        "nodePools": pools,
        "locations": list(tfvars["zones"]),
        "network": tfvars["network"]["name"],
        "subnetwork": f"{tfvars['network']['name']}-subnet",
        "location": location,
        "zone": location,
        "status": "RUNNING",
        "endpoint": "34.118.0.10",
        "initialClusterVersion": "1.33.5-gke.1201000",
        "currentMasterVersion": "1.33.5-gke.1201000",
        "currentNodeVersion": "1.33.5-gke.1201000",
        "createTime": "2026-11-02T10:00:00+00:00",
        "selfLink": (
            f"https://container.googleapis.com/v1/projects/{project}/locations/{location}/"
            f"clusters/{c['name']}"
        ),
        "resourceLabels": {"cluster": c["name"], **tfvars["labels"]},
        "releaseChannel": {"channel": c["release_channel"]},
        "masterAuth": {"clusterCaCertificate": CA},
        "controlPlaneEndpointsConfig": {
            "dnsEndpointConfig": {
                "endpoint": f"gke-4f1b2c3d4e5f6071-{project}.{region}.gke.goog",
                "allowExternalTraffic": True,
            },
            "ipEndpointsConfig": {"enabled": True, "enablePublicEndpoint": True},
        },
        "networkConfig": {"datapathProvider": "ADVANCED_DATAPATH"},
        "privateClusterConfig": {
            "enablePrivateNodes": True,
            "masterIpv4CidrBlock": tfvars["network"]["master_cidr"],
        },
        "workloadIdentityConfig": {"workloadPool": f"{project}.svc.id.goog"},
        "shieldedNodes": {"enabled": True},
        "autopilot": {},
        "id": "4f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071",
    }


class GkeFake:
    """The fake server: `clusters` maps projects/P/locations/L/clusters/C to its payload.

    Start with `GkeFake.start()`, stop with `.stop()`; `.endpoint` is http://127.0.0.1:PORT.
    `requests` records (method, path, headers) of every request.
    """

    def __init__(self) -> None:
        self.clusters: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.require_token: str | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def start(cls) -> GkeFake:
        fake = cls()
        handler = type("Handler", (_Handler,), {"fake": fake})
        fake._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        fake._thread = threading.Thread(target=fake._server.serve_forever, daemon=True)
        fake._thread.start()
        return fake

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, tfvars: dict[str, Any]) -> dict[str, Any]:
        payload = cluster_payload(tfvars)
        location = tfvars["region"] if tfvars["regional_cluster"] else tfvars["zones"][0]
        path = f"projects/{tfvars['project_id']}/locations/{location}/clusters/{payload['name']}"
        self.clusters[path] = payload
        return payload

    def pool(self, cluster_path: str, name: str) -> dict[str, Any]:
        return next(p for p in self.clusters[cluster_path]["nodePools"] if p["name"] == name)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _Handler(BaseHTTPRequestHandler):
    fake: GkeFake
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, code: int, status: str, message: str) -> None:
        self._send(code, {"error": {"code": code, "message": message, "status": status}})

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.fake.requests.append(("GET", path, dict(self.headers)))
        if self.fake.require_token is not None:
            auth = self.headers.get("Authorization", "")
            if auth != f"Bearer {self.fake.require_token}":
                self._error(
                    401,
                    "UNAUTHENTICATED",
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                )
                return
        match = CLUSTER_PATH.match(path)
        if not match:
            self._error(404, "NOT_FOUND", f"Method not found: {path}")
            return
        key = "projects/{project}/locations/{location}/clusters/{cluster}".format(
            **match.groupdict()
        )
        cluster = self.fake.clusters.get(key)
        if cluster is None:
            self._error(404, "NOT_FOUND", f"Not found: {key}.")
            return
        if path.endswith("/nodePools"):
            self._send(200, {"nodePools": copy.deepcopy(cluster["nodePools"])})
            return
        pool_name = match.group("pool")
        if pool_name:
            pool = next((p for p in cluster["nodePools"] if p["name"] == pool_name), None)
            if pool is None:
                self._error(404, "NOT_FOUND", f"Not found: {key}/nodePools/{pool_name}.")
                return
            self._send(200, copy.deepcopy(pool))
            return
        self._send(200, copy.deepcopy(cluster))
