# Plan-level behaviour of the dask module against the kubernetes and helm providers' schemas
# (mocked). The Helm values are decoded and asserted field by field.

mock_provider "kubernetes" {}
mock_provider "helm" {}

variables {
  namespace            = "hub"
  per_user             = { max_clusters = 2, max_cores = 16, max_memory_gib = 64 }
  scheduler            = { cores = 1, memory_gib = 2 }
  worker               = { cores = 2, memory_gib = 8 }
  idle_timeout_seconds = 1800
  pool                 = { name = "dask", dedicated = true }
  mirror_prefixes = {
    "docker.io" = "us-central1-docker.pkg.dev/sciplat-test/dockerhub"
    "ghcr.io"   = "us-central1-docker.pkg.dev/sciplat-test/ghcr"
  }
}

run "release_from_the_repository" {
  command = plan

  assert {
    condition     = helm_release.gateway.chart == "dask-gateway" && helm_release.gateway.repository == "https://helm.dask.org" && helm_release.gateway.version == "2026.3.0"
    error_message = "production installs the pinned chart from its repository"
  }
  assert {
    condition     = helm_release.gateway.namespace == "hub" && helm_release.gateway.wait && helm_release.gateway.atomic
    error_message = "installed atomically beside the Hub"
  }
}

run "release_from_a_local_chart" {
  command = plan

  variables {
    chart_path = "/charts/dask-gateway"
    wait       = false
  }

  assert {
    condition     = helm_release.gateway.chart == "/charts/dask-gateway" && helm_release.gateway.repository == null
    error_message = "a local copy of the chart replaces the repository"
  }
}

run "jupyterhub_auth_placement_and_limits" {
  command = plan

  assert {
    condition     = yamldecode(helm_release.gateway.values[0]).gateway.auth == { type = "jupyterhub", jupyterhub = { apiUrl = "http://hub.hub.svc.cluster.local:8081/hub/api", apiTokenFromSecretName = "hub", apiTokenFromSecretKey = "hub.services.dask-gateway.apiToken" } }
    error_message = "the gateway checks users against the Hub with the token the Hub's chart generates"
  }
  assert {
    condition     = yamldecode(helm_release.gateway.values[0]).gateway.prefix == "/services/dask-gateway" && yamldecode(helm_release.gateway.values[0]).traefik.service.type == "ClusterIP"
    error_message = "served under the hub service's prefix, traefik not exposed outside the cluster"
  }
  assert {
    condition     = yamldecode(helm_release.gateway.values[0]).gateway.backend.worker.extraPodConfig == { nodeSelector = { "sciplat.io/pool" = "dask" }, tolerations = [{ key = "sciplat.io/dedicated", operator = "Equal", value = "dask", effect = "NoSchedule" }] }
    error_message = "workers are pinned to the dask pool and tolerate its taint"
  }
  assert {
    condition     = yamldecode(helm_release.gateway.values[0]).gateway.nodeSelector == { "hub.jupyter.org/node-purpose" = "core" }
    error_message = "the gateway itself runs on the core pool"
  }
  assert {
    condition     = strcontains(yamldecode(helm_release.gateway.values[0]).gateway.extraConfig["sciplat-limits"], "class LimitedKubeBackend(KubeBackend)") && strcontains(yamldecode(helm_release.gateway.values[0]).gateway.extraConfig["sciplat-limits"], "\"max_clusters\":2")
    error_message = "per-user limits are loaded from the gateway's extraConfig with the configured numbers"
  }
  assert {
    condition     = yamldecode(helm_release.gateway.values[0]).gateway.image.name == "us-central1-docker.pkg.dev/sciplat-test/ghcr/dask/dask-gateway-server" && yamldecode(helm_release.gateway.values[0]).traefik.image.name == "us-central1-docker.pkg.dev/sciplat-test/dockerhub/library/traefik"
    error_message = "images are pulled through the mirror"
  }
  assert {
    condition     = output.address == "http://traefik-dask-gateway.hub.svc.cluster.local/services/dask-gateway" && output.proxy_address == "gateway://traefik-dask-gateway.hub.svc.cluster.local:80"
    error_message = "addresses for labs are namespace-qualified"
  }
}
