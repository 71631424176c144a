"""The binaries the local control plane and the chart checks run, built from tools/ once per pin.

- tools/kube: kube-apiserver, kube-controller-manager and kubectl from k8s.io/kubernetes (the
  release pinned in tools/kube/go.mod), with the version stamped so clients can parse it;
- tools/helm: helm, from helm.sh/helm/v3 (pinned in tools/helm/go.mod).

Each lands in ${SCIPLAT_TOOLS_CACHE:-~/.cache/sciplat/tools}/<name>-<version>-<checksum of the
tools module>/, so a changed pin rebuilds and an unchanged one is reused at once. etcd is Debian's
etcd-server (scripts/system-deps.sh installs it).

Run as a script to build (or reuse) everything and print the paths:
    python -m tests.harness.tools
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from sciplat import gobuild
from sciplat.errors import SciplatError

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS = REPO_ROOT / "tools"


def cache_root() -> Path:
    if explicit := os.environ.get("SCIPLAT_TOOLS_CACHE"):
        return Path(explicit).expanduser()
    return gobuild.cache_base() / "tools"


def _required_version(module: Path, path: str) -> str:
    text = (module / "go.mod").read_text(encoding="utf-8")
    found = re.search(rf"^\s*(?:require\s+)?{re.escape(path)} (v\S+)", text, re.M)
    if not found:
        raise SciplatError(f"{module / 'go.mod'}: {path} is not required")
    return found.group(1)


def _module_key(module: Path) -> str:
    files = [module / "go.mod", module / "go.sum", *sorted(module.glob("*.go"))]
    return gobuild.checksum(files)


@dataclass(frozen=True)
class KubeTools:
    version: str
    apiserver: Path
    controller_manager: Path
    kubectl: Path


def kube_tools(*, quiet: bool = False) -> KubeTools:
    module = TOOLS / "kube"
    version = _required_version(module, "k8s.io/kubernetes")
    major, minor = version.lstrip("v").split(".")[:2]
    stamps = " ".join(
        f"-X {pkg}.gitVersion={version} -X {pkg}.gitMajor={major} -X {pkg}.gitMinor={minor}"
        for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")
    )
    key = _module_key(module)
    out = cache_root() / f"kube-{version}-{key}"
    commands = ("kube-apiserver", "kube-controller-manager", "kubectl")

    def make(directory: Path) -> None:
        for command in commands:
            target = gobuild.Target(
                f"{command} {version}",
                module,
                f"k8s.io/kubernetes/cmd/{command}",
                directory / command,
                f"-s -w {stamps}",
            )
            gobuild.build(target, quiet=quiet)

    gobuild.cached(out, key, make)
    return KubeTools(version, *(out / c for c in commands))


def helm_tool(*, quiet: bool = False) -> Path:
    module = TOOLS / "helm"
    version = _required_version(module, "helm.sh/helm/v3")
    key = _module_key(module)
    out = cache_root() / f"helm-{version}-{key}"

    def make(directory: Path) -> None:
        ldflags = f"-s -w -X helm.sh/helm/v3/internal/version.version={version}"
        target = gobuild.Target(
            f"helm {version}", module, "helm.sh/helm/v3/cmd/helm", directory / "helm", ldflags
        )
        gobuild.build(target, quiet=quiet)

    gobuild.cached(out, key, make)
    return out / "helm"


def etcd_binary() -> Path:
    found = shutil.which("etcd")
    if found is None:
        raise SciplatError(
            "etcd is not on PATH: run `make system-deps` (Debian's etcd-server)", exit_code=2
        )
    return Path(found)


if __name__ == "__main__":
    kube = kube_tools()
    print(f"kube-apiserver          {kube.apiserver}")
    print(f"kube-controller-manager {kube.controller_manager}")
    print(f"kubectl                 {kube.kubectl}")
    print(f"helm                    {helm_tool()}")
    print(f"etcd                    {etcd_binary()}")
