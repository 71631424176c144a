# Plan-level behaviour of the root module: the modules wired together for one environment,
# against the google, kubernetes and helm providers' schemas (mocked). The fixture below is a
# stable-like environment as `sciplat render` writes it; tests/environments/ runs the shipped
# environments themselves.

mock_provider "google" {}
mock_provider "kubernetes" {}
mock_provider "helm" {}

variables {
  environment      = "test"
  project_id       = "sciplat-test"
  region           = "us-central1"
  zones            = ["us-central1-a", "us-central1-b", "us-central1-c"]
  regional_cluster = true
  labels = {
    environment  = "test"
    "managed-by" = "sciplat"
  }
  network = {
    master_cidr   = "172.16.0.16/28"
    name          = "sciplat-test-vpc"
    pods_cidr     = "10.12.0.0/14"
    services_cidr = "10.10.16.0/20"
    subnet_cidr   = "10.10.0.0/20"
  }
  cluster = {
    authorized_networks = [
      {
        cidr_block   = "203.0.113.0/24"
        display_name = "operators"
      },
    ]
    deletion_protection = true
    maintenance_exclusions = [
      {
        end_time   = "2027-01-04T00:00:00Z"
        name       = "end-of-year"
        scope      = "NO_MINOR_OR_NODE_UPGRADES"
        start_time = "2026-12-18T00:00:00Z"
      },
    ]
    maintenance_window = {
      end_time   = "2026-01-03T13:00:00Z"
      recurrence = "FREQ=WEEKLY;BYDAY=SA,SU"
      start_time = "2026-01-03T07:00:00Z"
    }
    name            = "sciplat-test"
    network_policy  = true
    release_channel = "STABLE"
  }
  core_pool = {
    disk_size_gib = 100
    disk_type     = "pd-balanced"
    machine_type  = "e2-standard-4"
    max_nodes     = 3
    min_nodes     = 1
  }
  user_pools = [
    {
      disk_size_gib     = 200
      disk_type         = "pd-ssd"
      image_streaming   = true
      local_ssd_count   = 1
      machine_type      = "n2-standard-8"
      max_nodes         = 9
      max_pods_per_node = 32
      min_nodes         = 2
      name              = "user"
      spot              = false
    },
  ]
  filestore = {
    admin_cidrs = []
    backups = {
      enabled        = true
      retention_days = 14
      schedule       = "0 3 * * *"
    }
    home = {
      capacity_gib = 25000
      name         = "sciplat-test-home"
      share_name   = "home"
      tier         = "BASIC_HDD"
    }
    shared = {
      capacity_gib = 10240
      name         = "sciplat-test-shared"
      share_name   = "shared"
      tier         = "BASIC_HDD"
    }
  }
  registry_mirror = {
    cache_gib = 250
    enabled   = true
    upstreams = [
      {
        credentials_secret = null
        name               = "dockerhub"
        registry           = "docker.io"
        username           = null
      },
      {
        credentials_secret = null
        name               = "quay"
        registry           = "quay.io"
        username           = null
      },
      {
        credentials_secret = null
        name               = "ghcr"
        registry           = "ghcr.io"
        username           = null
      },
      {
        credentials_secret = null
        name               = "k8s"
        registry           = "registry.k8s.io"
        username           = null
      },
    ]
  }
  hub = {
    auth = {
      admin_users          = ["platform-admin"]
      cilogon_idps         = []
      client_id            = "sciplat-test-oauth"
      client_secret_secret = "sciplat-test-oauth-client-secret"
      github_organizations = ["sciplat-users"]
      type                 = "github"
    }
    chart_version = "4.4.0"
    culling = {
      enabled         = true
      every_seconds   = 300
      max_age_seconds = 0
      timeout_seconds = 3600
    }
    domain              = "test.sciplat.example.org"
    home_soft_limit_gib = 50
    identity = {
      shared_gid           = 2000
      reserved_ids_below   = 1000
      github_teams         = false
      cilogon_uid_claim    = "uidNumber"
      cilogon_uid_fallback = "hash"
      cilogon_groups       = []
    }
    images = [
      {
        registry     = "docker.io"
        repository   = "lsstsqre/sciplat-lab"
        tag          = "recommended"
        digest       = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
        class        = "alias"
        display_name = "Recommended"
        recommended  = true
      },
      {
        registry     = "docker.io"
        repository   = "lsstsqre/sciplat-lab"
        tag          = "w_2026_47"
        digest       = null
        class        = "weekly"
        display_name = "Weekly 2026_47"
        recommended  = false
      },
      {
        registry     = "ghcr.io"
        repository   = "sciplat/tools-lab"
        tag          = "1.2.0"
        digest       = null
        class        = "release"
        display_name = "Tools 1.2.0"
        recommended  = false
      },
    ]
    lab = {
      default_url           = "/lab"
      start_timeout_seconds = 600
      uid_gid_source        = "identity_provider"
    }
    namespace = "hub"
    profiles = [
      {
        cpu_guarantee_cores  = 0.5
        cpu_limit_cores      = 1
        default              = false
        display_name         = "Small (1 core, 3 GiB)"
        memory_guarantee_gib = 0.5
        memory_limit_gib     = 3
        name                 = "small"
      },
      {
        cpu_guarantee_cores  = 0.5
        cpu_limit_cores      = 2
        default              = true
        display_name         = "Medium (2 cores, 6 GiB)"
        memory_guarantee_gib = 0.5
        memory_limit_gib     = 6
        name                 = "medium"
      },
      {
        cpu_guarantee_cores  = 0.5
        cpu_limit_cores      = 4
        default              = false
        display_name         = "Large (4 cores, 8 GiB)"
        memory_guarantee_gib = 0.5
        memory_limit_gib     = 8
        name                 = "large"
      },
    ]
  }

  extra_pools = [
    { name = "viz", machine_type = "n2-highmem-8", disk_type = "pd-balanced", disk_size_gib = 100, spot = false, max_pods_per_node = 32, min_nodes = 0, max_nodes = 2, labels = { "sciplat.io/pool" = "viz" }, dedicated = true },
    { name = "dask", machine_type = "n2-standard-8", disk_type = "pd-balanced", disk_size_gib = 100, spot = true, max_pods_per_node = 32, min_nodes = 0, max_nodes = 5, labels = { "sciplat.io/pool" = "dask" }, dedicated = true },
  ]
  budget = {
    enabled            = true
    billing_account    = "012345-6789AB-CDEF01"
    amount_usd         = 12699
    thresholds_percent = [50, 90, 100]
    forecast_percent   = 100
    notify_emails      = ["platform-team@sciplat.example.org"]
  }
  dask = {
    enabled              = true
    chart_version        = "2026.3.0"
    release_name         = "dask-gateway"
    per_user             = { max_clusters = 2, max_cores = 16, max_memory_gib = 64 }
    scheduler            = { cores = 1, memory_gib = 2 }
    worker               = { cores = 2, memory_gib = 8 }
    idle_timeout_seconds = 1800
    pool                 = "dask"
  }
}

