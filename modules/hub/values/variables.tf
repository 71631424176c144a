variable "domain" {
  description = "Public host name of the Hub; the OAuth callback is https://<domain>/hub/oauth_callback."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z]{2,}$", var.domain))
    error_message = "domain must be a fully qualified domain name."
  }
}

variable "tls_contact_email" {
  description = "Contact address for the Let's Encrypt certificate of the proxy; null = hostmaster@<domain>."
  type        = string
  default     = null

  validation {
    condition     = var.tls_contact_email == null || can(regex("^[^@ ]+@[^@ ]+\\.[a-z]{2,}$", var.tls_contact_email))
    error_message = "tls_contact_email must be an email address or null."
  }
}

variable "load_balancer_ip" {
  description = "Reserved address of the proxy's LoadBalancer service (the DNS record of the domain points at it); null = ephemeral."
  type        = string
  default     = null

  validation {
    condition     = var.load_balancer_ip == null || can(cidrhost("${var.load_balancer_ip}/32", 0))
    error_message = "load_balancer_ip must be an IPv4 address or null."
  }
}

variable "auth" {
  description = "Authentication: type (github | cilogon), github_organizations, cilogon_idps (entity ids), admin_users, client_id. The client secret is not an input here: the hub module passes it to Helm as a sensitive value."
  type = object({
    type                 = string
    github_organizations = list(string)
    cilogon_idps         = list(string)
    admin_users          = list(string)
    client_id            = string
  })

  validation {
    condition     = contains(["github", "cilogon"], var.auth.type)
    error_message = "auth.type must be github or cilogon."
  }
  validation {
    condition     = (var.auth.type != "github" || length(var.auth.github_organizations) > 0) && (var.auth.type != "cilogon" || length(var.auth.cilogon_idps) > 0)
    error_message = "github needs github_organizations; cilogon needs cilogon_idps."
  }
}

variable "culling" {
  description = "Idle culler: enabled, timeout_seconds (idle time before a lab is stopped), max_age_seconds (0 = no limit), every_seconds."
  type = object({
    enabled         = bool
    timeout_seconds = number
    max_age_seconds = number
    every_seconds   = number
  })
  default = {
    enabled         = true
    timeout_seconds = 3600
    max_age_seconds = 0
    every_seconds   = 300
  }

  validation {
    condition     = var.culling.timeout_seconds > 0 && var.culling.every_seconds > 0 && var.culling.max_age_seconds >= 0
    error_message = "culling needs timeout_seconds > 0, every_seconds > 0, max_age_seconds >= 0."
  }
}

variable "lab" {
  description = "Lab pods: uid_gid_source (identity_provider: UID/GID from the login's auth state; fixed: 1000/100), default_url, start_timeout_seconds."
  type = object({
    uid_gid_source        = string
    default_url           = string
    start_timeout_seconds = number
  })

  validation {
    condition     = contains(["identity_provider", "fixed"], var.lab.uid_gid_source) && startswith(var.lab.default_url, "/") && var.lab.start_timeout_seconds >= 60
    error_message = "lab needs uid_gid_source identity_provider or fixed, a default_url starting with /, start_timeout_seconds >= 60."
  }
}

variable "home_quota_gib" {
  description = "Home storage per user in GiB, reported to the spawner as the storage capacity."
  type        = number
  default     = 50

  validation {
    condition     = var.home_quota_gib > 0
    error_message = "home_quota_gib must be positive."
  }
}

variable "profiles" {
  description = "Server sizes offered at spawn: name, display_name, CPU (cores) and memory (GiB) guarantees and limits, default (exactly one)."
  type = list(object({
    name                 = string
    display_name         = string
    cpu_guarantee_cores  = number
    cpu_limit_cores      = number
    memory_guarantee_gib = number
    memory_limit_gib     = number
    default              = bool
  }))

  validation {
    condition     = length(var.profiles) > 0 && length([for p in var.profiles : p if p.default]) == 1
    error_message = "profiles needs at least one profile and exactly one default."
  }
  validation {
    condition     = length(distinct([for p in var.profiles : p.name])) == length(var.profiles) && alltrue([for p in var.profiles : can(regex("^[a-z0-9][-a-z0-9]*$", p.name))])
    error_message = "profiles[*].name must be unique slugs."
  }
  validation {
    condition     = alltrue([for p in var.profiles : p.cpu_guarantee_cores > 0 && p.cpu_limit_cores >= p.cpu_guarantee_cores && p.memory_guarantee_gib > 0 && p.memory_limit_gib >= p.memory_guarantee_gib])
    error_message = "profiles[*] guarantees must be positive and not exceed limits."
  }
}

