variable "project_id" {
  description = "Google Cloud project of the cluster."
  type        = string

  validation {
    condition     = length(var.project_id) >= 6
    error_message = "project_id must be a Google Cloud project id."
  }
}

variable "region" {
  description = "Region of the cluster; the location of a regional cluster."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must look like us-central1."
  }
}

variable "zones" {
  description = "Zones of the node pools; zones[0] is the location of a zonal cluster."
  type        = list(string)

  validation {
    condition     = length(var.zones) > 0
    error_message = "zones must name at least one zone."
  }
}

variable "regional_cluster" {
  description = "true: regional control plane; false: zonal cluster in zones[0]."
  type        = bool
  default     = true
}

variable "name" {
  description = "Cluster name."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$", var.name))
    error_message = "name must be at most 40 characters of lower-case letters, digits and hyphens."
  }
}

variable "labels" {
  description = "Resource labels for the cluster and its nodes."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "labels must be Google Cloud labels: lower-case keys and values of at most 63 characters."
  }
}

variable "network_id" {
  description = "Id of the VPC (network module output)."
  type        = string

  validation {
    condition     = can(regex("^projects/[^/]+/global/networks/[^/]+$", var.network_id))
    error_message = "network_id must look like projects/<project>/global/networks/<name>."
  }
}

variable "subnet_id" {
  description = "Id of the node subnet (network module output)."
  type        = string

  validation {
    condition     = can(regex("^projects/[^/]+/regions/[^/]+/subnetworks/[^/]+$", var.subnet_id))
    error_message = "subnet_id must look like projects/<project>/regions/<region>/subnetworks/<name>."
  }
}

variable "pods_range_name" {
  description = "Secondary range name for pods."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.pods_range_name))
    error_message = "pods_range_name must be the name of a secondary range of the subnet."
  }
}

variable "services_range_name" {
  description = "Secondary range name for services."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.services_range_name))
    error_message = "services_range_name must be the name of a secondary range of the subnet."
  }
}

variable "master_cidr" {
  description = "The /28 of the private control plane."
  type        = string

  validation {
    condition     = can(cidrhost(var.master_cidr, 0)) && endswith(var.master_cidr, "/28")
    error_message = "master_cidr must be a /28 CIDR block."
  }
}

variable "release_channel" {
  description = "GKE release channel: RAPID, REGULAR, STABLE or EXTENDED."
  type        = string
  default     = "STABLE"

  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE", "EXTENDED"], var.release_channel)
    error_message = "release_channel must be RAPID, REGULAR, STABLE or EXTENDED."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the cluster (Terraform-side protection)."
  type        = bool
  default     = true
}

variable "network_policy" {
  description = "Enforce Kubernetes NetworkPolicy with Dataplane V2 (the Hub chart ships policies)."
  type        = bool
  default     = true
}

variable "maintenance_window" {
  description = "Recurring maintenance window: RFC 3339 start_time and end_time, RFC 5545 recurrence."
  type = object({
    start_time = string
    end_time   = string
    recurrence = string
  })
  default = {
    start_time = "2026-01-03T07:00:00Z"
    end_time   = "2026-01-03T13:00:00Z"
    recurrence = "FREQ=WEEKLY;BYDAY=SA,SU"
  }

  validation {
    condition     = can(timeadd(var.maintenance_window.start_time, "0s")) && can(timeadd(var.maintenance_window.end_time, "0s")) && startswith(var.maintenance_window.recurrence, "FREQ=")
    error_message = "maintenance_window needs RFC 3339 times and an RRULE recurrence."
  }
}

variable "maintenance_exclusions" {
  description = "Periods without upgrades: name, RFC 3339 start_time/end_time, scope (NO_UPGRADES | NO_MINOR_UPGRADES | NO_MINOR_OR_NODE_UPGRADES)."
  type = list(object({
    name       = string
    start_time = string
    end_time   = string
    scope      = string
  }))
  default = []

  validation {
    condition     = alltrue([for e in var.maintenance_exclusions : contains(["NO_UPGRADES", "NO_MINOR_UPGRADES", "NO_MINOR_OR_NODE_UPGRADES"], e.scope)])
    error_message = "maintenance_exclusions[*].scope must be NO_UPGRADES, NO_MINOR_UPGRADES or NO_MINOR_OR_NODE_UPGRADES."
  }
}

variable "authorized_networks" {
  description = "CIDR blocks allowed to reach the public control-plane endpoint; empty = none."
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  default = []

  validation {
    condition     = alltrue([for n in var.authorized_networks : can(cidrhost(n.cidr_block, 0)) && n.cidr_block != "0.0.0.0/0"])
    error_message = "authorized_networks[*].cidr_block must be CIDR blocks, and not 0.0.0.0/0."
  }
}

variable "core_pool" {
  description = "The core pool (Hub, proxy, system pods): machine_type, disk_type, disk_size_gib, min_nodes >= 1, max_nodes (totals over all zones)."
  type = object({
    machine_type  = string
    disk_type     = string
    disk_size_gib = number
    min_nodes     = number
    max_nodes     = number
  })

  validation {
    condition     = var.core_pool.min_nodes >= 1 && var.core_pool.max_nodes >= var.core_pool.min_nodes
    error_message = "core_pool needs min_nodes >= 1 and max_nodes >= min_nodes."
  }
  validation {
    condition     = contains(["pd-balanced", "pd-ssd", "pd-standard"], var.core_pool.disk_type)
    error_message = "core_pool.disk_type must be pd-balanced, pd-ssd or pd-standard."
  }
}

variable "user_pools" {
  description = "User lab pools: name, machine_type, disk_type (pd-ssd | pd-balanced), disk_size_gib, local_ssd_count, image_streaming, spot, max_pods_per_node, min_nodes and max_nodes (totals over all zones)."
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
    error_message = "user_pools needs at least one pool, with unique names."
  }
  validation {
    condition     = alltrue([for p in var.user_pools : contains(["pd-ssd", "pd-balanced"], p.disk_type) && p.max_nodes >= p.min_nodes && p.min_nodes >= 0])
    error_message = "user_pools[*] need disk_type pd-ssd or pd-balanced and 0 <= min_nodes <= max_nodes."
  }
}

variable "extra_pools" {
  description = "Pools outside core and user (node_pools.extra and the dask pool): name, machine_type, disk_type, disk_size_gib, spot, max_pods_per_node, min_nodes, max_nodes (totals over all zones), labels (must include sciplat.io/pool = name), dedicated (taint sciplat.io/dedicated=<name>:NoSchedule)."
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
  default = []

  validation {
    condition     = length(distinct([for p in var.extra_pools : p.name])) == length(var.extra_pools) && alltrue([for p in var.extra_pools : !contains(concat(["core"], [for u in var.user_pools : u.name]), p.name)])
    error_message = "extra_pools[*].name must be unique and differ from core and the user pools."
  }
  validation {
    condition     = alltrue([for p in var.extra_pools : lookup(p.labels, "sciplat.io/pool", "") == p.name && !contains(keys(p.labels), "hub.jupyter.org/node-purpose")])
    error_message = "extra_pools[*].labels must carry sciplat.io/pool = <name> and no JupyterHub node purpose."
  }
  validation {
    condition     = alltrue([for p in var.extra_pools : contains(["pd-ssd", "pd-balanced", "pd-standard"], p.disk_type) && p.min_nodes >= 0 && p.max_nodes >= p.min_nodes && p.max_nodes >= 1])
    error_message = "extra_pools[*] need a pd-ssd, pd-balanced or pd-standard disk and 0 <= min_nodes <= max_nodes, max_nodes >= 1."
  }
}
