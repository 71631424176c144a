# Run once per shipped environment with its rendered tfvars:
#   terraform test -test-directory=tests/environments -var-file=<env>.tfvars.json
# (`sciplat tf-test` does this for every env/*.yaml). No variables are set here: every value
# comes from the environment, so each run checks that environment's plan.

mock_provider "google" {}
mock_provider "kubernetes" {}
mock_provider "helm" {}

# The whole root plans for this environment, and its wiring holds.
run "root_plans" {
  command = plan

  assert {
    condition     = output.cluster_name == var.cluster.name
    error_message = "the cluster is named by the environment"
  }
  assert {
    condition     = module.gke.user_pool_names == [for p in var.user_pools : p.name]
    error_message = "one node pool per user pool of the environment"
  }
  assert {
    condition     = module.filestore.home_capacity_gib == var.filestore.home.capacity_gib && module.filestore.shared_capacity_gib == var.filestore.shared.capacity_gib
    error_message = "Filestore capacities are the capacity plan's"
  }
  assert {
    condition     = length(module.filestore.backup_jobs) == (var.filestore.backups.enabled ? 2 : 0)
    error_message = "backup jobs exist exactly when backups are enabled"
  }
  assert {
    condition     = length(module.registry_mirror) == (var.registry_mirror.enabled ? 1 : 0)
    error_message = "the mirror exists exactly when enabled"
  }
  assert {
    condition     = toset(keys(output.mirror_prefixes)) == toset(var.registry_mirror.enabled ? [for u in var.registry_mirror.upstreams : u.registry] : [])
    error_message = "one mirror prefix per upstream registry"
  }
  assert {
    condition     = length(output.image_refs) == length(var.hub.images)
    error_message = "the Hub offers exactly the image set"
  }
  assert {
    condition = alltrue([for i, ref in output.image_refs :
      contains(keys(output.mirror_prefixes), var.hub.images[i].registry)
      ? startswith(ref, output.mirror_prefixes[var.hub.images[i].registry])
    : startswith(ref, var.hub.images[i].registry)])
    error_message = "mirrored images are pulled through the mirror"
  }
  assert {
    condition     = output.hub_url == "https://${var.hub.domain}/" && module.hub.namespace == var.hub.namespace
    error_message = "the Hub is served on the environment's domain and namespace"
  }
  assert {
    condition     = contains(keys(google_project_service.apis), "container.googleapis.com") && alltrue([for s in google_project_service.apis : s.disable_on_destroy == false])
    error_message = "the APIs are enabled and never disabled on destroy"
  }
}

# The gke module with this environment's values: the pools match the capacity plan.
run "gke_matches_the_capacity_plan" {
  command = plan

  module {
    source = "../modules/gke"
  }

  variables {
    project_id             = var.project_id
    region                 = var.region
    zones                  = var.zones
    regional_cluster       = var.regional_cluster
    name                   = var.cluster.name
    labels                 = var.labels
    network_id             = "projects/${var.project_id}/global/networks/${var.network.name}"
    subnet_id              = "projects/${var.project_id}/regions/${var.region}/subnetworks/${var.network.name}-nodes"
    pods_range_name        = "${var.network.name}-pods"
    services_range_name    = "${var.network.name}-services"
    master_cidr            = var.network.master_cidr
    release_channel        = var.cluster.release_channel
    deletion_protection    = var.cluster.deletion_protection
    network_policy         = var.cluster.network_policy
    maintenance_window     = var.cluster.maintenance_window
    maintenance_exclusions = var.cluster.maintenance_exclusions
    authorized_networks    = var.cluster.authorized_networks
    core_pool              = var.core_pool
    user_pools             = var.user_pools
  }

  assert {
    condition = alltrue([for p in var.user_pools :
      google_container_node_pool.user[p.name].autoscaling[0].total_min_node_count == p.min_nodes &&
    google_container_node_pool.user[p.name].autoscaling[0].total_max_node_count == p.max_nodes])
    error_message = "user pool autoscaling bounds equal the capacity plan"
  }
  assert {
    condition = alltrue([for p in var.user_pools :
      google_container_node_pool.user[p.name].node_config[0].disk_type == p.disk_type &&
    contains(["pd-ssd", "pd-balanced"], p.disk_type)])
    error_message = "user nodes boot from SSD-backed disks"
  }
  assert {
    condition = alltrue([for p in var.user_pools :
    length(google_container_node_pool.user[p.name].node_config[0].ephemeral_storage_local_ssd_config) == (p.local_ssd_count > 0 ? 1 : 0)])
    error_message = "local SSDs back ephemeral storage exactly when the pool has them"
  }
  assert {
    condition = alltrue([for p in var.user_pools :
      google_container_node_pool.user[p.name].node_config[0].gcfs_config[0].enabled == p.image_streaming &&
    google_container_node_pool.user[p.name].node_config[0].labels["hub.jupyter.org/node-purpose"] == "user"])
    error_message = "image streaming and the user label on every user pool"
  }
  assert {
    condition = alltrue([for p in var.user_pools : anytrue([for t in google_container_node_pool.user[p.name].node_config[0].taint :
    t.key == "hub.jupyter.org_dedicated" && t.value == "user" && t.effect == "NO_SCHEDULE"])])
    error_message = "every user pool carries the user taint"
  }
  assert {
    condition     = google_container_node_pool.core.autoscaling[0].total_min_node_count == var.core_pool.min_nodes && google_container_node_pool.core.autoscaling[0].total_max_node_count == var.core_pool.max_nodes
    error_message = "core pool bounds equal the plan"
  }
  assert {
    condition     = google_container_cluster.this.private_cluster_config[0].enable_private_nodes && google_container_cluster.this.enable_shielded_nodes && google_container_cluster.this.workload_identity_config[0].workload_pool == "${var.project_id}.svc.id.goog"
    error_message = "private nodes, shielded nodes and Workload Identity in every environment"
  }
  assert {
    condition     = google_container_cluster.this.deletion_protection == var.cluster.deletion_protection
    error_message = "deletion protection as the environment says"
  }
}

