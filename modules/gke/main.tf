# A private GKE cluster with a DNS-based control-plane endpoint (IAM-authorized: Terraform, CI and
# operators reach it from anywhere with a Google token that holds container.clusters.connect) and
# an IP endpoint restricted to the authorized networks, a `core` pool for the Hub, the proxy and
# system pods, and one or more `user` pools for labs, all running as a least-privilege service
# account.

locals {
  location = var.regional_cluster ? var.region : var.zones[0]

  # The Hub chart's node-purpose conventions: user pods prefer (and we require) these nodes.
  user_label = { "hub.jupyter.org/node-purpose" = "user" }
  core_label = { "hub.jupyter.org/node-purpose" = "core" }

  node_roles = [
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/artifactregistry.reader",
  ]

  user_pools  = { for p in var.user_pools : p.name => p }
  extra_pools = { for p in var.extra_pools : p.name => p }
}

resource "google_service_account" "nodes" {
  project      = var.project_id
  account_id   = trimsuffix(substr("${var.name}-nodes", 0, 30), "-")
  display_name = "GKE nodes of ${var.name}"
  description  = "Least-privilege identity of the nodes: logs, metrics, image pulls."
}

resource "google_project_iam_member" "nodes" {
  for_each = toset(local.node_roles)

  project = var.project_id
  role    = each.value
  member  = google_service_account.nodes.member
}

resource "google_container_cluster" "this" {
  # checkov:skip=CKV_GCP_21: resource_labels is set from var.labels, which the scanner cannot evaluate statically.
  # checkov:skip=CKV_GCP_24: PodSecurityPolicy was removed from Kubernetes; Pod Security Admission replaces it.
  # checkov:skip=CKV_GCP_12: network policy is enforced by Dataplane V2 (datapath_provider), not the legacy Calico block.
  # checkov:skip=CKV_GCP_66: Binary Authorization would block the upstream lab images the mirror serves.
  # checkov:skip=CKV_GCP_65: RBAC through Google Groups needs a Workspace domain the platform does not own.
  project  = var.project_id
  name     = var.name
  location = local.location

  node_locations = var.regional_cluster ? var.zones : slice(var.zones, 1, length(var.zones))

  # Pools are separate resources; the default pool is created and removed at once.
  remove_default_node_pool = true
  initial_node_count       = 1

  deletion_protection = var.deletion_protection
  resource_labels     = merge({ cluster = var.name }, var.labels)

  network         = var.network_id
  subnetwork      = var.subnet_id
  networking_mode = "VPC_NATIVE"

  ip_allocation_policy {
    cluster_secondary_range_name  = var.pods_range_name
    services_secondary_range_name = var.services_range_name
  }

  datapath_provider = var.network_policy ? "ADVANCED_DATAPATH" : "LEGACY_DATAPATH"

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = false
    master_ipv4_cidr_block  = var.master_cidr

    master_global_access_config {
      enabled = false
    }
  }

  # The DNS endpoint (gke-<id>.<region>.gke.goog) is authorized by IAM, not by source address, and
  # serves a publicly trusted certificate: GitHub-hosted runners reach it without an allow-list,
  # and the Kubernetes and Helm providers use it with an access token and no cluster CA.
  control_plane_endpoints_config {
    dns_endpoint_config {
      allow_external_traffic = true
    }
  }

  master_authorized_networks_config {
    gcp_public_cidrs_access_enabled = false

    dynamic "cidr_blocks" {
      for_each = var.authorized_networks
      content {
        cidr_block   = cidr_blocks.value.cidr_block
        display_name = cidr_blocks.value.display_name
      }
    }
  }

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  release_channel {
    channel = var.release_channel
  }

  maintenance_policy {
    recurring_window {
      start_time = var.maintenance_window.start_time
      end_time   = var.maintenance_window.end_time
      recurrence = var.maintenance_window.recurrence
    }

    dynamic "maintenance_exclusion" {
      for_each = var.maintenance_exclusions
      content {
        exclusion_name = maintenance_exclusion.value.name
        start_time     = maintenance_exclusion.value.start_time
        end_time       = maintenance_exclusion.value.end_time
        exclusion_options {
          scope = maintenance_exclusion.value.scope
        }
      }
    }
  }

  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  enable_shielded_nodes       = true
  enable_legacy_abac          = false
  enable_intranode_visibility = true

  addons_config {
    http_load_balancing {
      disabled = false
    }
    gcp_filestore_csi_driver_config {
      enabled = true
    }
    gce_persistent_disk_csi_driver_config {
      enabled = true
    }
  }

  logging_config {
    enable_components = ["SYSTEM_COMPONENTS", "WORKLOADS"]
  }

  monitoring_config {
    enable_components = ["SYSTEM_COMPONENTS"]
    managed_prometheus {
      enabled = true
    }
  }

  security_posture_config {
    mode               = "BASIC"
    vulnerability_mode = "VULNERABILITY_BASIC"
  }

  # The temporary default pool must already be shielded and use the node service account.
  node_config {
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    image_type      = "COS_CONTAINERD"

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    metadata = {
      disable-legacy-endpoints = "true"
    }
  }

  lifecycle {
    # node_config describes only the removed default pool; pools are managed below.
    ignore_changes = [node_config, initial_node_count]
  }

  depends_on = [google_project_iam_member.nodes]
}

