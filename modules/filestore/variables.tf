variable "project_id" {
  description = "Google Cloud project of the Filestore instances."
  type        = string

  validation {
    condition     = length(var.project_id) >= 6
    error_message = "project_id must be a Google Cloud project id."
  }
}

variable "region" {
  description = "Region: the location of REGIONAL and ENTERPRISE instances and of backups."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must look like us-central1."
  }
}

variable "zone" {
  description = "Zone of BASIC_HDD, BASIC_SSD and ZONAL instances (the cluster's first zone)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+-[a-z]$", var.zone))
    error_message = "zone must look like us-central1-a."
  }
}

variable "network_name" {
  description = "Name of the VPC the instances attach to."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.network_name))
    error_message = "network_name must be a VPC name (not its id)."
  }
}

variable "client_cidrs" {
  description = "Ranges allowed to mount the shares (the cluster's node, pod and service ranges); root is squashed for them, except for node_cidrs."
  type        = list(string)

  validation {
    condition     = length(var.client_cidrs) > 0 && alltrue([for c in var.client_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "client_cidrs must be a non-empty list of CIDR blocks, not 0.0.0.0/0."
  }
}

variable "node_cidrs" {
  description = "The cluster's node range(s), part of client_cidrs or not: mounted without root squash, because the kubelet mounts pods' NFS volumes from the node and the hub's storage jobs run as root; labs never run as root. Empty = every client is root squashed (the share roots then need an admin host)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.node_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "node_cidrs must be CIDR blocks, not 0.0.0.0/0."
  }
}

variable "admin_cidrs" {
  description = "The root-squash exception: admin hosts that mount without root squash (to create or repair home directories); empty = none."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.admin_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "admin_cidrs must be CIDR blocks, not 0.0.0.0/0."
  }
}

variable "home" {
  description = "Home directories instance: name, share_name, tier and capacity_gib (from the capacity plan)."
  type = object({
    name         = string
    share_name   = string
    tier         = string
    capacity_gib = number
  })

  validation {
    condition     = contains(["BASIC_HDD", "BASIC_SSD", "ZONAL", "REGIONAL", "ENTERPRISE"], var.home.tier) && var.home.capacity_gib >= (var.home.tier == "BASIC_SSD" ? 2560 : 1024)
    error_message = "home.tier must be a Filestore tier and capacity_gib at least 1024 (2560 for BASIC_SSD)."
  }
}

variable "shared" {
  description = "Shared group-writable instance: name, share_name, tier and capacity_gib (10 TB by default)."
  type = object({
    name         = string
    share_name   = string
    tier         = string
    capacity_gib = number
  })
  default = {
    name         = "shared"
    share_name   = "shared"
    tier         = "BASIC_HDD"
    capacity_gib = 10240
  }

  validation {
    condition     = contains(["BASIC_HDD", "BASIC_SSD", "ZONAL", "REGIONAL", "ENTERPRISE"], var.shared.tier) && var.shared.capacity_gib >= (var.shared.tier == "BASIC_SSD" ? 2560 : 1024)
    error_message = "shared.tier must be a Filestore tier and capacity_gib at least 1024 (2560 for BASIC_SSD)."
  }
}

variable "backups" {
  description = "Scheduled backups of both instances: enabled, schedule (five-field cron, UTC) and retention_days."
  type = object({
    enabled        = bool
    schedule       = string
    retention_days = number
  })
  default = {
    enabled        = true
    schedule       = "0 3 * * *"
    retention_days = 14
  }

  validation {
    condition     = length(split(" ", var.backups.schedule)) == 5 && var.backups.retention_days >= 1 && var.backups.retention_days <= 365
    error_message = "backups needs a five-field cron schedule and retention_days from 1 to 365."
  }
}

variable "labels" {
  description = "Labels for the instances and backups."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "labels must be Google Cloud labels: lower-case keys and values of at most 63 characters."
  }
}
