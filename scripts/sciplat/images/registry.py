"""A client for the Docker Registry HTTP API v2: tags, digests, auth, retries.

Works with any registry that speaks the v2 API (Artifact Registry, Docker Hub, Quay, GHCR, the
open-source ``registry``). Host knowledge (which API host serves ``docker.io``) lives only in
:data:`API_HOSTS`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import random
import re
import ssl
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock

import httpx

from sciplat.errors import SciplatError

# The one place that knows registry hosts whose API lives elsewhere, and their conventions.
API_HOSTS: Mapping[str, str] = {
    "docker.io": "registry-1.docker.io",
    "index.docker.io": "registry-1.docker.io",
}
# Docker Hub puts single-name repositories under "library/"; credentials are filed under this key.
DOCKER_HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
DOCKER_HUB_CONFIG_KEY = "https://index.docker.io/v1/"

MANIFEST_MEDIA_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_REDIRECTS = 5
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")
# What a registry may send us: beyond these, it is broken or hostile, and the scan stops.
MAX_RESPONSE_BYTES = 8 << 20  # one tag page, token or manifest
MAX_TAGS = 200_000
SCAN_DEADLINE = 600.0  # seconds for everything one client does
DIGEST = re.compile(r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}")
_HASHES = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL, the port made explicit: what credentials are tied to."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or (443 if scheme == "https" else 80)


def is_loopback(host: str) -> bool:
    return host.strip("[]") in ("localhost", "127.0.0.1", "::1")


class RegistryError(SciplatError):
    """The registry refused or failed a request; the message says which and why. Exit 3."""

    exit_code = 3


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


def api_base_url(registry: str) -> str:
    """``docker.io`` -> ``https://registry-1.docker.io``; loopback hosts default to http.

    A value with a scheme (``http://127.0.0.1:5000``) is used as given.
    """
    registry = registry.strip().rstrip("/")
    if not registry:
        raise SciplatError("registry: empty registry host", exit_code=2)
    if "://" in registry:
        parsed = urllib.parse.urlsplit(registry)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise SciplatError(f"registry: not an http(s) URL: {registry}", exit_code=2)
        return f"{parsed.scheme}://{parsed.netloc}"
    host = API_HOSTS.get(registry, registry)
    hostname = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    scheme = "http" if hostname in LOOPBACK_HOSTS else "https"
    return f"{scheme}://{host}"


def registry_host(registry: str) -> str:
    """The host[:port] part of a registry given as a host or a URL."""
    if "://" in registry:
        return urllib.parse.urlsplit(registry).netloc
    return registry.strip().rstrip("/")


def normalize_repository(registry: str, repository: str) -> str:
    repository = repository.strip().strip("/")
    if registry_host(registry) in DOCKER_HUB_HOSTS and "/" not in repository:
        return f"library/{repository}"
    return repository


def _docker_config_path() -> Path:
    base = os.environ.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"


def _credential_helper(helper: str, server: str) -> Credentials | None:
    try:
        proc = subprocess.run(
            [f"docker-credential-{helper}", "get"],
            input=server,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    try:
        data = json.loads(proc.stdout)
        return Credentials(str(data["Username"]), str(data["Secret"]))
    except (ValueError, KeyError, TypeError):
        return None


def load_credentials(registry: str, config_path: Path | None = None) -> Credentials | None:
    """Credentials for ``registry``: SCIPLAT_REGISTRY_USERNAME/_PASSWORD, else the Docker config.

    The Docker config file (``$DOCKER_CONFIG/config.json`` or ``~/.docker/config.json``) is read
    the way docker does: ``credHelpers`` for the host, then ``auths`` (base64 ``auth`` or
    ``username``/``password``), then ``credsStore``.
    """
    user = os.environ.get("SCIPLAT_REGISTRY_USERNAME")
    password = os.environ.get("SCIPLAT_REGISTRY_PASSWORD")
    if user and password is not None:
        return Credentials(user, password)
    path = config_path or _docker_config_path()
    try:
        config = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(config, dict):
        return None
    host = registry_host(registry)
    keys = [host, f"https://{host}", f"http://{host}"]
    if host in DOCKER_HUB_HOSTS:
        keys = [DOCKER_HUB_CONFIG_KEY, *sorted(DOCKER_HUB_HOSTS), *keys]
    helpers = config.get("credHelpers") or {}
    for key in keys:
        if isinstance(helpers, dict) and isinstance(helpers.get(key), str):
            found = _credential_helper(helpers[key], key)
            if found:
                return found
    auths = config.get("auths") or {}
    for key in keys:
        entry = auths.get(key) if isinstance(auths, dict) else None
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("auth"), str) and entry["auth"]:
            try:
                user_, _, password_ = base64.b64decode(entry["auth"]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                continue
            return Credentials(user_, password_)
        if isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
            return Credentials(entry["username"], entry["password"])
    store = config.get("credsStore")
    if isinstance(store, str) and store:
        return _credential_helper(store, keys[0])
    return None


def verified_digest(header: str | None, body: bytes, what: str) -> str:
    """The digest of a manifest: computed from its bytes; a header that is malformed or says
    otherwise is an error (a registry, proxy or cache serving something else)."""
    if not body:
        raise RegistryError(f"{what}: the registry sent an empty manifest")
    if header is None or not header.strip():
        return "sha256:" + hashlib.sha256(body).hexdigest()
    claimed = header.strip()
    if not DIGEST.fullmatch(claimed):
        raise RegistryError(
            f"{what}: malformed Docker-Content-Digest {claimed[:80]!r}; refusing the manifest"
        )
    algorithm, _, _hex = claimed.partition(":")
    actual = f"{algorithm}:{_HASHES[algorithm](body).hexdigest()}"
    if actual != claimed:
        raise RegistryError(
            f"{what}: the registry says {claimed} but sent a manifest whose digest is {actual}; "
            "refusing it"
        )
    return claimed


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """Split a WWW-Authenticate header into its scheme and parameters.

    ``Bearer realm="https://a/token",service="x",scope="repository:r:pull"``
    -> ``("bearer", {"realm": ..., "service": ..., "scope": ...})``.
    """
    scheme, _, rest = header.strip().partition(" ")
    params: dict[str, str] = {}
    i, n = 0, len(rest)
    while i < n:
        while i < n and rest[i] in " ,":
            i += 1
        eq = rest.find("=", i)
        if eq < 0:
            break
        key = rest[i:eq].strip().lower()
        i = eq + 1
        if i < n and rest[i] == '"':
            j = i + 1
            value_chars: list[str] = []
            while j < n and rest[j] != '"':
                if rest[j] == "\\" and j + 1 < n:
                    j += 1
                value_chars.append(rest[j])
                j += 1
            value = "".join(value_chars)
            i = j + 1
        else:
            j = rest.find(",", i)
            j = n if j < 0 else j
            value = rest[i:j].strip()
            i = j
        params[key] = value
    return scheme.lower(), params


def _next_link(header: str | None) -> str | None:
    """The target of ``rel="next"`` in a Link header, or None."""
    if not header:
        return None
    for part in header.split(","):
        segs = part.split(";")
        target = segs[0].strip()
        if not (target.startswith("<") and target.endswith(">")):
            continue
        for seg in segs[1:]:
            name, _, value = seg.strip().partition("=")
            if name.strip().lower() == "rel" and "next" in value.strip().strip('"').split():
                return target[1:-1]
    return None


@functools.cache
def _verified_tls() -> ssl.SSLContext:
    """The verifying TLS context (httpx's CA bundle), built once per process."""
    return httpx.create_ssl_context()


@functools.cache
def _no_tls() -> ssl.SSLContext:
    """For the plain-http client: a context that trusts nothing (fails closed if ever used)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


@dataclass
class RegistryClient:
    """Talks to one registry. Thread-safe: digest lookups run concurrently.

    ``registry`` is a host (``docker.io``, ``us-docker.pkg.dev``, ``127.0.0.1:5000``) or a URL.
    """

    registry: str
    credentials: Credentials | None = None
    timeout: float = 30.0
    retries: int = 4
    backoff: float = 0.25
    max_backoff: float = 8.0
    page_size: int = 1000
    max_pages: int = 10_000
    workers: int = 8
    use_docker_config: bool = True
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    max_response_bytes: int = MAX_RESPONSE_BYTES
    max_tags: int = MAX_TAGS
    deadline: float = SCAN_DEADLINE
    transport: httpx.BaseTransport | None = None  # another way to reach the network (tests)
    _tokens: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _scheme: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _lock: Lock = field(default_factory=Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.base_url = api_base_url(self.registry)
        self._origin = origin(self.base_url)
        self._ends_at = self.clock() + self.deadline
        if self.credentials is None and self.use_docker_config:
            self.credentials = load_credentials(self.registry)
        self._clients: dict[str, httpx.Client] = {}

    def _client_for(self, url: str) -> httpx.Client:
        """One pooled client per scheme, made on first use.

        Loading the CA bundle costs more than listing thousands of tags on a nearby registry,
        so it is loaded once per process and only when an https URL is actually requested.
        """
        scheme = "https" if url.startswith("https:") else "http"
        with self._lock:
            client = self._clients.get(scheme)
            if client is None:
                client = httpx.Client(
                    timeout=httpx.Timeout(self.timeout),
                    follow_redirects=False,  # _send follows them with the right client
                    limits=httpx.Limits(max_connections=max(self.workers, 4)),
                    headers={"User-Agent": "sciplat-images"},
                    verify=_verified_tls() if scheme == "https" else _no_tls(),
                    transport=self.transport,
                )
                self._clients[scheme] = client
            return client

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests, retries, auth -------------------------------------------------------------

    def _where(self, repository: str) -> str:
        return f"{registry_host(self.registry)}/{repository}"

    def _auth_header(self, scope: str) -> dict[str, str]:
        with self._lock:
            scheme = self._scheme.get(scope)
            token = self._tokens.get(scope)
        if scheme == "bearer" and token:
            return {"Authorization": f"Bearer {token}"}
        if scheme == "basic" and self.credentials:
            raw = f"{self.credentials.username}:{self.credentials.password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        return {}

    def may_send_credentials(self, url: str, realm: bool = False) -> bool:
        """Credentials go to the registry's own origin (scheme, host and port), or, for a token
        request (`realm`), to a token service over HTTPS; plain HTTP only between loopback
        hosts (a test registry). Never to another host in clear, never after a downgrade."""
        target = origin(url)
        if target == self._origin:
            return True
        if not realm:
            return False
        if target[0] == "https":
            return True
        return target[0] == "http" and is_loopback(target[1]) and is_loopback(self._origin[1])

    def _remaining(self, what: str) -> float:
        left = self._ends_at - self.clock()
        if left <= 0:
            raise RegistryError(
                f"{what}: gave up, the registry scan took longer than {self.deadline:g} s"
            )
        return left

    def _fetch(
        self, method: str, url: str, headers: Mapping[str, str], what: str
    ) -> httpx.Response:
        """One request; the body is read up to `max_response_bytes`, then refused."""
        timeout = min(self.timeout, self._remaining(what))
        client = self._client_for(url)
        request = client.build_request(
            method, url, headers=dict(headers), timeout=httpx.Timeout(timeout)
        )
        response = client.send(request, stream=True)
        try:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_response_bytes:
                raise RegistryError(
                    f"{what}: {url} answered {int(declared):,} bytes; refusing more than "
                    f"{self.max_response_bytes:,}"
                )
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.max_response_bytes:
                    raise RegistryError(
                        f"{what}: {url} sent more than {self.max_response_bytes:,} bytes; refusing"
                    )
                self._remaining(what)
        finally:
            response.close()
        return httpx.Response(
            response.status_code, headers=response.headers, content=bytes(body), request=request
        )

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        what: str,
        realm: bool = False,
    ) -> httpx.Response:
        """One request with retries on 429/5xx, timeouts and dropped connections.

        An Authorization header goes only where `may_send_credentials` allows, checked again
        for every redirect; a redirect from https to http is refused."""
        attempt = redirects = 0
        headers = dict(headers)
        while True:
            if not self.may_send_credentials(url, realm):
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            try:
                response = self._fetch(method, url, headers, what)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                if attempt >= self.retries:
                    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
                    raise RegistryError(
                        f"{what}: request to {url} {kind} after {attempt + 1} attempts ({exc})"
                    ) from None
                self.sleep(min(self._delay(attempt, None), self._remaining(what)))
                attempt += 1
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                delay = self._delay(attempt, response.headers.get("Retry-After"))
                self.sleep(min(delay, self._remaining(what)))
                attempt += 1
                continue
            location = response.headers.get("Location")
            if response.is_redirect and location and redirects < MAX_REDIRECTS:
                target = urllib.parse.urljoin(url, location)
                if url.startswith("https:") and not target.startswith("https:"):
                    raise RegistryError(f"{what}: refusing a redirect from https to {target}")
                url, redirects = target, redirects + 1
                continue
            return response

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(max(float(retry_after), 0.0), self.max_backoff)
            except ValueError:
                pass
        base = min(self.backoff * (2**attempt), self.max_backoff)
        return float(base * (0.5 + random.random() / 2))

    def _authenticate(self, challenge: str, scope: str, what: str) -> None:
        scheme, params = parse_challenge(challenge)
        if scheme == "basic":
            if not self.credentials:
                raise RegistryError(
                    f"{what}: the registry asks for a user name and password; log in with "
                    f"`docker login {registry_host(self.registry)}` or set "
                    "SCIPLAT_REGISTRY_USERNAME and SCIPLAT_REGISTRY_PASSWORD"
                )
            with self._lock:
                self._scheme[scope] = "basic"
            return
        if scheme != "bearer" or "realm" not in params:
            raise RegistryError(f"{what}: unsupported authentication challenge: {challenge}")
        query = {"service": params.get("service", "")} if params.get("service") else {}
        query["scope"] = params.get("scope") or scope
        realm = params["realm"]
        if urllib.parse.urlsplit(realm).scheme not in ("http", "https"):
            raise RegistryError(f"{what}: the token realm {realm!r} is not an http(s) URL")
        sep = "&" if "?" in realm else "?"
        url = realm + sep + urllib.parse.urlencode(query)
        headers: dict[str, str] = {}
        if self.credentials:
            if not self.may_send_credentials(url, realm=True):
                raise RegistryError(
                    f"{what}: the registry sends credentials to {realm}, over plain HTTP; "
                    "refusing (a token service must use HTTPS)"
                )
            raw = f"{self.credentials.username}:{self.credentials.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        response = self._send("GET", url, headers, what, realm=True)
        if response.status_code in (401, 403):
            raise RegistryError(
                f"{what}: the token service at {realm} refused the credentials "
                f"(HTTP {response.status_code}); check `docker login` for this registry"
            )
        if response.status_code != 200:
            raise RegistryError(
                f"{what}: the token service at {realm} answered HTTP {response.status_code}"
            )
        try:
            body = response.json()
            token = body.get("token") or body.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise RegistryError(f"{what}: the token service at {realm} returned no token")
        with self._lock:
            self._tokens[scope] = token
            self._scheme[scope] = "bearer"

    def _request(
        self, method: str, url: str, repository: str, what: str, accept: Iterable[str] = ()
    ) -> httpx.Response:
        scope = f"repository:{repository}:pull"
        headers: dict[str, str] = {}
        if accept:
            headers["Accept"] = ", ".join(accept)
        response = self._send(method, url, {**headers, **self._auth_header(scope)}, what)
        if response.status_code == 401:
            challenge = response.headers.get("WWW-Authenticate", "")
            if not challenge:
                raise RegistryError(f"{what}: HTTP 401 without an authentication challenge")
            self._authenticate(challenge, scope, what)
            response = self._send(method, url, {**headers, **self._auth_header(scope)}, what)
        return self._check(response, repository, what)

    def _check(self, response: httpx.Response, repository: str, what: str) -> httpx.Response:
        status = response.status_code
        if status < 300:
            return response
        where = self._where(repository)
        if status == 401:
            raise RegistryError(
                f"{what}: not authorized for {where} (HTTP 401); check the credentials "
                f"(`docker login {registry_host(self.registry)}` or SCIPLAT_REGISTRY_USERNAME/"
                "SCIPLAT_REGISTRY_PASSWORD)"
            )
        if status == 403:
            raise RegistryError(
                f"{what}: access to {where} denied (HTTP 403); the account lacks pull permission"
            )
        if status == 404:
            raise RegistryError(f"{what}: not found in {where} (HTTP 404)")
        if status == 429:
            raise RegistryError(f"{what}: rate limited by {where} (HTTP 429) after retries")
        raise RegistryError(f"{what}: {where} answered HTTP {status} after retries")

    # -- the API -------------------------------------------------------------------------------

    def list_tags(self, repository: str, page_size: int | None = None) -> list[str]:
        """Every tag of ``repository``, following ``Link: <...>; rel="next"`` pagination.

        Refuses a next link to another host, one already visited (a loop) and more than
        ``max_pages`` pages.
        """
        repository = normalize_repository(self.registry, repository)
        what = f"listing tags of {self._where(repository)}"
        n = page_size or self.page_size
        url = f"{self.base_url}/v2/{repository}/tags/list?" + urllib.parse.urlencode({"n": n})
        seen: set[str] = set()
        tags: list[str] = []
        while url:
            if url in seen:
                raise RegistryError(f"{what}: pagination loops back to {url}; refusing to follow")
            if len(seen) >= self.max_pages:
                raise RegistryError(f"{what}: more than {self.max_pages} pages; refusing")
            seen.add(url)
            response = self._request("GET", url, repository, what)
            try:
                body = response.json()
            except ValueError:
                raise RegistryError(f"{what}: the registry returned a non-JSON page") from None
            page = body.get("tags") if isinstance(body, dict) else None
            if page is None:
                page = []
            if not isinstance(page, list):
                raise RegistryError(f"{what}: the registry returned a malformed tag list")
            tags.extend(str(t) for t in page)
            if len(tags) > self.max_tags:
                raise RegistryError(f"{what}: more than {self.max_tags:,} tags; refusing")
            link = _next_link(response.headers.get("Link"))
            if not link:
                break
            nxt = urllib.parse.urljoin(url, link)
            if origin(nxt) != self._origin:
                raise RegistryError(
                    f"{what}: the next page points to another host or scheme ({nxt}); "
                    "refusing to follow"
                )
            url = nxt
        # A registry may repeat a tag across pages; keep the first of each.
        return list(dict.fromkeys(tags))

    def digest(self, repository: str, tag: str) -> str:
        """The content digest of ``repository:tag`` (index digest for multi-arch tags).

        The manifest itself is fetched and hashed: a ``Docker-Content-Digest`` header must be a
        well-formed digest and match the bytes received, or the registry is not believed."""
        repository = normalize_repository(self.registry, repository)
        what = f"resolving {self._where(repository)}:{tag}"
        url = f"{self.base_url}/v2/{repository}/manifests/{urllib.parse.quote(tag, safe='')}"
        response = self._request("GET", url, repository, what, accept=MANIFEST_MEDIA_TYPES)
        return verified_digest(
            response.headers.get("Docker-Content-Digest"), response.content, what
        )

    def digests(self, repository: str, tags: Iterable[str]) -> dict[str, str]:
        """Digests of ``tags`` looked up concurrently (``workers`` threads)."""
        unique = list(dict.fromkeys(tags))
        if not unique:
            return {}
        with ThreadPoolExecutor(max_workers=min(self.workers, len(unique))) as pool:
            results = list(pool.map(lambda t: self.digest(repository, t), unique))
        return dict(zip(unique, results, strict=True))
