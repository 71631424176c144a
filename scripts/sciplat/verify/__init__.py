"""`sciplat verify ENV`: after an apply, prove the live platform is what the plan said.

Five checks read the live cluster and compare it with the rendered environment and its image set:

prepull    every user node holds every image of the set (`node.status.images`)
hub        hub and proxy available, the proxy on its reserved address, the release's image set
storage    the home and shared claims Bound to Retain NFS volumes on the Filestore shares
placement  hub, proxy and user scheduler on core nodes, no lab on a core node, user nodes tainted
cluster    the GKE cluster and its node pools as the tfvars say (google-cloud-container)

The check logic (`checks`) works on API-shaped dicts, so it is the same for objects read from a
server and for objects built in tests; `kube` and `gke` read them; `run` runs the checks with
their timeouts; `cli` is the command.
"""

from __future__ import annotations

CHECK_NAMES = ("prepull", "hub", "storage", "placement", "cluster")
