# The root module's variables are exactly the top-level keys of the tfvars file that
# `sciplat render ENV` writes (build/ENV/terraform.tfvars.json); docs/tfvars.md is the contract.

variable "environment" {
  description = "Environment name (env/<name>.yaml `name`); prefixes labels and the backend state."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,28}[a-z0-9]$", var.environment))
    error_message = "environment must be 3-30 characters of lower-case letters, digits and hyphens."
  }
}

variable "project_id" {
  description = "Google Cloud project that holds every resource of the environment (`gcp.project`)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid Google Cloud project id (6-30 characters)."
  }
}

variable "region" {
  description = "Region of the cluster, subnet, Filestore and registry mirror (`gcp.region`)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must look like us-central1."
  }
}

variable "zones" {
  description = "Zones for the node pools; the first is the location of a zonal cluster and of zonal Filestore tiers (`gcp.zones`)."
  type        = list(string)

  validation {
    condition     = length(var.zones) > 0 && alltrue([for z in var.zones : can(regex("^[a-z]+-[a-z]+[0-9]+-[a-z]$", z))])
    error_message = "zones must be a non-empty list of zone names such as us-central1-a."
  }
}

variable "regional_cluster" {
  description = "true: regional control plane replicated across the region; false: zonal cluster in zones[0] (`gcp.regional_cluster`)."
  type        = bool
}

variable "labels" {
  description = "Labels put on every labelable resource: {environment = name, managed-by = \"sciplat\"}."
  type        = map(string)

  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "labels keys and values must be valid Google Cloud labels (lower case, at most 63 characters)."
  }
}

variable "network" {
  description = <<-EOT
    VPC and address plan (`network.*`):
    name (the VPC, "<cluster.name>-vpc"), subnet_cidr (nodes), pods_cidr and services_cidr
    (secondary ranges, sized by the capacity plan), master_cidr (/28 of the private control plane).
  EOT
  type = object({
    name          = string
    subnet_cidr   = string
    pods_cidr     = string
    services_cidr = string
    master_cidr   = string
  })

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.network.name))
    error_message = "network.name must be a valid VPC name (RFC 1035, at most 63 characters)."
  }
  validation {
    condition = alltrue([for c in [var.network.subnet_cidr, var.network.pods_cidr, var.network.services_cidr, var.network.master_cidr] :
    can(cidrhost(c, 0)) && can(regex("^[0-9.]+/[0-9]+$", c))])
    error_message = "network CIDRs must be IPv4 CIDR blocks such as 10.10.0.0/20."
  }
  validation {
    condition     = endswith(var.network.master_cidr, "/28")
    error_message = "network.master_cidr must be a /28 (GKE private control plane)."
  }
}

variable "cluster" {
  description = <<-EOT
    GKE cluster (`cluster.*`): name, release_channel (RAPID | REGULAR | STABLE | EXTENDED),
    deletion_protection, network_policy (Dataplane V2 enforcement), maintenance_window
    (RFC 3339 start/end and an RFC 5545 recurrence), maintenance_exclusions
    (name, start_time, end_time, scope NO_UPGRADES | NO_MINOR_UPGRADES | NO_MINOR_OR_NODE_UPGRADES),
    authorized_networks (CIDR blocks allowed to reach the public control-plane endpoint).
  EOT
  type = object({
    name                = string
    release_channel     = string
    deletion_protection = bool
    network_policy      = bool
    maintenance_window = object({
      start_time = string
      end_time   = string
      recurrence = string
    })
    maintenance_exclusions = list(object({
      name       = string
      start_time = string
      end_time   = string
      scope      = string
    }))
    authorized_networks = list(object({
      cidr_block   = string
      display_name = string
    }))
  })

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$", var.cluster.name))
    error_message = "cluster.name must be at most 40 characters of lower-case letters, digits and hyphens."
  }
  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE", "EXTENDED"], var.cluster.release_channel)
    error_message = "cluster.release_channel must be one of RAPID, REGULAR, STABLE, EXTENDED."
  }
  validation {
    condition     = alltrue([for e in var.cluster.maintenance_exclusions : contains(["NO_UPGRADES", "NO_MINOR_UPGRADES", "NO_MINOR_OR_NODE_UPGRADES"], e.scope)])
    error_message = "cluster.maintenance_exclusions[*].scope must be NO_UPGRADES, NO_MINOR_UPGRADES or NO_MINOR_OR_NODE_UPGRADES."
  }
  validation {
    condition = alltrue([for t in concat([var.cluster.maintenance_window.start_time, var.cluster.maintenance_window.end_time],
    flatten([for e in var.cluster.maintenance_exclusions : [e.start_time, e.end_time]])) : can(timeadd(t, "0s"))])
    error_message = "cluster maintenance times must be RFC 3339 timestamps such as 2026-01-03T07:00:00Z."
  }
  validation {
    condition     = startswith(var.cluster.maintenance_window.recurrence, "FREQ=")
    error_message = "cluster.maintenance_window.recurrence must be an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=SA,SU."
  }
  validation {
    condition     = alltrue([for n in var.cluster.authorized_networks : can(cidrhost(n.cidr_block, 0)) && n.cidr_block != "0.0.0.0/0"])
    error_message = "cluster.authorized_networks[*].cidr_block must be CIDR blocks, and not 0.0.0.0/0."
  }
}

