"""The Google side: read the cluster and its node pools with google-cloud-container.

`--gke-endpoint URL` (or $SCIPLAT_GKE_ENDPOINT) points the client elsewhere, e.g. a private
endpoint; an `http://` endpoint is a local test server and gets anonymous credentials.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from sciplat.verify.expected import Expected
from sciplat.verify.kube import Unreachable

ENDPOINT_ENV = "SCIPLAT_GKE_ENDPOINT"
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


@dataclass
class GkeCluster:
    """The cluster and its node pools as dicts (snake_case fields, enum names)."""

    cluster: dict[str, Any]
    pools: list[dict[str, Any]]


def _credentials(endpoint: str | None) -> tuple[Any, str | None]:
    """(credentials, where they come from); anonymous for an http:// test endpoint."""
    if endpoint and endpoint.startswith("http://"):
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials(), None
    from sciplat.workflow import NO_CREDENTIALS, google_credentials

    source = google_credentials()
    if source is None:
        raise Unreachable(NO_CREDENTIALS.replace("the plan again", "verify again"))
    import google.auth
    from google.auth.exceptions import GoogleAuthError

    try:
        credentials, _ = google.auth.default(scopes=SCOPES)
    except GoogleAuthError as exc:
        raise Unreachable(f"The Google credentials from {source} cannot be used: {exc}") from None
    return credentials, source


class Gke:
    """A ClusterManager client for one environment's cluster."""

    def __init__(self, expected: Expected, *, endpoint: str | None = None, timeout: float = 30.0):
        from google.api_core.client_options import ClientOptions
        from google.cloud import container_v1

        self.expected = expected
        self.endpoint = endpoint or os.environ.get(ENDPOINT_ENV) or None
        self.timeout = timeout
        self.credentials, self.source = _credentials(self.endpoint)
        options = ClientOptions(api_endpoint=self.endpoint) if self.endpoint else None
        self.client = container_v1.ClusterManagerClient(
            credentials=self.credentials, transport="rest", client_options=options
        )
        self._types = container_v1

    @property
    def where(self) -> str:
        return self.endpoint or "the GKE API"

    def _call(self, method: Any, **kwargs: Any) -> Any:
        from google.api_core import exceptions as gexc
        from google.auth.exceptions import GoogleAuthError

        try:
            return method(**kwargs, retry=None, timeout=self.timeout)
        except gexc.NotFound:
            e = self.expected
            raise Unreachable(
                f"Cluster {e.cluster_name} does not exist in project {e.project} at "
                f"{e.location} (per the environment {e.env_name}): apply the environment first, "
                "or check gcp.project and cluster.name."
            ) from None
        except (gexc.Unauthenticated, gexc.PermissionDenied) as exc:
            raise Unreachable(
                f"{self.where} refused the Google credentials ({exc.code} "
                f"{_message(exc)}): the account needs container.clusters.get on project "
                f"{self.expected.project}."
            ) from None
        except GoogleAuthError as exc:  # a 401, and the credentials cannot be renewed
            raise Unreachable(
                f"{self.where} refused the Google credentials (401 Unauthorized) and they cannot "
                f"be refreshed ({_short(exc)}): run `gcloud auth "
                "application-default login` or check GOOGLE_APPLICATION_CREDENTIALS."
            ) from None
        except gexc.GoogleAPICallError as exc:
            raise Unreachable(f"{self.where} answered {exc.code}: {_message(exc)}.") from None
        except Exception as exc:  # transport errors: requests, urllib3, DNS, TLS
            raise Unreachable(f"Cannot reach {self.where}: {_short(exc)}.") from None

    def read(self) -> GkeCluster:
        path = self.expected.cluster_path
        cluster = self._call(self.client.get_cluster, name=path)
        pools = self._call(self.client.list_node_pools, parent=path)
        to_dict = self._types.Cluster.to_dict
        pool_dict = self._types.NodePool.to_dict
        return GkeCluster(
            cluster=to_dict(cluster, use_integers_for_enums=False),
            pools=[pool_dict(p, use_integers_for_enums=False) for p in pools.node_pools],
        )


def _message(exc: Any) -> str:
    return str(getattr(exc, "message", "") or exc).splitlines()[0]


def _short(exc: BaseException) -> str:
    text = str(exc)
    for marker, sentence in (
        ("Connection refused", "connection refused"),
        ("timed out", "timed out"),
        ("Name or service not known", "unknown host"),
    ):
        if marker in text:
            return sentence
    return text.splitlines()[0].rstrip(".") if text else type(exc).__name__
