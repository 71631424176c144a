"""Measure the disk usage of every home directory and of the shared area.

Run by the usage CronJob of the hub module (as root, both shares mounted read-only) and by
`sciplat storage ENV --home-root DIR` against any directory tree. Standard library only.

A measurement is a JSON object:

    {"time": "2026-12-01T04:17:00Z", "homes": {"<dir>": bytes, ...},
     "home_total": bytes, "shared": bytes, "files": n}

Usage is counted in allocated blocks (what `du` counts), each inode once (hard links are not
counted twice), without following symbolic links or crossing into other file systems. The
history (a JSON list of measurements, oldest first, at most --keep) is written to a file or to a
ConfigMap key `usage.json` through the Kubernetes API with the pod's service account.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import ssl
import stat
import sys
import urllib.request
from pathlib import Path
from typing import Any

SA_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


def tree_bytes(root: Path, seen: set[tuple[int, int]] | None = None) -> tuple[int, int]:
    """(allocated bytes, entries) under root, like `du -s -x --bytes` of allocated blocks."""
    seen = set() if seen is None else seen
    try:
        top = os.lstat(root)
    except OSError:
        return 0, 0
    total, count = 0, 0
    stack = [str(root)]
    device = top.st_dev
    while stack:
        path = stack.pop()
        try:
            st = os.lstat(path)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            continue
        seen.add(key)
        total += st.st_blocks * 512
        count += 1
        if stat.S_ISDIR(st.st_mode) and st.st_dev == device:
            try:
                with os.scandir(path) as entries:
                    stack.extend(entry.path for entry in entries)
            except OSError:
                continue
    return total, count


def measure(home_root: Path, shared_root: Path | None, now: str | None = None) -> dict[str, Any]:
    """One measurement of every directory directly under home_root and of shared_root."""
    homes: dict[str, int] = {}
    files = 0
    with os.scandir(home_root) as entries:
        dirs = sorted(e.name for e in entries if e.is_dir(follow_symlinks=False))
    for name in dirs:
        if name.startswith("."):
            continue
        used, count = tree_bytes(home_root / name)
        homes[name] = used
        files += count
    shared = 0
    if shared_root is not None:
        shared, count = tree_bytes(shared_root)
        files += count
    return {
        "time": now or datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "homes": homes,
        "home_total": sum(homes.values()),
        "shared": shared,
        "files": files,
    }


def append(history: list[dict[str, Any]], measurement: dict[str, Any], keep: int) -> list:
    return [*history, measurement][-keep:]


# --------------------------------------------------------------------------- ConfigMap


def _api(method: str, url: str, body: dict | None = None, auth: dict | None = None) -> dict:
    """A call to the API server with the pod's service account (or the given token and CA)."""
    auth = auth or {}
    token_file = auth.get("token_file") or SA_DIR / "token"
    token = Path(token_file).read_text(encoding="utf-8").strip()
    context = ssl.create_default_context(cafile=str(auth.get("ca_file") or SA_DIR / "ca.crt"))
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/merge-patch+json")
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        return json.loads(response.read().decode("utf-8"))


def configmap_url(namespace: str, name: str, server: str | None = None) -> str:
    if server:
        return f"{server.rstrip('/')}/api/v1/namespaces/{namespace}/configmaps/{name}"
    host = os.environ["KUBERNETES_SERVICE_HOST"]
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    if ":" in host:
        host = f"[{host}]"
    return f"https://{host}:{port}/api/v1/namespaces/{namespace}/configmaps/{name}"


def read_history_configmap(url: str, auth: dict | None = None) -> list[dict[str, Any]]:
    data = _api("GET", url, auth=auth).get("data") or {}
    try:
        history = json.loads(data.get("usage.json") or "[]")
    except ValueError:
        return []
    return history if isinstance(history, list) else []


def write_history_configmap(url: str, history: list[dict], auth: dict | None = None) -> None:
    _api("PATCH", url, {"data": {"usage.json": json.dumps(history, sort_keys=True)}}, auth)


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home-root", type=Path, required=True)
    parser.add_argument("--shared-root", type=Path)
    parser.add_argument("--keep", type=int, default=60, help="measurements kept")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--configmap", help="NAMESPACE/NAME of the ConfigMap to update")
    target.add_argument("--output", type=Path, help="JSON history file to update")
    parser.add_argument("--server", help="API server URL [default: the cluster's, in a pod]")
    parser.add_argument("--token-file", help="bearer token [default: the service account's]")
    parser.add_argument("--ca-file", help="API server CA [default: the service account's]")
    args = parser.parse_args(argv)
    measurement = measure(args.home_root, args.shared_root)
    if args.configmap:
        namespace, _, name = args.configmap.partition("/")
        url = configmap_url(namespace, name, args.server)
        auth = {"token_file": args.token_file, "ca_file": args.ca_file}
        history = read_history_configmap(url, auth)
        write_history_configmap(url, append(history, measurement, args.keep), auth)
    else:
        history = (
            json.loads(args.output.read_text(encoding="utf-8")) if args.output.is_file() else []
        )
        args.output.write_text(
            json.dumps(append(history, measurement, args.keep)), encoding="utf-8"
        )
    print(
        f"{len(measurement['homes'])} homes, {measurement['home_total']} bytes; "
        f"shared {measurement['shared']} bytes; {measurement['files']} entries"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
