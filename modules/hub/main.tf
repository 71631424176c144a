# The notebook service on the cluster: a namespace, static NFS volumes for homes and shared data,
# and the zero-to-jupyterhub release whose values come from the provider-free values submodule.

locals {
  storage_class = "sciplat-nfs"
  oauth         = var.auth.type != "jwt"
  read_secret   = local.oauth && nonsensitive(var.oauth_client_secret == null)
  client_secret = local.read_secret ? data.google_secret_manager_secret_version.oauth[0].secret_data : coalesce(var.oauth_client_secret, "unused")
  authenticator = var.auth.type == "github" ? "GitHubOAuthenticator" : "CILogonOAuthenticator"

  volumes = {
    home   = var.home_nfs
    shared = var.shared_nfs
  }
}

data "google_secret_manager_secret_version" "oauth" {
  count = local.read_secret ? 1 : 0

  project = var.project_id
  secret  = var.auth.client_secret_secret
}

# A stable address for the proxy so the domain's DNS record survives reinstalls.
resource "google_compute_address" "proxy" {
  project      = var.project_id
  region       = var.region
  name         = "${var.namespace}-proxy-${substr(sha1(var.domain), 0, 8)}"
  address_type = "EXTERNAL"
  network_tier = "PREMIUM"
  labels       = var.labels
}

module "values" {
  source = "./values"

  domain           = var.domain
  load_balancer_ip = google_compute_address.proxy.address
  auth = {
    type                 = var.auth.type
    github_organizations = var.auth.github_organizations
    cilogon_idps         = var.auth.cilogon_idps
    admin_users          = var.auth.admin_users
    client_id            = var.auth.client_id
    jwt                  = var.auth.jwt
  }
  culling             = var.culling
  lab                 = var.lab
  profiles            = var.profiles
  images              = var.images
  mirror_prefixes     = var.mirror_prefixes
  namespace           = var.namespace
  identity            = var.identity
  home_soft_limit_gib = var.home_soft_limit_gib
  usage_configmap     = local.usage_configmap
  home_nfs            = { server = var.home_nfs.server, path = var.home_nfs.path }
  shared_nfs          = { server = var.shared_nfs.server, path = var.shared_nfs.path }
  volumes             = var.volumes
  notebooks           = var.notebooks
  dask                = { enabled = var.dask.enabled, release_name = var.dask.release_name, namespace = var.namespace }
}

resource "kubernetes_namespace_v1" "hub" {
  metadata {
    name   = var.namespace
    labels = merge(var.labels, { "pod-security.kubernetes.io/enforce" = "baseline" })
  }
}

# Static NFS volumes: Filestore shares are provisioned by Terraform, not by a storage class.
resource "kubernetes_persistent_volume_v1" "nfs" {
  for_each = local.volumes

  metadata {
    name   = "${var.namespace}-${each.key}"
    labels = { "sciplat/volume" = each.key }
  }

  spec {
    capacity                         = { storage = "${each.value.capacity_gib}Gi" }
    access_modes                     = ["ReadWriteMany"]
    persistent_volume_reclaim_policy = "Retain"
    storage_class_name               = local.storage_class
    mount_options                    = ["hard", "nfsvers=3", "noatime"]

    persistent_volume_source {
      nfs {
        server = each.value.server
        path   = each.value.path
      }
    }
  }
}

resource "kubernetes_persistent_volume_claim_v1" "nfs" {
  for_each = local.volumes

  metadata {
    name      = each.key
    namespace = kubernetes_namespace_v1.hub.metadata[0].name
  }

  spec {
    access_modes       = ["ReadWriteMany"]
    storage_class_name = local.storage_class
    volume_name        = kubernetes_persistent_volume_v1.nfs[each.key].metadata[0].name

    resources {
      requests = { storage = "${each.value.capacity_gib}Gi" }
    }
  }

  wait_until_bound = true
}

resource "helm_release" "hub" {
  name       = "jupyterhub"
  namespace  = kubernetes_namespace_v1.hub.metadata[0].name
  repository = var.chart_repository
  chart      = "jupyterhub"
  version    = var.chart_version

  # First installs pull multi-GB lab images on fresh nodes; a failed upgrade rolls back.
  timeout         = var.helm_timeout_seconds
  atomic          = true
  cleanup_on_fail = true
  wait            = true
  max_history     = 10

  values = [yamlencode(module.values.values)]

  # The OAuth client secret; JWT login has none.
  set_sensitive = local.oauth ? [{
    name  = "hub.config.${local.authenticator}.client_secret"
    value = local.client_secret
  }] : []
}
