# Plan-level behaviour of the gke module against the google provider's schema (mocked: no cloud).

mock_provider "google" {
  # Computed values are known at plan time, so assertions can read them.
  override_during = plan

  mock_resource "google_service_account" {
    defaults = {
      email  = "sciplat-test-nodes@sciplat-test.iam.gserviceaccount.com"
      member = "serviceAccount:sciplat-test-nodes@sciplat-test.iam.gserviceaccount.com"
    }
  }

  # The API fills in the DNS name; the cluster's top-level `endpoint` is the IP endpoint.
  mock_resource "google_container_cluster" {
    defaults = {
      endpoint = "203.0.113.10"
      # A nested block's values are given as one object, applied to each configured block.
      control_plane_endpoints_config = {
        dns_endpoint_config = {
          endpoint = "gke-0123456789abcdef-sciplat-test.us-central1.gke.goog"
        }
      }
    }
  }
}

variables {
  project_id          = "sciplat-test"
  region              = "us-central1"
  zones               = ["us-central1-a", "us-central1-b", "us-central1-c"]
  name                = "sciplat-test"
  labels              = { environment = "test", managed-by = "sciplat" }
  network_id          = "projects/sciplat-test/global/networks/sciplat-test-vpc"
  subnet_id           = "projects/sciplat-test/regions/us-central1/subnetworks/sciplat-test-nodes"
  pods_range_name     = "pods"
  services_range_name = "services"
  master_cidr         = "172.16.0.16/28"
  release_channel     = "STABLE"
  authorized_networks = [{ cidr_block = "203.0.113.0/24", display_name = "operators" }]
  maintenance_exclusions = [{
    name       = "end-of-year"
    start_time = "2026-12-18T00:00:00Z"
    end_time   = "2027-01-04T00:00:00Z"
    scope      = "NO_MINOR_OR_NODE_UPGRADES"
  }]
  core_pool = {
    machine_type  = "e2-standard-4"
    disk_type     = "pd-balanced"
    disk_size_gib = 100
    min_nodes     = 1
    max_nodes     = 3
  }
  user_pools = [{
    name              = "user"
    machine_type      = "n2-standard-8"
    disk_type         = "pd-ssd"
    disk_size_gib     = 200
    local_ssd_count   = 1
    image_streaming   = true
    spot              = false
    max_pods_per_node = 32
    min_nodes         = 2
    max_nodes         = 14
  }]
}

run "cluster_is_private_and_hardened" {
  command = plan

  assert {
    condition     = google_container_cluster.this.private_cluster_config[0].enable_private_nodes == true
    error_message = "nodes must have private addresses only"
  }
  assert {
    condition     = google_container_cluster.this.private_cluster_config[0].master_ipv4_cidr_block == "172.16.0.16/28"
    error_message = "the control plane /28 must come from master_cidr"
  }
  assert {
    condition     = google_container_cluster.this.workload_identity_config[0].workload_pool == "sciplat-test.svc.id.goog"
    error_message = "Workload Identity must use the project's pool"
  }
  assert {
    condition     = google_container_cluster.this.enable_shielded_nodes == true
    error_message = "shielded nodes must be on"
  }
  assert {
    condition     = google_container_cluster.this.deletion_protection == true
    error_message = "the cluster must be deletion protected by default"
  }
  assert {
    condition     = google_container_cluster.this.remove_default_node_pool == true
    error_message = "the default pool must be removed (pools are separate resources)"
  }
  assert {
    condition     = google_container_cluster.this.location == "us-central1"
    error_message = "a regional cluster lives in the region"
  }
  assert {
    condition     = google_container_cluster.this.release_channel[0].channel == "STABLE"
    error_message = "release channel must come from the variable"
  }
  assert {
    condition     = google_container_cluster.this.datapath_provider == "ADVANCED_DATAPATH"
    error_message = "network policy is enforced by Dataplane V2"
  }
  assert {
    condition     = google_container_cluster.this.enable_legacy_abac == false
    error_message = "legacy ABAC must stay off"
  }
  assert {
    condition     = [for c in google_container_cluster.this.master_authorized_networks_config[0].cidr_blocks : c.cidr_block] == ["203.0.113.0/24"]
    error_message = "only the authorized networks reach the control plane"
  }
  assert {
    condition     = google_container_cluster.this.master_auth[0].client_certificate_config[0].issue_client_certificate == false
    error_message = "no client certificates"
  }
  assert {
    condition = [for e in google_container_cluster.this.maintenance_policy[0].maintenance_exclusion :
    e.exclusion_options[0].scope if e.exclusion_name == "end-of-year"] == ["NO_MINOR_OR_NODE_UPGRADES"]
    error_message = "maintenance exclusions must carry their scope"
  }
  assert {
    condition     = google_container_cluster.this.node_config[0].shielded_instance_config[0].enable_secure_boot == true
    error_message = "even the temporary default pool boots securely"
  }
}

