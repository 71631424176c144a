variable "namespace" {
  description = "Kubernetes namespace of the Hub, the proxy and the labs."
  type        = string
  default     = "hub"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace)) && !contains(["default", "kube-system", "kube-public"], var.namespace)
    error_message = "namespace must be a DNS label and not a system namespace."
  }
}

variable "labels" {
  description = "Labels for the namespace."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "labels must be Google Cloud labels: lower-case keys and values of at most 63 characters."
  }
}

variable "domain" {
  description = "Public host name of the Hub."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z]{2,}$", var.domain))
    error_message = "domain must be a fully qualified domain name."
  }
}

variable "chart_repository" {
  description = "Helm repository of the zero-to-jupyterhub chart."
  type        = string
  default     = "https://hub.jupyter.org/helm-chart/"

  validation {
    condition     = can(regex("^(https|oci)://", var.chart_repository))
    error_message = "chart_repository must be an https:// or oci:// URL."
  }
}

variable "chart_path" {
  description = "A local directory holding the zero-to-jupyterhub chart, used instead of chart_repository (offline work and tests); null = the repository."
  type        = string
  default     = null

  validation {
    condition     = var.chart_path == null || try(trimspace(var.chart_path) != "", false)
    error_message = "chart_path must be a directory path or null."
  }
}

variable "chart_version" {
  description = "Exact zero-to-jupyterhub chart version."
  type        = string
  default     = "4.4.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.chart_version))
    error_message = "chart_version must be an exact version such as 4.4.0."
  }
}

variable "helm_timeout_seconds" {
  description = "How long Helm waits for the release; long enough for first image pulls on new nodes."
  type        = number
  default     = 1200

  validation {
    condition     = var.helm_timeout_seconds >= 300
    error_message = "helm_timeout_seconds must be at least 300."
  }
}

variable "helm_wait" {
  description = "Wait for the release's pods to be ready (and roll back a failed upgrade); false only where no node runs pods, such as a local control plane."
  type        = bool
  default     = true
}

variable "load_balancer_ip" {
  description = "Reserved external address of the proxy's load balancer (the root reserves it, so DNS outlives reinstalls); null = an ephemeral address."
  type        = string
  default     = null

  validation {
    condition     = var.load_balancer_ip == null || can(cidrhost("${var.load_balancer_ip}/32", 0))
    error_message = "load_balancer_ip must be an IPv4 address or null."
  }
}