run "modules_are_wired" {
  command = plan

  assert {
    condition     = output.cluster_name == "sciplat-test" && module.gke.user_pool_names == ["user"]
    error_message = "the cluster and its user pool"
  }
  assert {
    condition     = module.filestore.home_capacity_gib == 25000 && module.filestore.home_share == "/home"
    error_message = "the home share is sized by the capacity plan"
  }
  assert {
    condition     = length(module.filestore.backup_jobs) == 2
    error_message = "both shares are backed up"
  }
  assert {
    condition     = output.mirror_prefixes["docker.io"] == "us-central1-docker.pkg.dev/sciplat-test/dockerhub"
    error_message = "the mirror prefix of Docker Hub"
  }
  assert {
    condition     = module.registry_mirror[0].keep_versions == 6
    error_message = "keep floor(250 / (4 upstreams x 10 GiB)) = 6 versions of each image"
  }
  assert {
    condition = output.image_refs == [
      "us-central1-docker.pkg.dev/sciplat-test/dockerhub/lsstsqre/sciplat-lab@sha256:1111111111111111111111111111111111111111111111111111111111111111",
      "us-central1-docker.pkg.dev/sciplat-test/dockerhub/lsstsqre/sciplat-lab:w_2026_47",
      "us-central1-docker.pkg.dev/sciplat-test/ghcr/sciplat/tools-lab:1.2.0",
    ]
    error_message = "images are pulled through the mirror, by digest when pinned"
  }
  assert {
    condition     = output.hub_url == "https://test.sciplat.example.org/" && module.hub.namespace == "hub"
    error_message = "the Hub's URL and namespace"
  }
  assert {
    condition     = toset(keys(google_project_service.apis)) == toset(["artifactregistry.googleapis.com", "billingbudgets.googleapis.com", "cloudscheduler.googleapis.com", "compute.googleapis.com", "container.googleapis.com", "containerfilesystem.googleapis.com", "file.googleapis.com", "iam.googleapis.com", "logging.googleapis.com", "monitoring.googleapis.com", "secretmanager.googleapis.com", "workflowexecutions.googleapis.com", "workflows.googleapis.com"])
    error_message = "exactly the APIs the platform uses"
  }
  assert {
    condition     = google_project_service.apis["containerfilesystem.googleapis.com"].disable_on_destroy == false
    error_message = "image streaming on the user pools needs the Container File System API"
  }
}

run "cluster_is_reached_by_its_dns_endpoint" {
  command = plan

  override_resource {
    target          = module.gke.google_container_cluster.this
    override_during = plan
    values = {
      endpoint = "203.0.113.10"
      # A nested block's values are given as one object, applied to each configured block.
      control_plane_endpoints_config = {
        dns_endpoint_config = {
          endpoint = "gke-0123456789abcdef-sciplat-test.us-central1.gke.goog"
        }
      }
    }
  }

  assert {
    condition     = output.cluster_dns_endpoint == "gke-0123456789abcdef-sciplat-test.us-central1.gke.goog"
    error_message = "the DNS endpoint (what the kubernetes and helm providers use) is the cluster's dns_endpoint_config endpoint"
  }
  assert {
    condition     = output.cluster_endpoint == "203.0.113.10"
    error_message = "cluster_endpoint stays the IP endpoint"
  }
}

