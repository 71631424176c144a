# One root, many environments: everything below is driven by the tfvars file that
# `sciplat render ENV` writes; nothing here names an environment.

locals {
  # Every API a resource of this root or its modules calls (tests/test_tf_apis.py checks this list
  # against a table from resource type to API). serviceusage and cloudresourcemanager are not
  # here: Terraform needs them to enable the others, so they are on before the first plan
  # (docs/operations.md, "The CI identity").
  services = [
    "artifactregistry.googleapis.com",
    "billingbudgets.googleapis.com",
    "cloudscheduler.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
    "containerfilesystem.googleapis.com", # image streaming (gcfs_config on the user pools)
    "file.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "secretmanager.googleapis.com",
    "workflowexecutions.googleapis.com", # Cloud Scheduler starts the backup workflow through it
    "workflows.googleapis.com",
  ]

  # Images are pulled through the mirror when it is enabled; the hub rewrites each image whose
  # upstream it mirrors and pins it by digest when the image set knows one.
  mirror_prefixes = var.registry_mirror.enabled ? module.registry_mirror[0].prefixes : {}
}

resource "google_project_service" "apis" {
  for_each = toset(local.services)

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

module "network" {
  source = "../modules/network"

  project_id    = var.project_id
  region        = var.region
  name          = var.network.name
  subnet_cidr   = var.network.subnet_cidr
  pods_cidr     = var.network.pods_cidr
  services_cidr = var.network.services_cidr
  master_cidr   = var.network.master_cidr

  depends_on = [google_project_service.apis]
}

module "gke" {
  source = "../modules/gke"

  project_id             = var.project_id
  region                 = var.region
  zones                  = var.zones
  regional_cluster       = var.regional_cluster
  name                   = var.cluster.name
  labels                 = var.labels
  network_id             = module.network.network_id
  subnet_id              = module.network.subnet_id
  pods_range_name        = module.network.pods_range_name
  services_range_name    = module.network.services_range_name
  master_cidr            = var.network.master_cidr
  release_channel        = var.cluster.release_channel
  deletion_protection    = var.cluster.deletion_protection
  network_policy         = var.cluster.network_policy
  maintenance_window     = var.cluster.maintenance_window
  maintenance_exclusions = var.cluster.maintenance_exclusions
  authorized_networks    = var.cluster.authorized_networks
  core_pool              = var.core_pool
  user_pools             = var.user_pools
  extra_pools            = var.extra_pools
}

module "filestore" {
  source = "../modules/filestore"

  project_id   = var.project_id
  region       = var.region
  zone         = var.zones[0]
  network_name = module.network.network_name
  client_cidrs = module.network.cluster_cidrs
  node_cidrs   = [var.network.subnet_cidr]
  admin_cidrs  = var.filestore.admin_cidrs
  home         = var.filestore.home
  shared       = var.filestore.shared
  backups      = var.filestore.backups
  labels       = var.labels

  depends_on = [google_project_service.apis]
}

module "registry_mirror" {
  source = "../modules/registry-mirror"
  count  = var.registry_mirror.enabled ? 1 : 0

  project_id     = var.project_id
  region         = var.region
  upstreams      = var.registry_mirror.upstreams
  cache_gib      = var.registry_mirror.cache_gib
  reader_members = { nodes = "serviceAccount:${module.gke.node_service_account}" }
  labels         = var.labels

  depends_on = [google_project_service.apis]
}

# The cloud side of the Hub lives here, so modules/hub needs only the kubernetes and helm providers
# (and can be applied to any cluster): the OAuth client secret from Secret Manager, and a stable
# address for the proxy so the domain's DNS record survives reinstalls.
data "google_secret_manager_secret_version" "oauth" {
  count = var.hub.auth.type == "jwt" ? 0 : 1 # JWT login has no client secret

  project = var.project_id
  secret  = var.hub.auth.client_secret_secret
}

resource "google_compute_address" "proxy" {
  project      = var.project_id
  region       = var.region
  name         = "${var.hub.namespace}-proxy-${substr(sha1(var.hub.domain), 0, 8)}"
  address_type = "EXTERNAL"
  network_tier = "PREMIUM"
  labels       = var.labels
}

module "hub" {
  source = "../modules/hub"

  namespace           = var.hub.namespace
  labels              = var.labels
  domain              = var.hub.domain
  load_balancer_ip    = google_compute_address.proxy.address
  oauth_client_secret = var.hub.auth.type == "jwt" ? null : data.google_secret_manager_secret_version.oauth[0].secret_data
  chart_version       = var.hub.chart_version
  auth                = var.hub.auth
  culling             = var.hub.culling
  lab                 = var.hub.lab
  identity            = var.hub.identity
  home_soft_limit_gib = var.hub.home_soft_limit_gib
  profiles            = var.hub.profiles
  images              = var.hub.images
  mirror_prefixes     = local.mirror_prefixes
  volumes             = var.hub.volumes
  notebooks           = var.hub.notebooks
  dask                = { enabled = var.dask.enabled, release_name = var.dask.release_name }

  home_nfs = {
    server       = module.filestore.home_ip
    path         = module.filestore.home_share
    capacity_gib = module.filestore.home_capacity_gib
  }
  shared_nfs = {
    server       = module.filestore.shared_ip
    path         = module.filestore.shared_share
    capacity_gib = module.filestore.shared_capacity_gib
  }

  # Labs must be able to pull through the mirror before the Hub offers them.
  depends_on = [module.gke, module.registry_mirror]
}

# dask-gateway beside the Hub (its hub service, token and routes come from the hub release).
module "dask" {
  source = "../modules/dask"
  count  = var.dask.enabled ? 1 : 0

  namespace            = var.hub.namespace
  release_name         = var.dask.release_name
  chart_version        = var.dask.chart_version
  per_user             = var.dask.per_user
  scheduler            = var.dask.scheduler
  worker               = var.dask.worker
  idle_timeout_seconds = var.dask.idle_timeout_seconds
  pool                 = { name = var.dask.pool, dedicated = one([for p in var.extra_pools : p.dedicated if p.name == var.dask.pool]) }
  mirror_prefixes      = local.mirror_prefixes

  depends_on = [module.hub]
}

# The environment's billing budget: alerts at thresholds of the planned monthly cost.
module "budget" {
  source = "../modules/budget"
  count  = var.budget.enabled ? 1 : 0

  project_id         = var.project_id
  environment        = var.environment
  billing_account    = var.budget.billing_account
  amount_usd         = var.budget.amount_usd
  thresholds_percent = var.budget.thresholds_percent
  forecast_percent   = var.budget.forecast_percent
  notify_emails      = var.budget.notify_emails
  labels             = var.labels

  depends_on = [google_project_service.apis]
}
