variable "namespace" {
  description = "Namespace of the Hub; the gateway, its clusters' pods and its secret lookups live there too."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace)) && !contains(["default", "kube-system", "kube-public"], var.namespace)
    error_message = "namespace must be a DNS label and not a system namespace."
  }
}

variable "release_name" {
  description = "Helm release name; also the Hub service name (the gateway's prefix is /services/<release_name>) and the stem of its Services (api-<name>, traefik-<name>)."
  type        = string
  default     = "dask-gateway"

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$", var.release_name))
    error_message = "release_name must be a short DNS label."
  }
}

variable "hub_api_url" {
  description = "The Hub's API as the gateway reaches it; null = http://hub.<namespace>.svc.cluster.local:8081/hub/api."
  type        = string
  default     = null
}

variable "hub_secret" {
  description = "Secret and key holding the API token the Hub's chart generates for the gateway's hub service."
  type = object({
    name = string
    key  = string
  })
  default = { name = "hub", key = "hub.services.dask-gateway.apiToken" }
}

variable "per_user" {
  description = "Per-user limits: max_clusters (running at once), max_cores and max_memory_gib (of all of a user's clusters; also each cluster's cap)."
  type = object({
    max_clusters   = number
    max_cores      = number
    max_memory_gib = number
  })

  validation {
    condition     = var.per_user.max_clusters >= 1 && var.per_user.max_cores > 0 && var.per_user.max_memory_gib > 0
    error_message = "per_user needs max_clusters >= 1 and positive max_cores and max_memory_gib."
  }
}

variable "scheduler" {
  description = "Each cluster's scheduler: cores and memory_gib (request = limit)."
  type = object({
    cores      = number
    memory_gib = number
  })
}

variable "worker" {
  description = "Each worker: cores and memory_gib (request = limit; threads = cores)."
  type = object({
    cores      = number
    memory_gib = number
  })

  validation {
    condition     = var.worker.cores > 0 && var.worker.memory_gib > 0
    error_message = "worker needs positive cores and memory_gib."
  }
}

variable "idle_timeout_seconds" {
  description = "Shut a cluster down after this long without activity; 0 = never."
  type        = number
  default     = 1800

  validation {
    condition     = var.idle_timeout_seconds >= 0
    error_message = "idle_timeout_seconds must not be negative."
  }
}

variable "pool" {
  description = "The node pool schedulers and workers are pinned to: name (its sciplat.io/pool label) and dedicated (tolerate its sciplat.io/dedicated taint)."
  type = object({
    name      = string
    dedicated = bool
  })
  default = { name = "dask", dedicated = false }
}

variable "core_node_selector" {
  description = "Node labels of the pool the gateway, controller and traefik run on (the Hub's core pool)."
  type        = map(string)
  default     = { "hub.jupyter.org/node-purpose" = "core" }
}

variable "mirror_prefixes" {
  description = "Registry mirror prefix per upstream host (registry-mirror output); the gateway's images are pulled through it. Empty = upstream."
  type        = map(string)
  default     = {}
}
