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
  description = "Lab pods: uid_gid_source (identity_provider: UID/GIDs from the login's auth state, the only source; there is no shared fallback UID), default_url, start_timeout_seconds."
  type = object({
    uid_gid_source        = string
    default_url           = string
    start_timeout_seconds = number
  })

  validation {
    condition     = var.lab.uid_gid_source == "identity_provider" && startswith(var.lab.default_url, "/") && var.lab.start_timeout_seconds >= 60
    error_message = "lab needs uid_gid_source identity_provider, a default_url starting with /, start_timeout_seconds >= 60."
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

variable "namespace" {
  description = "Namespace of the Hub; each user's lab runs in its own namespace `<namespace>-u-<username>`."
  type        = string
  default     = "hub"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS label of at most 10 characters (user namespaces add -u- and up to 48 more)."
  }
}

variable "identity" {
  description = "UID/GID mapping: shared_gid (every lab's group, owner of the shared area), reserved_ids_below (UIDs and GIDs under it are refused), github_teams (teams as groups too), cilogon_uid_claim, cilogon_uid_fallback (hash | refuse), cilogon_groups (isMemberOf value -> GID)."
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
    condition     = var.identity.shared_gid >= 100 && floor(var.identity.shared_gid) == var.identity.shared_gid && var.identity.reserved_ids_below >= 1
    error_message = "identity.shared_gid must be a whole number of at least 100; reserved_ids_below at least 1."
  }
  validation {
    condition     = contains(["hash", "refuse"], var.identity.cilogon_uid_fallback)
    error_message = "identity.cilogon_uid_fallback must be hash or refuse."
  }
  validation {
    condition     = length(distinct([for g in var.identity.cilogon_groups : g.gid])) == length(var.identity.cilogon_groups) && alltrue([for g in var.identity.cilogon_groups : g.gid >= var.identity.reserved_ids_below && g.gid != var.identity.shared_gid])
    error_message = "identity.cilogon_groups GIDs must be unique, outside the reserved range and not the shared GID."
  }
}

variable "home_nfs" {
  description = "NFS export of the home share (server, path): each lab mounts its user's subdirectory."
  type = object({
    server = string
    path   = string
  })

  validation {
    condition     = startswith(var.home_nfs.path, "/")
    error_message = "home_nfs.path must start with /."
  }
}

variable "shared_nfs" {
  description = "NFS export of the shared group-writable share (server, path), mounted at shared_mount_path."
  type = object({
    server = string
    path   = string
  })

  validation {
    condition     = startswith(var.shared_nfs.path, "/")
    error_message = "shared_nfs.path must start with /."
  }
}

variable "home_soft_limit_gib" {
  description = "Soft limit of a home directory in GiB: a user over it sees a warning when their lab starts (nothing is enforced)."
  type        = number
  default     = 50

  validation {
    condition     = var.home_soft_limit_gib > 0
    error_message = "home_soft_limit_gib must be positive."
  }
}

variable "usage_configmap" {
  description = "ConfigMap in the Hub's namespace where the usage job writes its measurements (read at spawn for the soft-limit warning)."
  type        = string
  default     = "sciplat-storage-usage"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", var.usage_configmap))
    error_message = "usage_configmap must be a Kubernetes object name."
  }
}