variable "auth" {
  description = "Authentication: type (github | cilogon), github_organizations, cilogon_idps, admin_users, client_id, client_secret_secret (Secret Manager secret id of the OAuth client secret)."
  type = object({
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

  validation {
    condition     = contains(["github", "cilogon", "jwt"], var.auth.type) && (var.auth.type != "jwt" || var.auth.jwt != null)
    error_message = "auth.type must be github, cilogon or jwt (with jwt set)."
  }
}

variable "oauth_client_secret" {
  description = "The OAuth client secret (the root reads it from Secret Manager); null only for JWT login, which has none."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.auth.type == "jwt" || try(length(var.oauth_client_secret) > 0, false)
    error_message = "oauth_client_secret is required for GitHub and CILogon login."
  }
}

variable "culling" {
  description = "Idle culler: enabled, timeout_seconds, max_age_seconds, every_seconds."
  type = object({
    enabled         = bool
    timeout_seconds = number
    max_age_seconds = number
    every_seconds   = number
  })
}

variable "lab" {
  description = "Lab pods: uid_gid_source (identity_provider | fixed), default_url, start_timeout_seconds."
  type = object({
    uid_gid_source        = string
    default_url           = string
    start_timeout_seconds = number
  })
}

variable "home_soft_limit_gib" {
  description = "Soft limit of a home directory in GiB (the environment's home_per_user_gib): a user over it is warned when their lab starts; `sciplat storage` reports against it. Nothing enforces it."
  type        = number
  default     = 50

  validation {
    condition     = var.home_soft_limit_gib > 0
    error_message = "home_soft_limit_gib must be positive."
  }
}

variable "identity" {
  description = "UID/GID mapping (see modules/hub/values): shared_gid, reserved_ids_below, github_teams, cilogon_uid_claim, cilogon_uid_fallback (hash | refuse), cilogon_groups (isMemberOf value -> GID)."
  type = object({
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
  default = {
    shared_gid           = 2000
    reserved_ids_below   = 1000
    github_teams         = false
    cilogon_uid_claim    = "uidNumber"
    cilogon_uid_fallback = "hash"
    cilogon_groups       = []
  }

  validation {
    condition     = var.identity.shared_gid >= 100 && var.identity.reserved_ids_below >= 1 && contains(["hash", "refuse"], var.identity.cilogon_uid_fallback)
    error_message = "identity needs shared_gid >= 100, reserved_ids_below >= 1 and cilogon_uid_fallback hash or refuse."
  }
}

variable "storage_jobs" {
  description = "The storage jobs: wait (Terraform waits for the one-shot job that prepares the share roots), usage_schedule (cron schedule of the usage measurement), history (measurements kept)."
  type = object({
    wait           = bool
    usage_schedule = string
    history        = number
  })
  default = {
    wait           = true
    usage_schedule = "17 4 * * *"
    history        = 60
  }

  validation {
    condition     = length(split(" ", var.storage_jobs.usage_schedule)) == 5 && var.storage_jobs.history >= 2
    error_message = "storage_jobs.usage_schedule must be a five-field cron schedule and history at least 2."
  }
}

variable "profiles" {
  description = "Server sizes: name, display_name, cpu/memory guarantees and limits, default."
  type = list(object({
    name                 = string
    display_name         = string
    cpu_guarantee_cores  = number
    cpu_limit_cores      = number
    memory_guarantee_gib = number
    memory_limit_gib     = number
    default              = bool
  }))
}

variable "images" {
  description = "The image set: registry (upstream host), repository, tag, digest or null, class, display_name, recommended."
  type = list(object({
    registry     = string
    repository   = string
    tag          = string
    digest       = optional(string)
    class        = string
    display_name = string
    recommended  = bool
  }))

  validation {
    condition     = length(var.images) > 0
    error_message = "images needs at least one image."
  }
}

variable "mirror_prefixes" {
  description = "Registry mirror prefix per upstream host (registry-mirror output); empty = pull from upstream."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for host, prefix in var.mirror_prefixes : can(regex("^[a-z0-9.-]+(:[0-9]+)?/[^:@]+$", prefix))])
    error_message = "mirror_prefixes values must be registry prefixes such as us-central1-docker.pkg.dev/project/dockerhub."
  }
}

variable "home_nfs" {
  description = "NFS export of the home share: server address, path (/<share>) and capacity_gib."
  type = object({
    server       = string
    path         = string
    capacity_gib = number
  })

  validation {
    condition     = startswith(var.home_nfs.path, "/")
    error_message = "home_nfs.path must start with /."
  }
}

variable "shared_nfs" {
  description = "NFS export of the shared group-writable share: server address, path and capacity_gib."
  type = object({
    server       = string
    path         = string
    capacity_gib = number
  })

  validation {
    condition     = startswith(var.shared_nfs.path, "/")
    error_message = "shared_nfs.path must start with /."
  }
}

variable "volumes" {
  description = "Extra volumes mounted in every lab: name, mount_path, read_only, sub_path, and nfs_server with nfs_path or claim (see the values submodule)."
  type = list(object({
    name       = string
    mount_path = string
    read_only  = bool
    sub_path   = string
    nfs_server = optional(string)
    nfs_path   = optional(string)
    claim      = optional(string)
  }))
  default = []
}

variable "notebooks" {
  description = "Standard notebooks refreshed at lab start: enabled, repository, branch, target, timeout_seconds (see the values submodule)."
  type = object({
    enabled         = bool
    repository      = string
    branch          = string
    target          = string
    timeout_seconds = number
  })
  default = { enabled = false, repository = "", branch = "main", target = "notebooks", timeout_seconds = 60 }
}

variable "dask" {
  description = "Dask beside the Hub (modules/dask in the same namespace): enabled and the gateway's release_name (also its hub service)."
  type = object({
    enabled      = bool
    release_name = string
  })
  default = { enabled = false, release_name = "dask-gateway" }
}
