"""A real registry on loopback for tests and benchmarks, and a fast way to fill it.

Starts Debian's ``docker-registry`` (the open-source distribution registry) on 127.0.0.1 with a
free port and a temporary storage directory; pushes small images with the Registry API itself
(one config blob and one tiny layer shared by every tag, one manifest per tag, an OCI index for
multi-arch tags), so hundreds of tags take seconds and no container engine is needed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REGISTRY_BINARY = "docker-registry"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def registry_available() -> bool:
    return shutil.which(REGISTRY_BINARY) is not None


@dataclass
class LocalRegistry:
    """``with LocalRegistry() as reg: reg.url`` -> ``http://127.0.0.1:PORT``.

    ``htpasswd`` is the path of a bcrypt htpasswd file to require basic auth.
    """

    htpasswd: Path | None = None
    port: int = field(default_factory=free_port)
    workdir: Path | None = None
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _own_dir: bool = field(default=False, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> LocalRegistry:
        binary = shutil.which(REGISTRY_BINARY)
        if binary is None:
            raise RuntimeError(f"{REGISTRY_BINARY} is not installed (scripts/system-deps.sh)")
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="sciplat-registry-"))
            self._own_dir = True
        storage = self.workdir / "storage"
        storage.mkdir(parents=True, exist_ok=True)
        lines = [
            "version: 0.1",
            "log:",
            "  level: error",
            "  accesslog:",
            "    disabled: true",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {storage}",
            "  delete:",
            "    enabled: true",
            "http:",
            f"  addr: 127.0.0.1:{self.port}",
            "  secret: sciplat-local-test-secret",
        ]
        if self.htpasswd is not None:
            lines += ["auth:", "  htpasswd:", "    realm: sciplat-test"]
            lines.append(f"    path: {self.htpasswd}")
        config = self.workdir / "config.yml"
        config.write_text("\n".join(lines) + "\n")
        log = (self.workdir / "registry.log").open("wb")
        self._proc = subprocess.Popen(
            [binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"{REGISTRY_BINARY} exited with {self._proc.returncode}: "
                    + (self.workdir / "registry.log").read_text()[-2000:]
                )
            try:
                r = httpx.get(f"{self.url}/v2/", timeout=1.0)
                if r.status_code in (200, 401):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{REGISTRY_BINARY} did not answer on {self.url} in {timeout}s")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        if self._own_dir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> LocalRegistry:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Pusher:
    """Pushes tiny images to ``url``/``repository`` with the Registry API."""

    def __init__(
        self, url: str, repository: str, auth: tuple[str, str] | None = None, workers: int = 8
    ) -> None:
        self.url = url.rstrip("/")
        self.repository = repository
        self.workers = workers
        self.http = httpx.Client(timeout=30.0, auth=auth)
        self._blobs: dict[str, tuple[str, int]] = {}

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Pusher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def blob(self, data: bytes) -> tuple[str, int]:
        digest = _digest(data)
        if digest in self._blobs:
            return self._blobs[digest]
        base = f"{self.url}/v2/{self.repository}/blobs/uploads/"
        r = self.http.post(base)
        r.raise_for_status()
        location = r.headers["Location"]
        if location.startswith("/"):
            location = self.url + location
        sep = "&" if "?" in location else "?"
        r = self.http.put(
            f"{location}{sep}digest={digest}",
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        r.raise_for_status()
        self._blobs[digest] = (digest, len(data))
        return self._blobs[digest]

    def _base_blobs(self, arch: str) -> tuple[dict[str, object], dict[str, object]]:
        config = json.dumps(
            {"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}},
            sort_keys=True,
        ).encode()
        layer = f"sciplat test layer {arch}\n".encode()
        c_digest, c_size = self.blob(config)
        l_digest, l_size = self.blob(layer)
        return (
            {"mediaType": OCI_CONFIG, "digest": c_digest, "size": c_size},
            {"mediaType": OCI_LAYER, "digest": l_digest, "size": l_size},
        )

    def put_manifest(self, reference: str, body: bytes, media_type: str) -> str:
        r = self.http.put(
            f"{self.url}/v2/{self.repository}/manifests/{reference}",
            content=body,
            headers={"Content-Type": media_type},
        )
        r.raise_for_status()
        return r.headers.get("Docker-Content-Digest") or _digest(body)

    def image_manifest(self, name: str, arch: str = "amd64") -> bytes:
        """A manifest unique to ``name`` (an annotation) over the shared blobs."""
        config, layer = self._base_blobs(arch)
        return json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": config,
                "layers": [layer],
                "annotations": {"org.opencontainers.image.ref.name": name},
            },
            sort_keys=True,
        ).encode()

    def push(self, tag: str, arch: str = "amd64", content: str | None = None) -> str:
        """Push a single-platform image tagged ``tag``; return its digest."""
        return self.put_manifest(tag, self.image_manifest(content or tag, arch), OCI_MANIFEST)

    def push_index(self, tag: str, archs: Iterable[str] = ("amd64", "arm64")) -> str:
        """Push a multi-arch tag: one manifest per architecture (by digest) and an OCI index."""
        entries = []
        for arch in archs:
            body = self.image_manifest(f"{tag}-{arch}", arch)
            digest = self.put_manifest(_digest(body), body, OCI_MANIFEST)
            entries.append(
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": digest,
                    "size": len(body),
                    "platform": {"architecture": arch, "os": "linux"},
                }
            )
        index = json.dumps(
            {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}, sort_keys=True
        ).encode()
        return self.put_manifest(tag, index, OCI_INDEX)

    def push_many(self, tags: Iterable[str]) -> dict[str, str]:
        """Push single-platform images for ``tags`` concurrently; return tag -> digest."""
        unique = list(dict.fromkeys(tags))
        self._base_blobs("amd64")
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            digests = list(pool.map(self.push, unique))
        return dict(zip(unique, digests, strict=True))

    def retag(self, tag: str, source_tag: str) -> str:
        """Point ``tag`` at the manifest of ``source_tag`` (an alias, as CI moves them)."""
        r = self.http.get(
            f"{self.url}/v2/{self.repository}/manifests/{source_tag}",
            headers={"Accept": f"{OCI_INDEX}, {OCI_MANIFEST}"},
        )
        r.raise_for_status()
        media_type = r.headers.get("Content-Type", OCI_MANIFEST).split(";")[0]
        return self.put_manifest(tag, r.content, media_type)


def realistic_tags(weeks: int = 60) -> list[str]:
    """A tag history like the science stack's: releases, candidates, weeklies, dailies, exps."""
    tags: list[str] = []
    for major in range(24, 30):
        for minor in range(0, 3):
            tags.append(f"r{major}_{minor}_0")
            tags.append(f"r{major}_{minor}_0_rc1")
            if minor == 0:
                tags.append(f"r{major}_{minor}_0_rc2")
                tags.append(f"r{major}_{minor}_1")
    tags += ["r170", "r180", "r190", "r191"]
    year, week = 2026, 47
    for i in range(weeks):
        w = week - i
        y = year
        while w <= 0:
            w += 52
            y -= 1
        tags.append(f"w_{y}_{w:02d}")
        if i < 10:
            tags.append(f"w_{y}_{w:02d}_c0044.{i:03d}")
            tags.append(f"w_{y}_{w:02d}_rsp{i}")
            tags.append(f"exp_w_{y}_{w:02d}_dask")
    day = dt.date(2026, 11, 27)
    for i in range(90):
        d = day - dt.timedelta(days=i)
        tags.append(f"d_{d.year}_{d.month:02d}_{d.day:02d}")
    tags += ["exp_random_thing", "exp_", "latest", "some-odd.tag", "r29_x", "w_2026_99", "v1.2"]
    return list(dict.fromkeys(tags))


def arch_tags(base: Iterable[str], archs: Iterable[str] = ("amd64", "arm64")) -> list[str]:
    return [f"{t}-{a}" for t in base for a in archs]


def fill_realistic(
    pusher: Pusher,
    weeks: int = 60,
    aliases: Mapping[str, str] | None = None,
    multiarch: Iterable[str] = (),
) -> dict[str, str]:
    """Push a realistic history, multi-arch indexes and aliases; return tag -> digest."""
    tags = realistic_tags(weeks)
    digests = pusher.push_many(tags)
    newest_weeklies = sorted(t for t in tags if t.startswith("w_") and t.count("_") == 2)[-3:]
    for t in arch_tags(newest_weeklies):
        digests[t] = pusher.push(t, arch=t.rsplit("-", 1)[1])
    for t in multiarch:
        digests[t] = pusher.push_index(t)
    for alias, target in (aliases or {}).items():
        digests[alias] = pusher.retag(alias, target)
    return digests