variable "images" {
  description = "The image set: registry (upstream host), repository, tag, digest (sha256:... or null), class, display_name, recommended. The first recommended image (else the first) is the default."
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
    condition     = length(var.images) > 0 && alltrue([for i in var.images : i.digest == null || can(regex("^sha256:[0-9a-f]{64}$", i.digest))])
    error_message = "images needs at least one image; digests are sha256:<64 hex> or null."
  }
}

variable "mirror_prefixes" {
  description = "Registry mirror prefix per upstream host (registry-mirror output); images from these hosts are pulled through the mirror. Empty = pull from upstream."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for host, prefix in var.mirror_prefixes : can(regex("^[a-z0-9.-]+(:[0-9]+)?/[^:@]+$", prefix))])
    error_message = "mirror_prefixes values must be registry prefixes such as us-central1-docker.pkg.dev/project/dockerhub."
  }
}

variable "home_claim" {
  description = "Name of the PersistentVolumeClaim of the home share; each user mounts the `{username}` subdirectory."
  type        = string
  default     = "home"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.home_claim))
    error_message = "home_claim must be a Kubernetes object name."
  }
}

variable "shared_claim" {
  description = "Name of the PersistentVolumeClaim of the shared group-writable volume, mounted at shared_mount_path."
  type        = string
  default     = "shared"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.shared_claim))
    error_message = "shared_claim must be a Kubernetes object name."
  }
}

variable "shared_gid" {
  description = "Group every lab belongs to (supplemental group) and that owns the shared volume (setgid), so files there are group-writable by all users."
  type        = number
  default     = 100

  validation {
    condition     = var.shared_gid >= 100 && floor(var.shared_gid) == var.shared_gid
    error_message = "shared_gid must be a whole number of at least 100."
  }
}

variable "shared_mount_path" {
  description = "Where the shared volume appears in every lab."
  type        = string
  default     = "/shared"

  validation {
    condition     = startswith(var.shared_mount_path, "/")
    error_message = "shared_mount_path must be absolute."
  }
}

variable "volumes" {
  description = "Extra volumes mounted in every lab (hub.volumes): name, mount_path, read_only, sub_path (\"\" = the root), and either nfs_server and nfs_path or claim (an existing claim in the labs' namespace)."
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

  validation {
    condition     = alltrue([for v in var.volumes : (v.claim == null) != (v.nfs_server == null || v.nfs_path == null)])
    error_message = "volumes[*] need either nfs_server and nfs_path, or claim."
  }
  validation {
    condition     = length(distinct([for v in var.volumes : v.name])) == length(var.volumes) && length(distinct([for v in var.volumes : v.mount_path])) == length(var.volumes)
    error_message = "volumes[*] need unique names and unique mount paths."
  }
  validation {
    condition     = alltrue([for v in var.volumes : startswith(v.mount_path, "/") && !contains(["/", "/home", var.shared_mount_path], trimsuffix(v.mount_path, "/")) && !startswith(v.mount_path, "/home/") && !startswith(v.mount_path, "${var.shared_mount_path}/")])
    error_message = "volumes[*].mount_path must be absolute and not over the home or shared mounts."
  }
}

variable "notebooks" {
  description = "Standard notebooks refreshed at every lab start (hub.notebooks): enabled, repository (https git URL), branch, target (directory under the home, e.g. notebooks), timeout_seconds. nbgitpuller in the lab image merges without overwriting the user's changes; a failure never stops the lab."
  type = object({
    enabled         = bool
    repository      = string
    branch          = string
    target          = string
    timeout_seconds = number
  })
  default = { enabled = false, repository = "", branch = "main", target = "notebooks", timeout_seconds = 60 }

  validation {
    condition     = !var.notebooks.enabled || (length(var.notebooks.repository) > 0 && length(var.notebooks.branch) > 0)
    error_message = "notebooks needs a repository and a branch when enabled."
  }
  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$", var.notebooks.target)) && var.notebooks.timeout_seconds >= 5 && var.notebooks.timeout_seconds <= 600
    error_message = "notebooks.target must be a relative directory under the home and timeout_seconds from 5 to 600."
  }
}

variable "dask" {
  description = "Dask beside the Hub (modules/dask): enabled, release_name (also the hub service and the /services/<name>/ prefix) and namespace of the gateway. Enabled: the hub service, the gateway's access to the hub API, the labs' gateway addresses and their egress to its traefik."
  type = object({
    enabled      = bool
    release_name = string
    namespace    = string
  })
  default = { enabled = false, release_name = "dask-gateway", namespace = "hub" }

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$", var.dask.release_name)) && can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.dask.namespace))
    error_message = "dask.release_name and dask.namespace must be DNS labels."
  }
}