variable "core_pool" {
  description = <<-EOT
    The `core` node pool for the Hub, the proxy and system pods (`node_pools.core`):
    machine_type, disk_type (pd-balanced | pd-ssd | pd-standard), disk_size_gib, and the
    autoscaling bounds min_nodes (at least 1) and max_nodes, counted over all zones.
  EOT
  type = object({
    machine_type  = string
    disk_type     = string
    disk_size_gib = number
    min_nodes     = number
    max_nodes     = number
  })

  validation {
    condition     = contains(["pd-balanced", "pd-ssd", "pd-standard"], var.core_pool.disk_type)
    error_message = "core_pool.disk_type must be pd-balanced, pd-ssd or pd-standard."
  }
  validation {
    condition     = var.core_pool.min_nodes >= 1 && var.core_pool.max_nodes >= var.core_pool.min_nodes
    error_message = "core_pool needs min_nodes >= 1 and max_nodes >= min_nodes."
  }
  validation {
    condition     = var.core_pool.disk_size_gib >= 20
    error_message = "core_pool.disk_size_gib must be at least 20."
  }
}

variable "user_pools" {
  description = <<-EOT
    Node pools for user labs (`node_pools.user[]`, bounds from the capacity plan): name,
    machine_type, disk_type (pd-ssd | pd-balanced), disk_size_gib, local_ssd_count (local NVMe
    SSDs for ephemeral storage and the image cache; 0 = boot disk), image_streaming, spot,
    max_pods_per_node, min_nodes and max_nodes (total over all zones).
  EOT
  type = list(object({
    name              = string
    machine_type      = string
    disk_type         = string
    disk_size_gib     = number
    local_ssd_count   = number
    image_streaming   = bool
    spot              = bool
    max_pods_per_node = number
    min_nodes         = number
    max_nodes         = number
  }))

  validation {
    condition     = length(var.user_pools) > 0 && length(distinct([for p in var.user_pools : p.name])) == length(var.user_pools)
    error_message = "user_pools must have at least one pool, with unique names."
  }
  validation {
    condition     = alltrue([for p in var.user_pools : can(regex("^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$", p.name)) && p.name != "core"])
    error_message = "user_pools[*].name must be short lower-case names, and not \"core\"."
  }
  validation {
    condition     = alltrue([for p in var.user_pools : contains(["pd-ssd", "pd-balanced"], p.disk_type)])
    error_message = "user_pools[*].disk_type must be pd-ssd or pd-balanced."
  }
  validation {
    condition     = alltrue([for p in var.user_pools : p.min_nodes >= 0 && p.max_nodes >= p.min_nodes && p.max_nodes >= 1])
    error_message = "user_pools[*] need 0 <= min_nodes <= max_nodes and max_nodes >= 1."
  }
  validation {
    condition     = alltrue([for p in var.user_pools : p.local_ssd_count >= 0 && p.local_ssd_count <= 24 && floor(p.local_ssd_count) == p.local_ssd_count])
    error_message = "user_pools[*].local_ssd_count must be a whole number from 0 to 24."
  }
  validation {
    condition     = alltrue([for p in var.user_pools : p.max_pods_per_node >= 8 && p.max_pods_per_node <= 256])
    error_message = "user_pools[*].max_pods_per_node must be from 8 to 256."
  }
}