run "control_plane_is_reached_by_dns_name_with_iam" {
  command = plan

  assert {
    condition     = google_container_cluster.this.control_plane_endpoints_config[0].dns_endpoint_config[0].allow_external_traffic == true
    error_message = "the DNS endpoint must accept traffic from outside Google Cloud (CI runners)"
  }
  assert {
    condition     = output.dns_endpoint == "gke-0123456789abcdef-sciplat-test.us-central1.gke.goog"
    error_message = "dns_endpoint is the DNS endpoint's own `endpoint` attribute"
  }
  assert {
    condition     = output.endpoint == "203.0.113.10" && output.dns_endpoint != output.endpoint
    error_message = "endpoint stays the IP endpoint, which only the authorized networks reach"
  }
  assert {
    condition     = google_container_cluster.this.master_authorized_networks_config[0].gcp_public_cidrs_access_enabled == false
    error_message = "the IP endpoint stays closed to Google's public ranges"
  }
}

run "user_pool_shape" {
  command = plan

  assert {
    condition     = google_container_node_pool.user["user"].node_config[0].disk_type == "pd-ssd"
    error_message = "user nodes boot from pd-ssd"
  }
  assert {
    condition     = google_container_node_pool.user["user"].node_config[0].disk_size_gb == 200
    error_message = "user boot disk size comes from the pool"
  }
  assert {
    condition     = google_container_node_pool.user["user"].node_config[0].ephemeral_storage_local_ssd_config[0].local_ssd_count == 1
    error_message = "local SSDs back ephemeral storage (the image cache)"
  }
  assert {
    condition     = google_container_node_pool.user["user"].node_config[0].gcfs_config[0].enabled == true
    error_message = "image streaming must be on"
  }
  assert {
    condition = anytrue([for t in google_container_node_pool.user["user"].node_config[0].taint :
    t.key == "hub.jupyter.org_dedicated" && t.value == "user" && t.effect == "NO_SCHEDULE"])
    error_message = "user nodes carry the hub.jupyter.org_dedicated=user:NoSchedule taint"
  }
  assert {
    condition     = google_container_node_pool.user["user"].node_config[0].labels["hub.jupyter.org/node-purpose"] == "user"
    error_message = "user nodes carry the node-purpose=user label"
  }
  assert {
    condition     = google_container_node_pool.user["user"].node_config[0].labels["environment"] == "test"
    error_message = "user nodes carry the environment labels"
  }
  assert {
    condition     = google_container_node_pool.user["user"].autoscaling[0].total_min_node_count == 2 && google_container_node_pool.user["user"].autoscaling[0].total_max_node_count == 14
    error_message = "autoscaling bounds are the capacity plan's totals"
  }
  assert {
    condition     = google_container_node_pool.user["user"].max_pods_per_node == 32
    error_message = "max pods per node comes from the pool"
  }
  assert {
    condition     = google_container_node_pool.user["user"].node_config[0].spot == false
    error_message = "spot follows the pool"
  }
  assert {
    condition     = google_container_node_pool.user["user"].node_config[0].workload_metadata_config[0].mode == "GKE_METADATA"
    error_message = "pods see the GKE metadata server (Workload Identity)"
  }
  assert {
    condition     = google_container_node_pool.user["user"].node_config[0].shielded_instance_config[0].enable_secure_boot == true
    error_message = "user nodes boot securely"
  }
  assert {
    condition     = google_container_node_pool.user["user"].node_config[0].service_account == "sciplat-test-nodes@sciplat-test.iam.gserviceaccount.com"
    error_message = "nodes run as the least-privilege node service account"
  }
  assert {
    condition     = google_container_node_pool.user["user"].initial_node_count == 1
    error_message = "a regional pool starts with min_nodes spread over the zones (ceil(2/3) = 1)"
  }
}

