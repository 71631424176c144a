"""Per-user limits for dask-gateway's Kubernetes backend, loaded from the gateway's extraConfig.

The Kubernetes backend caps each cluster (`ClusterConfig.cluster_max_cores`, `..._memory`,
`..._workers`) but has no per-user count of clusters; `LimitedKubeBackend` refuses a new cluster
when the user already has `max_clusters_per_user` pending or running, with a message the client
shows. Dask pods run in the gateway's namespace, outside the users' quotas, so these limits are
what bounds a user's Dask.

The gateway runs this file with `c` (its config) defined and `SCIPLAT_DASK` set to the settings
(see modules/dask); tests import it and call `configure` themselves.
"""

from typing import Any

from dask_gateway_server.backends.base import PublicException
from dask_gateway_server.backends.kubernetes import KubeBackend
from traitlets import Integer


class LimitedKubeBackend(KubeBackend):
    """KubeBackend that allows each user at most `max_clusters_per_user` active clusters."""

    max_clusters_per_user = Integer(
        0, config=True, help="Pending or running clusters one user may have; 0 = no limit."
    )

    async def start_cluster(self, user: Any, cluster_options: Any) -> str:
        if self.max_clusters_per_user:
            active = await self.list_clusters(username=user.name)
            if len(active) >= self.max_clusters_per_user:
                raise PublicException(
                    f"User {user.name} already has {len(active)} active Dask clusters, the most "
                    f"allowed is {self.max_clusters_per_user}; shut one down first"
                )
        return await super().start_cluster(user, cluster_options)


def configure(c: Any, settings: dict[str, Any]) -> None:
    """Per-cluster caps from the per-user limits, idle shutdown and the per-user cluster count."""
    c.DaskGateway.backend_class = LimitedKubeBackend
    limits = settings["per_user"]
    c.LimitedKubeBackend.max_clusters_per_user = int(limits["max_clusters"])
    c.ClusterConfig.cluster_max_cores = float(limits["max_cores"])
    c.ClusterConfig.cluster_max_memory = f"{int(limits['max_memory_gib'] * 1024)} M"
    c.ClusterConfig.idle_timeout = float(settings["idle_timeout_seconds"])


if "c" in globals() and "SCIPLAT_DASK" in globals():
    configure(c, SCIPLAT_DASK)  # type: ignore[name-defined]  # noqa: F821
