"""Integration: the image scanner against a real registry (Debian's docker-registry on loopback).

A session fixture starts the registry with a temp storage dir and pushes a realistic tag history
(a few hundred tags across classes, aliases, architecture tags, a multi-arch index, odd tags).
A small proxy in front adds what the plain registry lacks: tag pagination (the registry's
``n``/``Link`` support for tags arrived after 2.8), a token service, and injected faults.
Tests skip when docker-registry is absent, except on CI (CI=true), where they fail.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from sciplat.images.policy import Policy, select
from sciplat.images.registry import RegistryClient, RegistryError
from tests.conftest import require_or_skip
from tests.localregistry import LocalRegistry, Pusher, fill_realistic, registry_available

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
REPO = "sciplat-lab"
ALIASES = {
    "recommended": "w_2026_46",
    "latest_weekly": "w_2026_47",
    "latest_daily": "d_2026_11_27",
    "latest_release": "r29_2_0",
}
MULTIARCH = ["w_2026_48"]


def _require(binary: str) -> None:
    if shutil.which(binary):
        return
    require_or_skip(f"{binary} not installed (bash scripts/system-deps.sh)")


@dataclass
class Seeded:
    registry: LocalRegistry
    digests: dict[str, str]


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    if not registry_available():
        _require("docker-registry")
    with LocalRegistry(workdir=tmp_path_factory.mktemp("registry")) as reg:
        with Pusher(reg.url, REPO) as pusher:
            digests = fill_realistic(pusher, weeks=104, aliases=ALIASES, multiarch=MULTIARCH)
        yield Seeded(reg, digests)


# ------------------------------------------------------------------------------ the proxy


@dataclass
class Fault:
    pattern: str  # regex on the request path
    action: str  # "500", "429", "503", "delay:SECONDS", "redirect:LOCATION"
    count: int = 1


@dataclass
class ProxyState:
    upstream: str
    page_size: int | None = None  # paginate tags/list with at most this many per page
    link_mode: str = "normal"  # normal | loop | foreign
    token_user: tuple[str, str] | None = None  # require bearer tokens from /token
    faults: list[Fault] = field(default_factory=list)
    log: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_fault(self, path: str) -> str | None:
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and re.search(fault.pattern, path):
                    fault.count -= 1
                    return fault.action
        return None

    def requests(self, pattern: str) -> list[str]:
        return [p for _, p, _ in self.log if re.search(pattern, p)]


class _Handler(BaseHTTPRequestHandler):
    server: _ProxyServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self, method: str) -> None:
        state = self.server.state
        with state.lock:
            state.log.append((method, self.path, dict(self.headers)))
        action = state.take_fault(self.path)
        if action is not None:
            if action.startswith("delay:"):
                time.sleep(float(action.split(":", 1)[1]))
            elif action.startswith("redirect:"):
                return self._reply(307, b"", {"Location": action.split(":", 1)[1]})
            else:
                headers = {"Retry-After": "0"} if action == "429" else {}
                return self._reply(int(action), b'{"errors":[]}', headers)
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/token":
            return self._token(url)
        if state.token_user is not None:
            auth = self.headers.get("Authorization", "")
            if not (auth.startswith("Bearer ") and auth[7:] in state.tokens):
                realm = f"http://127.0.0.1:{self.server.server_port}/token"
                repo = url.path.split("/v2/", 1)[-1].split("/tags/")[0].split("/manifests/")[0]
                challenge = (
                    f'Bearer realm="{realm}",service="sciplat-test",scope="repository:{repo}:pull"'
                )
                return self._reply(401, b"{}", {"WWW-Authenticate": challenge})
        if url.path.endswith("/tags/list") and state.page_size is not None:
            return self._tags_page(url)
        headers = {k: v for k, v in self.headers.items() if k.lower() == "accept"}
        r = httpx.request(method, state.upstream + self.path, headers=headers, timeout=30)
        keep = ("content-type", "docker-content-digest", "link", "www-authenticate")
        out = {k: v for k, v in r.headers.items() if k.lower() in keep}
        self.send_response(r.status_code)
        for k, v in out.items():
            self.send_header(k, v)
        length = r.headers.get("content-length", str(len(r.content)))
        self.send_header("Content-Length", length if method == "HEAD" else str(len(r.content)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(r.content)

    def _token(self, url: urllib.parse.SplitResult) -> None:
        state = self.server.state
        expected = state.token_user
        auth = self.headers.get("Authorization", "")
        given = base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else ""
        if expected is None or given != f"{expected[0]}:{expected[1]}":
            return self._reply(401, b'{"details":"bad credentials"}')
        query = urllib.parse.parse_qs(url.query)
        if query.get("service") != ["sciplat-test"] or not query.get("scope"):
            return self._reply(400, b"{}")
        token = f"tok-{len(state.tokens)}"
        with state.lock:
            state.tokens.add(token)
        self._reply(
            200, json.dumps({"token": token}).encode(), {"Content-Type": "application/json"}
        )

    def _tags_page(self, url: urllib.parse.SplitResult) -> None:
        state = self.server.state
        r = httpx.get(state.upstream + url.path, timeout=30)
        if r.status_code != 200:
            return self._reply(r.status_code, r.content)
        tags = sorted(r.json()["tags"])
        query = urllib.parse.parse_qs(url.query)
        n = min(int(query.get("n", ["100000"])[0]), state.page_size or 100000)
        last = query.get("last", [""])[0]
        rest = [t for t in tags if t > last]
        page, more = rest[:n], len(rest) > n
        headers = {"Content-Type": "application/json"}
        if more:
            nxt = f"{url.path}?" + urllib.parse.urlencode({"n": n, "last": page[-1]})
            if state.link_mode == "loop":
                nxt = f"{url.path}?" + urllib.parse.urlencode({"n": n, "last": ""})
            elif state.link_mode == "foreign":
                nxt = "http://registry.invalid" + nxt
            headers["Link"] = f'<{nxt}>; rel="next"'
        body = json.dumps({"name": url.path.split("/")[2], "tags": page}).encode()
        self._reply(200, body, headers)


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A delayed reply whose client already timed out (or whose test already ended) has
        # nowhere to go; that is the point of the fault, not an error.
        pass

    def __init__(self, state: ProxyState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@pytest.fixture
def proxy(seeded: Seeded) -> Iterator[tuple[str, ProxyState]]:
    state = ProxyState(upstream=seeded.registry.url)
    server = _ProxyServer(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", state
    finally:
        server.shutdown()
        server.server_close()


def client(url: str, **kw: Any) -> RegistryClient:
    kw.setdefault("use_docker_config", False)
    kw.setdefault("backoff", 0.01)
    return RegistryClient(url, **kw)


# ------------------------------------------------------------------------------ the tests


def test_list_and_choose_against_the_real_registry(seeded: Seeded) -> None:
    policy = Policy(
        registry=seeded.registry.host,
        repository=REPO,
        aliases=("latest_weekly", "latest_daily", "latest_release"),
    )
    with client(seeded.registry.url) as c:
        tags = c.list_tags(REPO)
        assert set(tags) == set(seeded.digests)
        assert len(tags) > 280
        result = select(tags, policy, lambda chosen: c.digests(REPO, chosen))
    assert [(i.tag, i.display_name) for i in result.images] == [
        ("recommended", "Recommended (Weekly 2026_46)"),
        ("latest_weekly", "Latest Weekly (Weekly 2026_47)"),
        ("latest_daily", "Latest Daily (Daily 2026_11_27)"),
        ("latest_release", "Latest Release (Release r29.2.0)"),
        ("r29_2_0", "Release r29.2.0"),
        ("w_2026_48", "Weekly 2026_48"),
        ("w_2026_47", "Weekly 2026_47"),
        ("d_2026_11_27", "Daily 2026_11_27"),
        ("d_2026_11_26", "Daily 2026_11_26"),
        ("d_2026_11_25", "Daily 2026_11_25"),
    ]
    for image in result.images:
        assert image.digest == seeded.digests[image.tag], image.tag
    assert result.images[0].digest == seeded.digests["w_2026_46"]
    assert result.warnings == []


def test_multiarch_tag_resolves_to_its_index_digest(seeded: Seeded) -> None:
    with client(seeded.registry.url) as c:
        assert c.digest(REPO, "w_2026_48") == seeded.digests["w_2026_48"]
    # without the index media types in Accept the registry would not serve the index
    plain = httpx.head(
        f"{seeded.registry.url}/v2/{REPO}/manifests/w_2026_48",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    assert plain.headers.get("Docker-Content-Digest") != seeded.digests["w_2026_48"]


def test_digest_lookups_only_for_chosen_tags(proxy: tuple[str, ProxyState], seeded: Seeded) -> None:
    url, state = proxy
    policy = Policy(registry=url, repository=REPO, aliases=("latest_weekly",), weeklies=3)
    with client(url) as c:
        result = select(c.list_tags(REPO), policy, lambda chosen: c.digests(REPO, chosen))
    looked_up = {p.rsplit("/", 1)[1] for p in state.requests("/manifests/")}
    assert looked_up == {i.tag for i in result.images}
    assert all(
        "application/vnd.oci.image.index.v1+json" in h.get("Accept", "")
        and "application/vnd.docker.distribution.manifest.list.v2+json" in h.get("Accept", "")
        for m, p, h in state.log
        if "/manifests/" in p
    )


def test_pagination_with_a_small_page_size(proxy: tuple[str, ProxyState], seeded: Seeded) -> None:
    url, state = proxy
    state.page_size = 7
    with client(url, page_size=7) as c:
        tags = c.list_tags(REPO)
    assert sorted(tags) == sorted(seeded.digests)
    pages = state.requests("/tags/list")
    assert len(pages) == -(-len(seeded.digests) // 7)
    assert all("n=7" in p for p in pages)


def test_pagination_loop_is_refused(proxy: tuple[str, ProxyState]) -> None:
    url, state = proxy
    state.page_size, state.link_mode = 50, "loop"
    with client(url, page_size=50) as c, pytest.raises(RegistryError, match="loops back"):
        c.list_tags(REPO)
    assert len(state.requests("/tags/list")) <= 3


def test_pagination_to_a_foreign_host_is_refused(proxy: tuple[str, ProxyState]) -> None:
    url, state = proxy
    state.page_size, state.link_mode = 50, "foreign"
    with client(url, page_size=50) as c, pytest.raises(RegistryError, match="another host"):
        c.list_tags(REPO)


def test_retries_500_429_and_slow_responses(proxy: tuple[str, ProxyState], seeded: Seeded) -> None:
    url, state = proxy
    state.faults = [
        Fault("/tags/list", "500", 2),
        Fault("/manifests/w_2026_47$", "429", 2),
        Fault("/manifests/d_2026_11_27$", "503", 1),
        Fault("/manifests/r29_2_0$", "delay:0.2", 1),  # slow, within the timeout
        Fault("/manifests/w_2026_46$", "delay:3", 1),  # past the timeout: retried
    ]
    with client(url, timeout=1.5) as c:
        assert len(c.list_tags(REPO)) == len(seeded.digests)
        got = c.digests(REPO, ["w_2026_47", "d_2026_11_27", "r29_2_0", "w_2026_46"])
    assert got == {t: seeded.digests[t] for t in got}
    assert len(state.requests("/tags/list")) == 3
    assert len(state.requests("/manifests/w_2026_47$")) == 3
    assert len(state.requests("/manifests/w_2026_46$")) == 2
    assert all(f.count == 0 for f in state.faults)


def test_persistent_server_errors_give_a_clear_message(proxy: tuple[str, ProxyState]) -> None:
    url, state = proxy
    state.faults = [Fault("/tags/list", "503", 100)]
    with client(url, retries=2) as c, pytest.raises(RegistryError) as info:
        c.list_tags(REPO)
    assert "HTTP 503 after retries" in str(info.value)
    assert len(state.requests("/tags/list")) == 3
    assert info.value.exit_code == 3


def test_not_found_repository_and_tag(seeded: Seeded) -> None:
    with client(seeded.registry.url) as c:
        with pytest.raises(RegistryError, match=r"not found in 127\.0\.0\.1:\d+/no-such-repo"):
            c.list_tags("no-such-repo")
        with pytest.raises(RegistryError, match=r"resolving .*:no_such_tag: not found"):
            c.digest(REPO, "no_such_tag")


def test_token_service_auth(proxy: tuple[str, ProxyState], seeded: Seeded) -> None:
    url, state = proxy
    state.token_user = ("alice", "wonderland")
    with client(url, credentials=None) as anonymous, pytest.raises(RegistryError) as info:
        anonymous.list_tags(REPO)
    assert "token service" in str(info.value)

    from sciplat.images.registry import Credentials

    with client(url, credentials=Credentials("alice", "wonderland")) as c:
        tags = c.list_tags(REPO)
        got = c.digests(REPO, ["w_2026_47", "recommended", "r29_2_0"])
    assert len(tags) == len(seeded.digests)
    assert got["recommended"] == seeded.digests["w_2026_46"]
    assert len(state.requests("^/token")) == 2  # one anonymous refusal, then one token reused


@pytest.fixture(scope="session")
def basic_registry(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require("htpasswd")
    workdir = tmp_path_factory.mktemp("basic-registry")
    htpasswd = workdir / "htpasswd"
    subprocess.run(
        ["htpasswd", "-Bbc", str(htpasswd), "bob", "builder"], check=True, capture_output=True
    )
    with LocalRegistry(htpasswd=htpasswd, workdir=workdir) as reg:
        with Pusher(reg.url, REPO, auth=("bob", "builder")) as pusher:
            pusher.push_many(["w_2026_47", "d_2026_11_27"])
        yield reg.url


def test_basic_auth_from_the_docker_config(
    basic_registry: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = urllib.parse.urlsplit(basic_registry).netloc
    monkeypatch.delenv("SCIPLAT_REGISTRY_USERNAME", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    (tmp_path / "config.json").write_text(
        json.dumps({"auths": {host: {"auth": base64.b64encode(b"bob:builder").decode()}}})
    )
    with RegistryClient(basic_registry) as c:
        assert sorted(c.list_tags(REPO)) == ["d_2026_11_27", "w_2026_47"]
        assert c.digest(REPO, "w_2026_47").startswith("sha256:")

    (tmp_path / "config.json").write_text(
        json.dumps({"auths": {host: {"auth": base64.b64encode(b"bob:wrong").decode()}}})
    )
    with RegistryClient(basic_registry) as c, pytest.raises(RegistryError) as info:
        c.list_tags(REPO)
    assert "not authorized" in str(info.value) and "HTTP 401" in str(info.value)

    (tmp_path / "config.json").write_text("{}")
    with RegistryClient(basic_registry) as c, pytest.raises(RegistryError, match="docker login"):
        c.list_tags(REPO)


# ------------------------------------------------------------------------------ the command


@pytest.fixture
def env_file(seeded: Seeded, tmp_path: Path) -> Path:
    data = yaml.safe_load((ROOT / "env" / "stable.yaml").read_text())
    data["hub"]["images"]["registry"] = seeded.registry.host
    data["hub"]["images"]["repository"] = REPO
    (tmp_path / "env").mkdir()
    path = tmp_path / "env" / "stable.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "160", "DOCKER_CONFIG": str(ROOT / "nonexistent")}
    return subprocess.run(
        [sys.executable, "-m", "sciplat.cli", "images", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_cli_menu_json_and_lock_feed_render(env_file: Path, seeded: Seeded) -> None:
    menu = run_cli(str(env_file))
    assert menu.returncode == 0, menu.stderr
    lines = menu.stdout.splitlines()
    first = next(line for line in lines if "Recommended" in line)
    assert "*" in first and "Recommended (Weekly 2026_46)" in first
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in lines if "│" in line]
    menu_tags = [row[2] for row in rows if len(row) >= 3 and row[2] in seeded.digests]
    assert menu_tags[:5] == [
        "recommended",
        "latest_weekly",
        "latest_daily",
        "latest_release",
        "r29_2_0",
    ]
    assert menu_tags[5:] == ["w_2026_48", "w_2026_47", *(f"d_2026_11_{d}" for d in (27, 26, 25))]

    out = run_cli(str(env_file), "--json", "--weeklies", "1", "--dailies", "0", "--pin", "r170")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["recommended"] == "recommended"
    tags = [i["tag"] for i in doc["images"]]
    assert tags == [
        "recommended",
        "latest_weekly",
        "latest_daily",
        "latest_release",
        "r29_2_0",
        "r170",
        "w_2026_48",
    ]
    for image in doc["images"]:
        assert image["digest"] == seeded.digests[image["tag"]]
        assert set(image) == {"tag", "digest", "class", "display_name", "recommended"}

    written = run_cli(str(env_file), "--write", "--json")
    assert written.returncode == 0, written.stderr
    lock = env_file.parent / "images" / "stable.json"
    assert lock.exists() and "wrote" in written.stderr

    from sciplat.config import load_environment
    from sciplat.images.lock import hub_images_for_render

    images, warnings = hub_images_for_render(load_environment(env_file))
    assert warnings == []
    assert images[0]["digest"] == seeded.digests["w_2026_46"]
    assert images[0]["registry"] == seeded.registry.host
    assert all(i["digest"] == seeded.digests[i["tag"]] for i in images)

    # and render puts exactly that set, pinned by digest, into the hub's inputs
    from sciplat.render import prepare

    _, _, tfvars, render_warnings = prepare(env_file)
    assert tfvars["hub"]["images"] == images
    assert not [w for w in render_warnings if "image" in w]


def test_cli_errors_are_one_line_and_exit_codes(seeded: Seeded, env_file: Path) -> None:
    missing = run_cli("--registry", seeded.registry.url, "--repository", "no-such-repo")
    assert missing.returncode == 3
    assert "not found" in missing.stderr and "Traceback" not in missing.stderr
    usage = run_cli("--registry", seeded.registry.url)
    assert usage.returncode == 2 and "--repository" in usage.stderr
    no_env = run_cli("--registry", seeded.registry.url, "--repository", REPO, "--write")
    assert no_env.returncode == 2 and "needs ENV" in no_env.stderr
    moved = run_cli(str(env_file), "--write", "--repository", "elsewhere/lab")
    assert moved.returncode == 2 and "--repository" in moved.stderr
    unreachable = run_cli(str(env_file), "--write", "--registry", "127.0.0.1:1")
    assert unreachable.returncode == 2
    lock = env_file.parent / "images" / "stable.json"
    assert not lock.exists()  # nothing written on error
    gone = run_cli(str(env_file), "--write", "--recommended-tag", "no_such_alias")
    assert gone.returncode == 2 and "no default" in gone.stderr
    assert not lock.exists()


def test_cli_lock_that_cannot_be_written_is_one_line(seeded: Seeded, env_file: Path) -> None:
    (env_file.parent / "images").write_text("a file where the lock directory should be")
    result = subprocess.run(
        [sys.executable, "-m", "sciplat.cli", "images", "env/stable.yaml", "--write"],
        capture_output=True,
        text=True,
        env={**os.environ, "DOCKER_CONFIG": str(ROOT / "nonexistent")},
        cwd=env_file.parent.parent,
        timeout=120,
    )
    assert result.returncode == 2
    assert "images: cannot write env/images/stable.json:" in result.stderr
    assert "Traceback" not in result.stderr


def test_forbidden_and_persistent_timeouts_are_clear(proxy: tuple[str, ProxyState]) -> None:
    url, state = proxy
    state.faults = [Fault("/tags/list", "403", 1)]
    with client(url) as c, pytest.raises(RegistryError, match=r"denied \(HTTP 403\)"):
        c.list_tags(REPO)
    assert len(state.requests("/tags/list")) == 1  # a 403 is not retried

    state.faults = [Fault("/manifests/w_2026_47$", "delay:0.6", 10)]
    with client(url, timeout=0.2, retries=1) as c, pytest.raises(RegistryError) as info:
        c.digest(REPO, "w_2026_47")
    assert "timed out after 2 attempts" in str(info.value)


def test_redirects_are_followed(proxy: tuple[str, ProxyState], seeded: Seeded) -> None:
    url, state = proxy
    state.faults = [Fault("/manifests/moved$", f"redirect:/v2/{REPO}/manifests/w_2026_47")]
    with client(url) as c:
        assert c.digest(REPO, "moved") == seeded.digests["w_2026_47"]
    assert state.requests("/manifests/w_2026_47$")