run "core_pool_shape" {
  command = plan

  assert {
    condition     = google_container_node_pool.core.node_config[0].labels["hub.jupyter.org/node-purpose"] == "core"
    error_message = "core nodes carry the node-purpose=core label"
  }
  assert {
    condition     = length(google_container_node_pool.core.node_config[0].taint) == 0
    error_message = "core nodes are not tainted"
  }
  assert {
    condition     = google_container_node_pool.core.autoscaling[0].total_min_node_count == 1 && google_container_node_pool.core.autoscaling[0].total_max_node_count == 3
    error_message = "core autoscaling bounds come from core_pool"
  }
  assert {
    condition     = google_container_node_pool.core.node_config[0].disk_type == "pd-balanced"
    error_message = "core disk type comes from core_pool"
  }
}

run "node_service_account_is_least_privilege" {
  command = plan

  assert {
    condition     = length(google_project_iam_member.nodes) == 5
    error_message = "the node service account has exactly the five node roles"
  }
  assert {
    condition     = contains(keys(google_project_iam_member.nodes), "roles/artifactregistry.reader")
    error_message = "nodes can pull from the registry mirror"
  }
  assert {
    condition     = alltrue([for m in google_project_iam_member.nodes : !contains(["roles/editor", "roles/owner"], m.role)])
    error_message = "no primitive roles for nodes"
  }
}

run "boot_disk_only_without_local_ssd" {
  command = plan

  variables {
    user_pools = [{
      name              = "user"
      machine_type      = "n2-standard-8"
      disk_type         = "pd-balanced"
      disk_size_gib     = 200
      local_ssd_count   = 0
      image_streaming   = false
      spot              = true
      max_pods_per_node = 32
      min_nodes         = 0
      max_nodes         = 4
    }]
  }

  assert {
    condition     = length(google_container_node_pool.user["user"].node_config[0].ephemeral_storage_local_ssd_config) == 0
    error_message = "local_ssd_count = 0 means the boot disk holds ephemeral storage"
  }
  assert {
    condition     = google_container_node_pool.user["user"].node_config[0].gcfs_config[0].enabled == false
    error_message = "image streaming follows the pool"
  }
  assert {
    condition     = google_container_node_pool.user["user"].node_config[0].spot == true
    error_message = "spot follows the pool"
  }
}

run "zonal_cluster_and_two_user_pools" {
  command = plan

  variables {
    regional_cluster    = false
    deletion_protection = false
    network_policy      = false
    user_pools = [
      {
        name              = "user"
        machine_type      = "n2-standard-8"
        disk_type         = "pd-ssd"
        disk_size_gib     = 200
        local_ssd_count   = 1
        image_streaming   = true
        spot              = false
        max_pods_per_node = 32
        min_nodes         = 1
        max_nodes         = 6
      },
      {
        name              = "user-large"
        machine_type      = "n2-highmem-16"
        disk_type         = "pd-ssd"
        disk_size_gib     = 200
        local_ssd_count   = 2
        image_streaming   = true
        spot              = false
        max_pods_per_node = 32
        min_nodes         = 0
        max_nodes         = 3
      },
    ]
  }

  assert {
    condition     = google_container_cluster.this.location == "us-central1-a"
    error_message = "a zonal cluster lives in zones[0]"
  }
  assert {
    condition     = toset(google_container_cluster.this.node_locations) == toset(["us-central1-b", "us-central1-c"])
    error_message = "a zonal cluster's extra node locations are the other zones"
  }
  assert {
    condition     = google_container_cluster.this.deletion_protection == false
    error_message = "deletion protection follows the variable"
  }
  assert {
    condition     = google_container_cluster.this.datapath_provider == "LEGACY_DATAPATH"
    error_message = "no Dataplane V2 without network policy"
  }
  assert {
    condition     = toset(keys(google_container_node_pool.user)) == toset(["user", "user-large"])
    error_message = "one node pool per user pool"
  }
  assert {
    condition     = google_container_node_pool.user["user-large"].node_config[0].ephemeral_storage_local_ssd_config[0].local_ssd_count == 2
    error_message = "each pool has its own local SSD count"
  }
  assert {
    condition     = google_container_node_pool.user["user"].initial_node_count == 1
    error_message = "a zonal pool starts at min_nodes"
  }
}

run "rejects_unknown_release_channel" {
  command = plan

  variables {
    release_channel = "FAST"
  }

  expect_failures = [var.release_channel]
}

