"""The Kubernetes side: connect (kubeconfig and context, or the environment's GKE cluster) and read
the objects the checks need as plain JSON (no model objects: a 500-node list stays fast)."""

from __future__ import annotations

import base64
import builtins
import contextlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import yaml

from sciplat.config import display_path
from sciplat.errors import SciplatError, UsageError
from sciplat.verify.expected import HUB_SECRET

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

EXIT_UNREACHABLE = 4


class Unreachable(SciplatError):
    """The cluster or its API cannot be reached or refuses us. Exit 4, one sentence."""

    exit_code = EXIT_UNREACHABLE


class KubeError(Exception):
    """An API answer other than success or not-found."""

    def __init__(self, status: int, reason: str, message: str = "") -> None:
        self.status = status
        self.reason = reason
        self.message = message
        detail = f": {message}" if message else ""
        super().__init__(f"{status} {reason}{detail}")


# --------------------------------------------------------------------------------------------
# Connecting


def default_kubeconfig() -> Path:
    value = os.environ.get("KUBECONFIG", "")
    first = next((p for p in value.split(os.pathsep) if p), None)
    return Path(first).expanduser() if first else Path.home() / ".kube" / "config"


def read_kubeconfig(path: Path, context: str | None) -> dict[str, Any]:
    """Read and check a kubeconfig file; every problem is one UsageError naming file and field."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise UsageError(f"{shown}: cannot read the kubeconfig ({reason})") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or "unparsable"
        raise UsageError(f"{shown}:{line}: not a kubeconfig: not valid YAML ({problem})") from None
    if not isinstance(doc, dict):
        raise UsageError(f"{shown}:1: not a kubeconfig: expected a mapping with contexts")
    contexts = [c.get("name") for c in doc.get("contexts") or [] if isinstance(c, dict)]
    if context is not None and context not in contexts:
        known = ", ".join(str(c) for c in contexts) or "none"
        raise UsageError(f"{shown}: --context: no context {context!r} (contexts: {known})")
    if context is None and not doc.get("current-context"):
        raise UsageError(f"{shown}: current-context: not set; pass --context")
    return doc


def client_from_kubeconfig(path: Path, context: str | None) -> tuple[ApiClient, str]:
    """An ApiClient for the kubeconfig's context, and the server address."""
    from kubernetes import client, config

    doc = read_kubeconfig(path, context)
    configuration = client.Configuration()
    try:
        config.load_kube_config_from_dict(
            doc, context=context, client_configuration=configuration, persist_config=False
        )
    except (config.ConfigException, ValueError, TypeError, KeyError) as exc:
        raise UsageError(f"{display_path(path)}: not a usable kubeconfig ({exc})") from None
    configuration.retries = 1
    if not configuration.verify_ssl:
        # The kubeconfig asks for insecure-skip-tls-verify; say nothing on every request.
        import warnings

        from urllib3.exceptions import InsecureRequestWarning

        warnings.filterwarnings("ignore", category=InsecureRequestWarning)
    return client.ApiClient(configuration), configuration.host


def client_for_cluster(endpoint: str, ca_certificate: str | None, token: str) -> ApiClient:
    """An ApiClient for a GKE control-plane endpoint and an access token: the IP endpoint with
    the cluster's CA (base64 PEM), or the DNS endpoint (publicly trusted, `ca_certificate` None).
    """
    import tempfile

    from kubernetes import client

    configuration = client.Configuration()
    configuration.host = f"https://{endpoint}"
    configuration.api_key = {"BearerToken": token}
    configuration.api_key_prefix = {"BearerToken": "Bearer"}
    if ca_certificate:
        import atexit

        with tempfile.NamedTemporaryFile("wb", suffix=".crt", delete=False) as handle:
            handle.write(base64.b64decode(ca_certificate))
        atexit.register(os.unlink, handle.name)
        configuration.ssl_ca_cert = handle.name
    configuration.retries = 1
    return client.ApiClient(configuration)


# --------------------------------------------------------------------------------------------
# Reading


