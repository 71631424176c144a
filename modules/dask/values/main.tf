# The Helm values of the dask-gateway chart, built from typed inputs. No providers and no
# resources: tests evaluate it with the terraform binary and validate the result against the
# chart's values schema.

locals {
  api_url     = coalesce(var.hub_api_url, "http://hub.${var.namespace}.svc.cluster.local:8081/hub/api")
  prefix      = "/services/${var.release_name}"
  traefik     = "traefik-${var.release_name}"
  traefik_dns = "${local.traefik}.${var.namespace}.svc.cluster.local"

  # Images through the mirror when it mirrors their upstream (Docker Hub official images live
  # under library/).
  image = { for k, i in {
    gateway = { host = "ghcr.io", repository = "dask/dask-gateway-server" }
    backend = { host = "ghcr.io", repository = "dask/dask-gateway" }
    traefik = { host = "docker.io", repository = "library/traefik" }
  } : k => contains(keys(var.mirror_prefixes), i.host) ? "${var.mirror_prefixes[i.host]}/${i.repository}" : "${i.host}/${i.repository}" }

  on_dask_pool = {
    nodeSelector = { "sciplat.io/pool" = var.pool.name }
    tolerations = var.pool.dedicated ? [{
      key      = "sciplat.io/dedicated"
      operator = "Equal"
      value    = var.pool.name
      effect   = "NoSchedule"
    }] : []
  }

  mem = {
    scheduler = "${floor(var.scheduler.memory_gib * 1024)}M"
    worker    = "${floor(var.worker.memory_gib * 1024)}M"
  }

  settings = {
    per_user             = var.per_user
    idle_timeout_seconds = var.idle_timeout_seconds
  }

  values = {
    gateway = {
      prefix   = local.prefix
      loglevel = "INFO"
      image    = { name = local.image.gateway }
      auth = {
        type = "jupyterhub"
        jupyterhub = {
          apiUrl                 = local.api_url
          apiTokenFromSecretName = var.hub_secret.name
          apiTokenFromSecretKey  = var.hub_secret.key
        }
      }
      nodeSelector = var.core_node_selector
      resources    = { requests = { cpu = "100m", memory = "256Mi" } }
      backend = {
        image = { name = local.image.backend }
        scheduler = {
          extraPodConfig = local.on_dask_pool
          cores          = { request = var.scheduler.cores, limit = var.scheduler.cores }
          memory         = { request = local.mem.scheduler, limit = local.mem.scheduler }
        }
        worker = {
          extraPodConfig = local.on_dask_pool
          cores          = { request = var.worker.cores, limit = var.worker.cores }
          memory         = { request = local.mem.worker, limit = local.mem.worker }
          threads        = max(1, floor(var.worker.cores))
        }
      }
      extraConfig = {
        "sciplat-limits" = "SCIPLAT_DASK = ${jsonencode(local.settings)}\n${file("${path.module}/gateway/limits.py")}"
      }
    }
    controller = {
      nodeSelector = var.core_node_selector
      image        = { name = local.image.gateway }
    }
    traefik = {
      nodeSelector = var.core_node_selector
      image        = { name = local.image.traefik }
      # Reached through the Hub's proxy and from labs, never from outside the cluster.
      service = { type = "ClusterIP" }
    }
  }
}