variable "extra_pools" {
  description = <<-EOT
    Pools outside core and user (`node_pools.extra` and, with Dask, the `dask` pool sized by the
    capacity plan): name, machine_type, disk_type, disk_size_gib, spot, max_pods_per_node,
    min_nodes, max_nodes, labels (node labels, including sciplat.io/pool = name), dedicated
    (taint sciplat.io/dedicated=<name>:NoSchedule so only pods pinned to the pool run there).
  EOT
  type = list(object({
    name              = string
    machine_type      = string
    disk_type         = string
    disk_size_gib     = number
    spot              = bool
    max_pods_per_node = number
    min_nodes         = number
    max_nodes         = number
    labels            = map(string)
    dedicated         = bool
  }))

  validation {
    condition     = length(distinct([for p in var.extra_pools : p.name])) == length(var.extra_pools) && alltrue([for p in var.extra_pools : !contains(concat(["core"], [for u in var.user_pools : u.name]), p.name)])
    error_message = "extra_pools[*].name must be unique and differ from core and the user pools."
  }
  validation {
    condition     = alltrue([for p in var.extra_pools : lookup(p.labels, "sciplat.io/pool", "") == p.name && p.min_nodes >= 0 && p.max_nodes >= p.min_nodes && p.max_nodes >= 1])
    error_message = "extra_pools[*] need the label sciplat.io/pool = <name> and 0 <= min_nodes <= max_nodes, max_nodes >= 1."
  }
}