run "without_the_mirror_images_come_from_upstream" {
  command = plan

  variables {
    registry_mirror = merge(var.registry_mirror, { enabled = false })
  }

  assert {
    condition     = length(module.registry_mirror) == 0 && output.mirror_prefixes == {}
    error_message = "no mirror when it is disabled"
  }
  assert {
    condition     = output.image_refs[1] == "docker.io/lsstsqre/sciplat-lab:w_2026_47"
    error_message = "images are pulled from their upstream"
  }
}

run "backups_off" {
  command = plan

  variables {
    filestore = merge(var.filestore, { backups = { enabled = false, schedule = "0 3 * * *", retention_days = 14 } })
  }

  assert {
    condition     = module.filestore.backup_jobs == []
    error_message = "no backup jobs when backups are off"
  }
}

run "rejects_unknown_release_channel" {
  command = plan
  variables {
    cluster = merge(var.cluster, { release_channel = "FAST" })
  }
  expect_failures = [var.cluster]
}

run "rejects_world_open_control_plane" {
  command = plan
  variables {
    cluster = merge(var.cluster, { authorized_networks = [{ cidr_block = "0.0.0.0/0", display_name = "all" }] })
  }
  expect_failures = [var.cluster]
}

run "rejects_user_pool_named_core" {
  command = plan
  variables {
    user_pools = [merge(var.user_pools[0], { name = "core" })]
  }
  expect_failures = [var.user_pools]
}

run "rejects_hdd_user_pool" {
  command = plan
  variables {
    user_pools = [merge(var.user_pools[0], { disk_type = "pd-standard" })]
  }
  expect_failures = [var.user_pools]
}

run "rejects_unknown_filestore_tier" {
  command = plan
  variables {
    filestore = merge(var.filestore, { home = merge(var.filestore.home, { tier = "STANDARD" }) })
  }
  expect_failures = [var.filestore]
}

run "rejects_duplicate_upstreams" {
  command = plan
  variables {
    registry_mirror = merge(var.registry_mirror, { upstreams = [
      { name = "dockerhub", registry = "docker.io", credentials_secret = null, username = null },
      { name = "dockerhub2", registry = "docker.io", credentials_secret = null, username = null },
    ] })
  }
  expect_failures = [var.registry_mirror]
}

run "rejects_github_auth_without_organizations" {
  command = plan
  variables {
    hub = merge(var.hub, { auth = merge(var.hub.auth, { github_organizations = [] }) })
  }
  expect_failures = [var.hub]
}

run "rejects_two_default_profiles" {
  command = plan
  variables {
    hub = merge(var.hub, { profiles = [for p in var.hub.profiles : merge(p, { default = true })] })
  }
  expect_failures = [var.hub]
}

run "rejects_malformed_digest" {
  command = plan
  variables {
    hub = merge(var.hub, { images = [merge(var.hub.images[0], { digest = "sha256:abc" })] })
  }
  expect_failures = [var.hub]
}

run "rejects_control_plane_range_not_a_28" {
  command = plan
  variables {
    network = merge(var.network, { master_cidr = "172.16.0.0/24" })
  }
  expect_failures = [var.network]
}

run "rejects_upper_case_labels" {
  command = plan
  variables {
    labels = { Environment = "test" }
  }
  expect_failures = [var.labels]
}

run "dask_beside_the_hub_on_its_pool" {
  command = plan

  assert {
    condition     = length(module.dask) == 1 && module.dask[0].release.namespace == var.hub.namespace && module.dask[0].release.version == "2026.3.0"
    error_message = "dask-gateway is installed beside the Hub at the pinned version"
  }
  assert {
    condition     = module.dask[0].values.gateway.backend.worker.extraPodConfig.nodeSelector["sciplat.io/pool"] == "dask"
    error_message = "workers are pinned to the dask pool"
  }
  assert {
    condition     = length(module.gke.extra_pool_names) == 2
    error_message = "the extra pools and the dask pool are created"
  }
}

run "no_dask_when_disabled" {
  command = plan

  variables {
    dask = merge(var.dask, { enabled = false })
  }

  assert {
    condition     = length(module.dask) == 0
    error_message = "nothing of Dask is deployed when it is disabled"
  }
}

run "rejects_dask_without_its_pool" {
  command = plan

  variables {
    extra_pools = []
  }

  expect_failures = [var.dask]
}

run "budget_alerts_at_the_planned_amount" {
  command = plan

  override_data {
    target = module.budget[0].data.google_project.this
    values = {
      number = "123456789012"
    }
  }

  assert {
    condition     = module.budget[0].amount_usd == 12699
    error_message = "the budget's amount is the rendered one"
  }
  assert {
    condition     = length(module.budget[0].notification_channels) == 1
    error_message = "one email channel per address"
  }
}

run "rejects_a_budget_without_billing_account" {
  command = plan

  variables {
    budget = merge(var.budget, { billing_account = null })
  }

  expect_failures = [var.budget]
}