resource "google_container_node_pool" "core" {
  project  = var.project_id
  name     = "core"
  location = local.location
  cluster  = google_container_cluster.this.name

  initial_node_count = var.regional_cluster ? max(1, ceil(var.core_pool.min_nodes / length(var.zones))) : var.core_pool.min_nodes

  autoscaling {
    total_min_node_count = var.core_pool.min_nodes
    total_max_node_count = var.core_pool.max_nodes
    location_policy      = "BALANCED"
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  upgrade_settings {
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type    = var.core_pool.machine_type
    disk_type       = var.core_pool.disk_type
    disk_size_gb    = var.core_pool.disk_size_gib
    image_type      = "COS_CONTAINERD"
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    labels          = merge(var.labels, local.core_label)
    resource_labels = var.labels

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    metadata = {
      disable-legacy-endpoints = "true"
    }
  }

  lifecycle {
    # The autoscaler owns the node count: never a diff.
    ignore_changes = [initial_node_count, node_count]
  }
}

resource "google_container_node_pool" "user" {
  for_each = local.user_pools

  project  = var.project_id
  name     = each.key
  location = local.location
  cluster  = google_container_cluster.this.name

  max_pods_per_node  = each.value.max_pods_per_node
  initial_node_count = var.regional_cluster ? ceil(each.value.min_nodes / length(var.zones)) : each.value.min_nodes

  autoscaling {
    total_min_node_count = each.value.min_nodes
    total_max_node_count = each.value.max_nodes
    location_policy      = "ANY"
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  upgrade_settings {
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type    = each.value.machine_type
    disk_type       = each.value.disk_type
    disk_size_gb    = each.value.disk_size_gib
    image_type      = "COS_CONTAINERD"
    spot            = each.value.spot
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    labels          = merge(var.labels, local.user_label)
    resource_labels = var.labels

    # The Hub chart tolerates this taint on user pods only; everything else stays on core.
    taint {
      key    = "hub.jupyter.org_dedicated"
      value  = "user"
      effect = "NO_SCHEDULE"
    }

    # Local NVMe SSDs back the kubelet's ephemeral storage: the image cache and lab scratch.
    dynamic "ephemeral_storage_local_ssd_config" {
      for_each = each.value.local_ssd_count > 0 ? [each.value.local_ssd_count] : []
      content {
        local_ssd_count = ephemeral_storage_local_ssd_config.value
      }
    }

    gcfs_config {
      enabled = each.value.image_streaming
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    metadata = {
      disable-legacy-endpoints = "true"
    }
  }

  lifecycle {
    # The autoscaler owns the node count: never a diff.
    ignore_changes = [initial_node_count, node_count]
  }
}

# Pools outside core and user (node_pools.extra, the dask pool): each node carries
# sciplat.io/pool=<name>, and a dedicated pool's taint keeps everything not pinned to it away.
resource "google_container_node_pool" "extra" {
  for_each = local.extra_pools

  project  = var.project_id
  name     = each.key
  location = local.location
  cluster  = google_container_cluster.this.name

  max_pods_per_node  = each.value.max_pods_per_node
  initial_node_count = var.regional_cluster ? ceil(each.value.min_nodes / length(var.zones)) : each.value.min_nodes

  autoscaling {
    total_min_node_count = each.value.min_nodes
    total_max_node_count = each.value.max_nodes
    location_policy      = "ANY"
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  upgrade_settings {
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type    = each.value.machine_type
    disk_type       = each.value.disk_type
    disk_size_gb    = each.value.disk_size_gib
    image_type      = "COS_CONTAINERD"
    spot            = each.value.spot
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    labels          = merge(var.labels, each.value.labels)
    resource_labels = var.labels

    dynamic "taint" {
      for_each = each.value.dedicated ? [each.key] : []
      content {
        key    = "sciplat.io/dedicated"
        value  = taint.value
        effect = "NO_SCHEDULE"
      }
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    metadata = {
      disable-legacy-endpoints = "true"
    }
  }

  lifecycle {
    # The autoscaler owns the node count: never a diff.
    ignore_changes = [initial_node_count, node_count]
  }
}
