# The notebook service on the cluster: a namespace, static NFS volumes for homes and shared data,
# and the zero-to-jupyterhub release whose values come from the provider-free values submodule.

locals {
  storage_class = "sciplat-nfs"
  oauth         = var.auth.type != "jwt"
  authenticator = var.auth.type == "github" ? "GitHubOAuthenticator" : "CILogonOAuthenticator"

  volumes = {
    home   = var.home_nfs
    shared = var.shared_nfs
  }

  # A local chart directory (tests, offline) or the chart repository (production).
  chart = var.chart_path == null ? "jupyterhub" : var.chart_path
}

# The proxy's auth token, generated once and kept in state. When the chart generates it instead,
# the first upgrade after an install changes the proxy's pod template, which restarts the proxy and
# drops every user's route until the hub re-adds them. Two UUIDs give 244 random bits.
resource "terraform_data" "proxy_token" {
  input = sha256("${uuid()}${uuid()}")

  lifecycle {
    ignore_changes = [input]
  }
}

module "values" {
  source = "./values"

  domain           = var.domain
  load_balancer_ip = var.load_balancer_ip
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

    # A claim on a static volume cannot be resized ("only dynamically provisioned pvc can be
    # resized"), and it need not be: it binds to the named volume whatever the volume's size, and
    # the volume's capacity (which tracks the Filestore share) is updated in place. A fixed small
    # request keeps capacity changes to the volume alone.
    resources {
      requests = { storage = "1Gi" }
    }
  }

  wait_until_bound = true
}

resource "helm_release" "hub" {
  name       = "jupyterhub"
  namespace  = kubernetes_namespace_v1.hub.metadata[0].name
  repository = var.chart_path == null ? var.chart_repository : null
  chart      = local.chart
  version    = var.chart_version

  # First installs pull multi-GB lab images on fresh nodes; a failed upgrade rolls back. Without
  # waiting (a control plane with no nodes to run pods) there is nothing to roll back to.
  timeout         = var.helm_timeout_seconds
  atomic          = var.helm_wait
  cleanup_on_fail = var.helm_wait
  wait            = var.helm_wait
  max_history     = 10

  values = [yamlencode(module.values.values)]

  # The proxy's token, and the OAuth client secret (JWT login has none).
  set_sensitive = concat(
    [{
      name  = "proxy.secretToken"
      value = terraform_data.proxy_token.output
    }],
    local.oauth ? [{
      name  = "hub.config.${local.authenticator}.client_secret"
      value = var.oauth_client_secret
    }] : [],
  )
}
