# dask-gateway beside the Hub (the daskhub pattern): the gateway authenticates users against the
# Hub's API with the token the Hub's chart generates for its `dask-gateway` service; the Hub's
# proxy routes /services/<release_name>/ to the gateway's traefik (a ClusterIP service), which
# serves the API and every cluster's dashboard under that prefix and proxies the schedulers'
# TCP. Schedulers and workers are pinned to the dask pool; the gateway, its controller and traefik
# to the core pool.

module "values" {
  source = "./values"

  namespace            = var.namespace
  release_name         = var.release_name
  hub_api_url          = var.hub_api_url
  hub_secret           = var.hub_secret
  per_user             = var.per_user
  scheduler            = var.scheduler
  worker               = var.worker
  idle_timeout_seconds = var.idle_timeout_seconds
  pool                 = var.pool
  core_node_selector   = var.core_node_selector
  mirror_prefixes      = var.mirror_prefixes
}

resource "helm_release" "gateway" {
  name       = var.release_name
  namespace  = var.namespace
  repository = var.chart_path == null ? var.chart_repository : null
  chart      = var.chart_path == null ? "dask-gateway" : var.chart_path
  version    = var.chart_version

  timeout         = 600
  atomic          = var.wait
  cleanup_on_fail = true
  wait            = var.wait
  max_history     = 10

  values = [yamlencode(module.values.values)]
}