variable "filestore" {
  description = <<-EOT
    Filestore NFS storage (`storage.*`): home (name, share_name, tier and capacity_gib from the
    capacity plan) and shared (the group-writable volume, 10 TB by default); admin_cidrs (clients
    exempt from root squash; empty = none); backups (enabled, cron schedule, retention_days).
  EOT
  type = object({
    home = object({
      name         = string
      share_name   = string
      tier         = string
      capacity_gib = number
    })
    shared = object({
      name         = string
      share_name   = string
      tier         = string
      capacity_gib = number
    })
    admin_cidrs = list(string)
    backups = object({
      enabled        = bool
      schedule       = string
      retention_days = number
    })
  })

  validation {
    condition     = alltrue([for i in [var.filestore.home, var.filestore.shared] : contains(["BASIC_HDD", "BASIC_SSD", "ZONAL", "REGIONAL", "ENTERPRISE"], i.tier)])
    error_message = "filestore tiers must be BASIC_HDD, BASIC_SSD, ZONAL, REGIONAL or ENTERPRISE."
  }
  validation {
    condition     = alltrue([for i in [var.filestore.home, var.filestore.shared] : i.capacity_gib >= (i.tier == "BASIC_SSD" ? 2560 : 1024)])
    error_message = "filestore capacity_gib must be at least 1024 (2560 for BASIC_SSD), the smallest Filestore instance of the tier."
  }
  validation {
    condition     = alltrue([for i in [var.filestore.home, var.filestore.shared] : can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", i.name)) && can(regex("^[a-zA-Z][_a-zA-Z0-9]{0,15}$", i.share_name))])
    error_message = "filestore instance names must be RFC 1035 names and share names at most 16 letters, digits or underscores."
  }
  validation {
    condition     = alltrue([for c in var.filestore.admin_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "filestore.admin_cidrs must be CIDR blocks, and not 0.0.0.0/0."
  }
  validation {
    condition     = var.filestore.backups.retention_days >= 1 && var.filestore.backups.retention_days <= 365 && length(split(" ", var.filestore.backups.schedule)) == 5
    error_message = "filestore.backups needs a five-field cron schedule and retention_days from 1 to 365."
  }
}

variable "registry_mirror" {
  description = <<-EOT
    Artifact Registry pull-through caches (`registry_mirror.*`): enabled, cache_gib (the
    registry cache budget that cleanup policies keep under), upstreams (name = repository id,
    registry = upstream host, credentials_secret = Secret Manager secret id with the upstream
    password or null, username = upstream user or null).
  EOT
  type = object({
    enabled   = bool
    cache_gib = number
    upstreams = list(object({
      name               = string
      registry           = string
      credentials_secret = optional(string)
      username           = optional(string)
    }))
  })

  validation {
    condition     = var.registry_mirror.cache_gib > 0
    error_message = "registry_mirror.cache_gib must be positive."
  }
  validation {
    condition     = alltrue([for u in var.registry_mirror.upstreams : can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", u.name))])
    error_message = "registry_mirror.upstreams[*].name must be lower-case repository ids."
  }
  validation {
    condition     = length(distinct([for u in var.registry_mirror.upstreams : u.registry])) == length(var.registry_mirror.upstreams) && length(distinct([for u in var.registry_mirror.upstreams : u.name])) == length(var.registry_mirror.upstreams)
    error_message = "registry_mirror.upstreams must have unique names and unique registries."
  }
  validation {
    condition     = alltrue([for u in var.registry_mirror.upstreams : (u.credentials_secret == null) == (u.username == null)])
    error_message = "registry_mirror.upstreams[*]: credentials_secret and username go together (both set or both null)."
  }
}

variable "hub" {
  description = <<-EOT
    The JupyterHub deployment (`hub.*`, `resources.*` and the image set): namespace, domain,
    chart_version (zero-to-jupyterhub, "4.4.0"), auth (type github | cilogon | jwt, jwt (the JWT
    header login: jwks_url, issuer, audience, header, claims, allowed_groups; null otherwise),
    github_organizations, cilogon_idps, admin_users, client_id, client_secret_secret = the Secret
    Manager secret id holding the OAuth client secret), culling, lab (uid_gid_source
    identity_provider, default_url, start_timeout_seconds), identity (UID/GID mapping:
    shared_gid, reserved_ids_below, github_teams, cilogon_uid_claim, cilogon_uid_fallback,
    cilogon_groups), home_soft_limit_gib (the spawn-time warning's threshold), profiles
    (sizes with guarantees and limits from the capacity plan; exactly one default) and images
    (registry, repository, tag, digest or null, class, display_name, recommended), volumes
    (extra lab volumes: name, mount_path, read_only, sub_path, nfs_server + nfs_path or claim),
    notebooks (standard notebooks at lab start: enabled, repository, branch, target, timeout_seconds).
  EOT
  type = object({
    namespace     = string
    domain        = string
    chart_version = string
    auth = object({
      type                 = string
      github_organizations = list(string)
      cilogon_idps         = list(string)
      admin_users          = list(string)
      client_id            = string
      client_secret_secret = optional(string)
      jwt = optional(object({
        jwks_url       = string
        issuer         = string
        audience       = string
        header         = string
        username_claim = string
        uid_claim      = string
        gid_claim      = string
        groups_claim   = string
        allowed_groups = list(string)
      }))
    })
    culling = object({
      enabled         = bool
      timeout_seconds = number
      max_age_seconds = number
      every_seconds   = number
    })
    lab = object({
      uid_gid_source        = string
      default_url           = string
      start_timeout_seconds = number
    })
    identity = object({
      shared_gid           = number
      reserved_ids_below   = number
      github_teams         = bool
      cilogon_uid_claim    = string
      cilogon_uid_fallback = string
      cilogon_groups = list(object({
        name = string
        gid  = number
      }))
    })
    home_soft_limit_gib = number
    profiles = list(object({
      name                 = string
      display_name         = string
      cpu_guarantee_cores  = number
      cpu_limit_cores      = number
      memory_guarantee_gib = number
      memory_limit_gib     = number
      default              = bool
    }))
    images = list(object({
      registry     = string
      repository   = string
      tag          = string
      digest       = optional(string)
      class        = string
      display_name = string
      recommended  = bool
    }))
    volumes = optional(list(object({
      name       = string
      mount_path = string
      read_only  = bool
      sub_path   = string
      nfs_server = optional(string)
      nfs_path   = optional(string)
      claim      = optional(string)
    })), [])
    notebooks = optional(object({
      enabled         = bool
      repository      = string
      branch          = string
      target          = string
      timeout_seconds = number
    }), { enabled = false, repository = "", branch = "main", target = "notebooks", timeout_seconds = 60 })
  })

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.hub.namespace)) && !contains(["default", "kube-system", "kube-public"], var.hub.namespace)
    error_message = "hub.namespace must be a DNS label and not a system namespace."
  }
  validation {
    condition     = can(regex("^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z]{2,}$", var.hub.domain))
    error_message = "hub.domain must be a fully qualified domain name."
  }
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.hub.chart_version))
    error_message = "hub.chart_version must be an exact chart version such as 4.4.0."
  }
  validation {
    condition = contains(["github", "cilogon", "jwt"], var.hub.auth.type) && (var.hub.auth.type != "jwt" || var.hub.auth.jwt != null) && (
      var.hub.auth.type != "github" || length(var.hub.auth.github_organizations) > 0) && (
    var.hub.auth.type != "cilogon" || length(var.hub.auth.cilogon_idps) > 0)
    error_message = "hub.auth.type must be github (with github_organizations), cilogon (with cilogon_idps) or jwt (with jwt)."
  }
  validation {
    condition     = var.hub.auth.type == "jwt" || (can(regex("^[a-zA-Z][-_a-zA-Z0-9]{0,254}$", var.hub.auth.client_secret_secret)) && length(var.hub.auth.client_id) > 0)
    error_message = "hub.auth.client_secret_secret must be a Secret Manager secret id (not a secret value) and client_id must be set."
  }
  validation {
    condition     = var.hub.culling.timeout_seconds > 0 && var.hub.culling.every_seconds > 0 && var.hub.culling.max_age_seconds >= 0
    error_message = "hub.culling needs timeout_seconds > 0, every_seconds > 0 and max_age_seconds >= 0."
  }
  validation {
    condition     = var.hub.lab.uid_gid_source == "identity_provider" && startswith(var.hub.lab.default_url, "/") && var.hub.lab.start_timeout_seconds >= 60
    error_message = "hub.lab needs uid_gid_source identity_provider (there is no shared fallback UID), a default_url starting with / and start_timeout_seconds >= 60."
  }
  validation {
    condition = length(var.hub.profiles) > 0 && length([for p in var.hub.profiles : p if p.default]) == 1 && alltrue([
      for p in var.hub.profiles : p.cpu_guarantee_cores > 0 && p.cpu_limit_cores >= p.cpu_guarantee_cores &&
    p.memory_guarantee_gib > 0 && p.memory_limit_gib >= p.memory_guarantee_gib])
    error_message = "hub.profiles needs at least one profile, exactly one default, and guarantees > 0 that do not exceed limits."
  }
  validation {
    condition     = length(var.hub.images) > 0 && alltrue([for i in var.hub.images : i.digest == null || can(regex("^sha256:[0-9a-f]{64}$", i.digest))])
    error_message = "hub.images needs at least one image; digests must be sha256:<64 hex digits> or null."
  }
  validation {
    condition     = alltrue([for i in var.hub.images : contains(["alias", "release", "weekly", "daily", "release_candidate", "experimental", "unknown"], i.class)])
    error_message = "hub.images[*].class must be alias, release, weekly, daily, release_candidate, experimental or unknown."
  }
  validation {
    condition     = alltrue([for v in var.hub.volumes : (v.claim == null) != (v.nfs_server == null || v.nfs_path == null) && startswith(v.mount_path, "/")])
    error_message = "hub.volumes[*] need an absolute mount_path and either nfs_server with nfs_path, or claim."
  }
  validation {
    condition     = var.hub.home_soft_limit_gib > 0
    error_message = "hub.home_soft_limit_gib must be positive."
  }
}

variable "budget" {
  description = <<-EOT
    Billing budget of the environment's project (`budget.*`): enabled, billing_account (or null
    when disabled), amount_usd (the capacity plan's monthly cost x (1 + margin_percent/100),
    rounded up, or the fixed budget.amount_usd), thresholds_percent (alerts on actual spend),
    forecast_percent (an alert on forecast spend, or null), notify_emails.
  EOT
  type = object({
    enabled            = bool
    billing_account    = optional(string)
    amount_usd         = number
    thresholds_percent = list(number)
    forecast_percent   = optional(number)
    notify_emails      = list(string)
  })

  validation {
    condition     = !var.budget.enabled || (var.budget.billing_account != null && var.budget.amount_usd > 0 && length(var.budget.notify_emails) > 0)
    error_message = "an enabled budget needs billing_account, a positive amount_usd and notify_emails."
  }
}

variable "dask" {
  description = <<-EOT
    Dask beside the Hub (`dask.*`): enabled, chart_version (dask-gateway, "2026.3.0"), release_name
    (also the hub service; prefix /services/<release_name>/), per_user (max_clusters, max_cores,
    max_memory_gib), scheduler and worker (cores, memory_gib), idle_timeout_seconds, pool (the
    extra pool schedulers and workers are pinned to, "dask", sized by the capacity plan).
  EOT
  type = object({
    enabled       = bool
    chart_version = string
    release_name  = string
    per_user = object({
      max_clusters   = number
      max_cores      = number
      max_memory_gib = number
    })
    scheduler            = object({ cores = number, memory_gib = number })
    worker               = object({ cores = number, memory_gib = number })
    idle_timeout_seconds = number
    pool                 = string
  })

  validation {
    condition     = !var.dask.enabled || contains([for p in var.extra_pools : p.name], var.dask.pool)
    error_message = "dask.pool must name one of extra_pools when Dask is enabled."
  }
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.dask.chart_version))
    error_message = "dask.chart_version must be an exact chart version such as 2026.3.0."
  }
}
