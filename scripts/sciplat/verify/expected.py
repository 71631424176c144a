"""What the plan says the platform is: the rendered tfvars, its image set, Terraform's outputs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sciplat.config import display_path
from sciplat.errors import UsageError

# The names the hub module gives its objects (modules/hub) and the chart gives its own.
HOME_CLAIM = "home"
SHARED_CLAIM = "shared"
HUB_DEPLOYMENT = "hub"
PROXY_DEPLOYMENT = "proxy"
PROXY_SERVICE = "proxy-public"
HUB_SECRET = "hub"
PULLER_DAEMONSET = "continuous-image-puller"

POOL_LABEL = "cloud.google.com/gke-nodepool"
PURPOSE_LABEL = "hub.jupyter.org/node-purpose"
USER_TAINT = {"key": "hub.jupyter.org_dedicated", "value": "user", "effect": "NoSchedule"}
CORE_POOL = "core"

OUTPUT_KEYS = {"value", "type", "sensitive"}  # one output of `terraform output -json`
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Ref:
    """An image reference split into repository path, tag and digest (either may be None)."""

    path: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, text: str) -> Ref:
        rest, _, digest = text.partition("@")
        slash = rest.rfind("/")
        colon = rest.rfind(":")
        tag = None
        if colon > slash:
            rest, tag = rest[:colon], rest[colon + 1 :]
        return cls(rest, tag or None, digest or None)

    def __str__(self) -> str:
        text = self.path
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


@dataclass(frozen=True)
class ExpectedImage:
    """One image of the set: matched by digest when pinned, else by repository and tag."""

    registry: str
    repository: str
    tag: str
    digest: str | None
    display_name: str = ""

    @property
    def path(self) -> str:
        """The repository path as a runtime names it (Docker Hub's official images: library/)."""
        if self.registry == "docker.io" and "/" not in self.repository:
            return f"library/{self.repository}"
        return self.repository

    @property
    def label(self) -> str:
        return f"{self.repository}:{self.tag}"

    def matches(self, ref: Ref) -> bool:
        """Whether `ref` names this image: through any registry or mirror prefix."""
        if self.digest:
            return ref.digest == self.digest
        same_repo = ref.path == self.path or ref.path.endswith("/" + self.path)
        return same_repo and ref.tag == self.tag and ref.digest is None

    def held_by(self, refs: list[Ref]) -> bool:
        return any(self.matches(ref) for ref in refs)


@dataclass
class Expected:
    """The platform as planned, for one environment."""

    env_name: str
    namespace: str
    chart_version: str
    images: list[ExpectedImage]
    project: str
    location: str
    cluster_name: str
    zones: list[str]
    release_channel: str
    labels: dict[str, str]
    core_pool: dict[str, Any]
    user_pools: list[dict[str, Any]]
    shares: dict[str, str]  # claim -> export path (/share_name)
    servers: dict[str, str] = field(default_factory=dict)  # claim -> NFS server (from outputs)
    proxy_ip: str | None = None  # from outputs

    @property
    def user_pool_names(self) -> list[str]:
        return [pool["name"] for pool in self.user_pools]

    @property
    def cluster_path(self) -> str:
        return f"projects/{self.project}/locations/{self.location}/clusters/{self.cluster_name}"

    @classmethod
    def from_tfvars(cls, tfvars: dict[str, Any], outputs: dict[str, Any] | None = None) -> Expected:
        hub = tfvars["hub"]
        regional = tfvars["regional_cluster"]
        zones = list(tfvars["zones"])
        images = [
            ExpectedImage(
                registry=i["registry"],
                repository=i["repository"],
                tag=i["tag"],
                digest=i.get("digest"),
                display_name=i.get("display_name", ""),
            )
            for i in hub["images"]
        ]
        filestore = tfvars["filestore"]
        expected = cls(
            env_name=tfvars["environment"],
            namespace=hub["namespace"],
            chart_version=hub["chart_version"],
            images=images,
            project=tfvars["project_id"],
            location=tfvars["region"] if regional else zones[0],
            cluster_name=tfvars["cluster"]["name"],
            zones=zones,
            release_channel=tfvars["cluster"]["release_channel"],
            labels=dict(tfvars["labels"]),
            core_pool=dict(tfvars["core_pool"]),
            user_pools=[dict(p) for p in tfvars["user_pools"]],
            shares={
                HOME_CLAIM: "/" + filestore["home"]["share_name"],
                SHARED_CLAIM: "/" + filestore["shared"]["share_name"],
            },
        )
        if outputs:
            ips = outputs.get("filestore_ips")
            if isinstance(ips, dict):
                expected.servers = {
                    claim: ips[key]
                    for claim, key in ((HOME_CLAIM, "home"), (SHARED_CLAIM, "shared"))
                    if isinstance(ips.get(key), str)
                }
            if isinstance(outputs.get("proxy_ip"), str):
                expected.proxy_ip = outputs["proxy_ip"]
        return expected


def read_outputs(path: Path) -> dict[str, Any]:
    """Terraform outputs from `terraform output -json` (or a plain name -> value object)."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise UsageError(f"{shown}: cannot read the Terraform outputs ({reason})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{shown}:{exc.lineno}: --outputs: not valid JSON ({exc.msg})") from None
    return parse_outputs(doc, shown)


def parse_outputs(doc: Any, shown: str) -> dict[str, Any]:
    """Output name -> value; the outputs verify reads are checked for their type."""
    if not isinstance(doc, dict):
        raise UsageError(
            f"{shown}:1: --outputs: must be a JSON object (from `terraform output -json`)"
        )
    values: dict[str, Any] = {}
    for name, entry in doc.items():
        if isinstance(entry, dict) and "value" in entry and set(entry) <= OUTPUT_KEYS:
            values[name] = entry["value"]
        else:
            values[name] = entry
    for key in ("proxy_ip",):
        if key in values and not isinstance(values[key], str):
            raise UsageError(f"{shown}: {key}: must be a string, not {type(values[key]).__name__}")
    ips = values.get("filestore_ips")
    if ips is not None and not (
        isinstance(ips, dict) and all(isinstance(v, str) for v in ips.values())
    ):
        raise UsageError(f"{shown}: filestore_ips: must be an object of addresses (home, shared)")
    return values


def outputs_from_state(env_name: str, build_dir: Path) -> tuple[dict[str, Any] | None, str]:
    """`terraform output -json` of the environment's state, where `sciplat plan` initialized it
    (build/ENV/.terraform); else None and why, for a warning."""
    data_dir = build_dir / env_name / ".terraform"
    hint = "NFS servers and the proxy address are not compared (pass --outputs FILE)"
    if not data_dir.is_dir():
        return None, f"no Terraform outputs: {display_path(data_dir)} not initialized; {hint}"
    from sciplat.errors import SciplatError
    from sciplat.terraform import Terraform
    from sciplat.workflow import terraform_root

    tf = Terraform(terraform_root(), env={"TF_DATA_DIR": str(data_dir.resolve()), "TF_INPUT": "0"})
    try:
        doc = tf.json(["output", "-json"])
        return parse_outputs(doc, "terraform output -json"), ""
    except (SciplatError, OSError) as exc:
        reason = next((line for line in str(exc).splitlines() if line.strip()), "failed")
        return None, f"no Terraform outputs ({reason.strip()}); {hint}"


def is_digest(value: str | None) -> bool:
    return bool(value) and bool(_DIGEST.fullmatch(value or ""))