class KubeReader:
    """GETs as JSON with a timeout; lists cached per reader (one reader per pass of checks)."""

    def __init__(self, api: ApiClient, namespace: str, *, timeout: float = 30.0) -> None:
        self.api = api
        self.namespace = namespace
        self.timeout = timeout
        self._cache: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @property
    def server(self) -> str:
        return str(self.api.configuration.host)

    def get(self, path: str, query: dict[str, str] | None = None) -> dict[str, Any] | None:
        """The object at `path`, or None when it does not exist (404)."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        url = self.server + path + (f"?{urlencode(query)}" if query else "")
        headers = {"Accept": "application/json", "User-Agent": "sciplat-verify"}
        self.api.update_params_for_auth(headers, [], ["BearerToken"], path, "GET", None)
        try:
            response = self.api.call_api(
                "GET", url, header_params=headers, _request_timeout=self.timeout
            )
            data = response.read()
        except ApiException as exc:  # TLS failures come back as status 0
            raise Unreachable(
                f"Cannot reach the Kubernetes API at {self.server}: {_first_line(exc.reason)}."
            ) from None
        except HTTPError as exc:
            raise Unreachable(
                f"Cannot reach the Kubernetes API at {self.server}: {_reason(exc)}."
            ) from None
        if response.status == 404:
            return None
        if response.status >= 400:
            message = ""
            with contextlib.suppress(ValueError, AttributeError):
                message = json.loads(data).get("message", "")
            raise KubeError(response.status, response.reason or "", message)
        document: dict[str, Any] = json.loads(data)
        return document

    def probe(self) -> dict[str, Any]:
        """The server's version; Unreachable (exit 4) when it is down or refuses the token."""
        try:
            version = self.get("/version")
        except KubeError as exc:
            if exc.status in (401, 403):
                raise Unreachable(
                    f"The Kubernetes API at {self.server} refused the credentials "
                    f"({exc.status} {exc.reason}): check the kubeconfig's token or "
                    "get fresh credentials for the cluster."
                ) from None
            raise Unreachable(
                f"The Kubernetes API at {self.server} answered {exc.status} {exc.reason}."
            ) from None
        return version or {}

    def _once(self, key: str, load: Callable[[], Any]) -> Any:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._cache:
                self._cache[key] = load()
            return self._cache[key]

    def list(self, path: str, *, fresh: bool = False) -> list[dict[str, Any]]:
        """Every item of a list (pages of 1000); `fresh` reads again instead of the cache."""

        def load() -> list[dict[str, Any]]:
            items: list[dict[str, Any]] = []
            query: dict[str, str] = {"limit": "1000"}
            while True:
                page = self.get(path, query) or {}
                items.extend(page.get("items") or [])
                token = (page.get("metadata") or {}).get("continue")
                if not token:
                    return items
                query = {"limit": "1000", "continue": token}

        return load() if fresh else self._once(path, load)

    def nodes(self) -> builtins.list[dict[str, Any]]:
        return self.list("/api/v1/nodes")

    def pods(self) -> builtins.list[dict[str, Any]]:
        return self.list(f"/api/v1/namespaces/{quote(self.namespace)}/pods")

    def namespaced(self, group: str, kind: str, name: str) -> dict[str, Any] | None:
        prefix = "/api/v1" if group == "" else f"/apis/{group}"
        return self.get(f"{prefix}/namespaces/{quote(self.namespace)}/{kind}/{quote(name)}")

    def volume(self, name: str) -> dict[str, Any] | None:
        return self.get(f"/api/v1/persistentvolumes/{quote(name)}")

    def hub_values(self) -> dict[str, Any] | None:
        """The chart values the hub runs with (the hub Secret's values.yaml), nothing else of
        the Secret: its other keys are credentials and are never kept or shown."""
        secret = self.namespaced("", "secrets", HUB_SECRET)
        encoded = ((secret or {}).get("data") or {}).get("values.yaml")
        if not encoded:
            return None
        try:
            values = yaml.safe_load(base64.b64decode(encoded))
        except (ValueError, yaml.YAMLError):
            return None
        return values if isinstance(values, dict) else None


def _reason(exc: BaseException) -> str:
    inner = getattr(exc, "reason", None)
    text = str(inner if inner is not None else exc)
    for marker, sentence in (
        ("Connection refused", "connection refused"),
        ("timed out", "timed out"),
        ("Name or service not known", "unknown host"),
        ("certificate verify failed", "the server's certificate is not trusted"),
    ):
        if marker in text:
            return sentence
    return _first_line(text)


def _first_line(text: object) -> str:
    lines = [line for line in str(text).splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no answer"