# The filestore module with this environment's values.
run "filestore_matches_the_capacity_plan" {
  command = plan

  module {
    source = "../modules/filestore"
  }

  variables {
    project_id   = var.project_id
    region       = var.region
    zone         = var.zones[0]
    network_name = var.network.name
    client_cidrs = [var.network.subnet_cidr, var.network.pods_cidr, var.network.services_cidr]
    node_cidrs   = [var.network.subnet_cidr]
    admin_cidrs  = var.filestore.admin_cidrs
    home         = var.filestore.home
    shared       = var.filestore.shared
    backups      = var.filestore.backups
    labels       = var.labels
  }

  assert {
    condition     = google_filestore_instance.home.tier == var.filestore.home.tier && google_filestore_instance.home.file_shares[0].capacity_gb == var.filestore.home.capacity_gib
    error_message = "home tier and capacity from the capacity plan"
  }
  assert {
    condition     = google_filestore_instance.home.deletion_protection_enabled && google_filestore_instance.shared.deletion_protection_enabled
    error_message = "Filestore is deletion protected in every environment"
  }
}

# The hub module with this environment's values: the rendered Helm values.
run "hub_values_match_the_environment" {
  command = plan

  module {
    source = "../modules/hub"
  }

  variables {
    namespace           = var.hub.namespace
    load_balancer_ip    = "203.0.113.10"
    oauth_client_secret = "not-a-secret"
    labels              = var.labels
    domain              = var.hub.domain
    chart_version       = var.hub.chart_version
    auth                = var.hub.auth
    culling             = var.hub.culling
    lab                 = var.hub.lab
    identity            = var.hub.identity
    home_soft_limit_gib = var.hub.home_soft_limit_gib
    profiles            = var.hub.profiles
    images              = var.hub.images
    mirror_prefixes     = {}
    home_nfs            = { server = "10.0.0.2", path = "/${var.filestore.home.share_name}", capacity_gib = var.filestore.home.capacity_gib }
    shared_nfs          = { server = "10.0.0.3", path = "/${var.filestore.shared.share_name}", capacity_gib = var.filestore.shared.capacity_gib }
  }

  assert {
    condition     = [for p in yamldecode(helm_release.hub.values[0]).singleuser.profileList : p.slug] == [for p in var.hub.profiles : p.name]
    error_message = "one profile per size of the environment"
  }
  assert {
    condition     = length([for p in yamldecode(helm_release.hub.values[0]).singleuser.profileList : p if p.default]) == 1
    error_message = "exactly one default profile"
  }
  assert {
    condition     = length(yamldecode(helm_release.hub.values[0]).prePuller.extraImages) == length(var.hub.images) - 1
    error_message = "the prepuller pulls exactly the image set"
  }
  assert {
    condition     = yamldecode(helm_release.hub.values[0]).hub.config.JupyterHub.authenticator_class == var.hub.auth.type
    error_message = "the environment's authenticator"
  }
  assert {
    condition     = yamldecode(helm_release.hub.values[0]).custom.sciplat.usermodel.shared_gid == var.hub.identity.shared_gid && yamldecode(helm_release.hub.values[0]).custom.sciplat.usermodel.home_soft_limit_gib == var.hub.home_soft_limit_gib
    error_message = "the environment's shared group and home soft limit reach the hub"
  }
  assert {
    condition     = yamldecode(helm_release.hub.values[0]).singleuser.storage.type == "none" && [for v in yamldecode(helm_release.hub.values[0]).singleuser.storage.extraVolumes : v.nfs.server] == ["10.0.0.2", "10.0.0.3"]
    error_message = "homes and the shared area are NFS volumes in the lab pod (user namespaces cannot mount the hub's claims)"
  }
  assert {
    condition     = kubernetes_job_v1.prepare_shares.spec[0].template[0].spec[0].container[0].image == yamldecode(helm_release.hub.values[0]).singleuser.profileList[0].profile_options.image.choices[[for k, v in yamldecode(helm_release.hub.values[0]).singleuser.profileList[0].profile_options.image.choices : k if v.default][0]].kubespawner_override.image
    error_message = "the storage job runs the default lab image, already on every user node"
  }
  assert {
    condition     = helm_release.hub.version == var.hub.chart_version
    error_message = "the pinned chart version"
  }
}
