# The hub module applied to a local control plane (tests/harness/controlplane.py), exactly as the
# root module calls it (terraform/main.tf, module "hub"), with what the cloud would provide made
# local: the cluster is reached through a kubeconfig, the chart comes from a local directory, the
# Filestore addresses are documentation addresses (no kubelet mounts anything), and Helm does not
# wait for pods (nothing runs them). Driven by tests/harness/hub.py (`make hub-local ENV=...`).
# Keep the module arguments in step with terraform/main.tf.

terraform {
  required_version = ">= 1.9"

  backend "local" {}

  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "3.2.1"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "3.1.2"
    }
  }
}

variable "kubeconfig" {
  description = "Path of the local control plane's kubeconfig."
  type        = string
}

variable "chart_path" {
  description = "Directory of the zero-to-jupyterhub chart as released."
  type        = string
}

variable "hub" {
  description = "The rendered environment's hub object (build/ENV/terraform.tfvars.json)."
  type        = any
}

variable "dask" {
  description = "The rendered environment's dask object (only enabled and release_name are used here)."
  type        = any
}

variable "labels" {
  description = "The rendered environment's labels."
  type        = map(string)
}

variable "mirror_prefixes" {
  description = "Registry mirror prefix per upstream host, as the root builds them."
  type        = map(string)
}

variable "home_nfs" {
  description = "The home share as the filestore module would output it."
  type = object({
    server       = string
    path         = string
    capacity_gib = number
  })
}

variable "shared_nfs" {
  description = "The shared share as the filestore module would output it."
  type = object({
    server       = string
    path         = string
    capacity_gib = number
  })
}

provider "kubernetes" {
  config_path = var.kubeconfig
}

provider "helm" {
  kubernetes = {
    config_path = var.kubeconfig
  }
}

module "hub" {
  source = "../../../modules/hub"

  namespace           = var.hub.namespace
  labels              = var.labels
  domain              = var.hub.domain
  load_balancer_ip    = "203.0.113.10"
  oauth_client_secret = var.hub.auth.type == "jwt" ? null : "local-control-plane-not-a-secret"
  chart_path          = var.chart_path
  chart_version       = var.hub.chart_version
  helm_wait           = false
  storage_jobs        = { wait = false, usage_schedule = "17 4 * * *", history = 60 }
  auth                = var.hub.auth
  culling             = var.hub.culling
  lab                 = var.hub.lab
  identity            = var.hub.identity
  home_soft_limit_gib = var.hub.home_soft_limit_gib
  profiles            = var.hub.profiles
  images              = var.hub.images
  mirror_prefixes     = var.mirror_prefixes
  volumes             = var.hub.volumes
  notebooks           = var.hub.notebooks
  dask                = { enabled = var.dask.enabled, release_name = var.dask.release_name }
  home_nfs            = var.home_nfs
  shared_nfs          = var.shared_nfs
}

variable "extra_pools" {
  description = "The rendered environment's extra pools (whether the dask pool is tainted)."
  type        = any
  default     = []
}

variable "dask_chart_path" {
  description = "Directory of the dask-gateway chart as released."
  type        = string
  default     = null
}

# dask-gateway beside the Hub, exactly as terraform/main.tf calls it, from the released chart and
# without waiting for pods (nothing runs them).
module "dask" {
  source = "../../../modules/dask"
  count  = var.dask.enabled ? 1 : 0

  namespace            = module.hub.namespace
  release_name         = var.dask.release_name
  chart_path           = var.dask_chart_path
  chart_version        = var.dask.chart_version
  wait                 = false
  per_user             = var.dask.per_user
  scheduler            = var.dask.scheduler
  worker               = var.dask.worker
  idle_timeout_seconds = var.dask.idle_timeout_seconds
  pool                 = { name = var.dask.pool, dedicated = one([for p in var.extra_pools : p.dedicated if p.name == var.dask.pool]) }
  mirror_prefixes      = var.mirror_prefixes

  depends_on = [module.hub]
}

output "dask" {
  description = "The dask-gateway release (name, namespace, chart, version), or null without Dask."
  value       = length(module.dask) > 0 ? module.dask[0].release : null
}

output "namespace" {
  description = "Namespace of the Hub."
  value       = module.hub.namespace
}

output "release" {
  description = "Helm release and chart version."
  value       = module.hub.release
}

output "image_refs" {
  description = "The image set as the labs and the puller use it."
  value       = module.hub.image_refs
}