run "rejects_hdd_user_pool" {
  command = plan

  variables {
    user_pools = [{
      name              = "user"
      machine_type      = "n2-standard-8"
      disk_type         = "pd-standard"
      disk_size_gib     = 200
      local_ssd_count   = 0
      image_streaming   = true
      spot              = false
      max_pods_per_node = 32
      min_nodes         = 0
      max_nodes         = 3
    }]
  }

  expect_failures = [var.user_pools]
}

run "rejects_min_nodes_above_max" {
  command = plan

  variables {
    user_pools = [{
      name              = "user"
      machine_type      = "n2-standard-8"
      disk_type         = "pd-ssd"
      disk_size_gib     = 200
      local_ssd_count   = 1
      image_streaming   = true
      spot              = false
      max_pods_per_node = 32
      min_nodes         = 5
      max_nodes         = 3
    }]
  }

  expect_failures = [var.user_pools]
}

run "rejects_world_open_control_plane" {
  command = plan

  variables {
    authorized_networks = [{ cidr_block = "0.0.0.0/0", display_name = "everyone" }]
  }

  expect_failures = [var.authorized_networks]
}

run "rejects_master_cidr_not_a_28" {
  command = plan

  variables {
    master_cidr = "172.16.0.0/24"
  }

  expect_failures = [var.master_cidr]
}

run "rejects_bad_exclusion_scope" {
  command = plan

  variables {
    maintenance_exclusions = [{
      name       = "x"
      start_time = "2026-12-18T00:00:00Z"
      end_time   = "2027-01-04T00:00:00Z"
      scope      = "NO_NODE_UPGRADES"
    }]
  }

  expect_failures = [var.maintenance_exclusions]
}

run "rejects_core_pool_without_nodes" {
  command = plan

  variables {
    core_pool = {
      machine_type  = "e2-standard-4"
      disk_type     = "pd-balanced"
      disk_size_gib = 100
      min_nodes     = 0
      max_nodes     = 3
    }
  }

  expect_failures = [var.core_pool]
}

run "extra_pools_are_pinned_by_label_and_taint" {
  command = plan

  variables {
    extra_pools = [
      { name = "viz", machine_type = "n2-highmem-8", disk_type = "pd-balanced", disk_size_gib = 100, spot = false, max_pods_per_node = 32, min_nodes = 0, max_nodes = 2, labels = { "sciplat.io/pool" = "viz", "sciplat.io/workload" = "visualisation" }, dedicated = true },
      { name = "dask", machine_type = "n2-standard-8", disk_type = "pd-balanced", disk_size_gib = 100, spot = true, max_pods_per_node = 32, min_nodes = 0, max_nodes = 5, labels = { "sciplat.io/pool" = "dask" }, dedicated = false },
    ]
  }

  assert {
    condition     = google_container_node_pool.extra["viz"].node_config[0].labels["sciplat.io/pool"] == "viz" && google_container_node_pool.extra["viz"].node_config[0].labels["sciplat.io/workload"] == "visualisation"
    error_message = "an extra pool's nodes carry sciplat.io/pool=<name> and its own labels"
  }
  assert {
    condition     = !contains(keys(google_container_node_pool.extra["viz"].node_config[0].labels), "hub.jupyter.org/node-purpose")
    error_message = "no lab is scheduled on an extra pool: it has no JupyterHub node purpose"
  }
  assert {
    condition     = [for t in google_container_node_pool.extra["viz"].node_config[0].taint : "${t.key}=${t.value}:${t.effect}"] == ["sciplat.io/dedicated=viz:NO_SCHEDULE"]
    error_message = "a dedicated pool is tainted so only pods pinned to it run there"
  }
  assert {
    condition     = length(google_container_node_pool.extra["dask"].node_config[0].taint) == 0 && google_container_node_pool.extra["dask"].node_config[0].spot == true
    error_message = "a pool that is not dedicated has no taint; spot as configured"
  }
  assert {
    condition     = google_container_node_pool.extra["dask"].autoscaling[0].total_min_node_count == 0 && google_container_node_pool.extra["dask"].autoscaling[0].total_max_node_count == 5
    error_message = "autoscaling bounds come from the plan"
  }
}

run "extra_pool_named_like_a_user_pool_is_refused" {
  command = plan

  variables {
    extra_pools = [
      { name = "user", machine_type = "n2-highmem-8", disk_type = "pd-balanced", disk_size_gib = 100, spot = false, max_pods_per_node = 32, min_nodes = 0, max_nodes = 2, labels = { "sciplat.io/pool" = "user" }, dedicated = true },
    ]
  }

  expect_failures = [var.extra_pools]
}
