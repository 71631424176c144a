variable "project_id" {
  description = "Google Cloud project that holds the network."
  type        = string

  validation {
    condition     = length(var.project_id) >= 6
    error_message = "project_id must be a Google Cloud project id."
  }
}

variable "region" {
  description = "Region of the subnet, the Cloud Router and the NAT gateway."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must look like us-central1."
  }
}

variable "name" {
  description = "Name of the VPC; the subnet, router, NAT and firewall rules are named after it."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,48}[a-z0-9])?$", var.name))
    error_message = "name must be an RFC 1035 name of at most 50 characters."
  }
}

variable "subnet_cidr" {
  description = "Primary range of the subnet: node addresses."
  type        = string

  validation {
    condition     = can(cidrhost(var.subnet_cidr, 0))
    error_message = "subnet_cidr must be an IPv4 CIDR block."
  }
}

variable "pods_cidr" {
  description = "Secondary range for pod addresses (size from the capacity plan: nodes x max pods per node x 2)."
  type        = string

  validation {
    condition     = can(cidrhost(var.pods_cidr, 0))
    error_message = "pods_cidr must be an IPv4 CIDR block."
  }
}

variable "services_cidr" {
  description = "Secondary range for Kubernetes Service addresses."
  type        = string

  validation {
    condition     = can(cidrhost(var.services_cidr, 0))
    error_message = "services_cidr must be an IPv4 CIDR block."
  }
}

variable "master_cidr" {
  description = "The /28 of the private GKE control plane; the firewall lets it reach the nodes' webhook ports."
  type        = string

  validation {
    condition     = can(cidrhost(var.master_cidr, 0)) && endswith(var.master_cidr, "/28")
    error_message = "master_cidr must be a /28 CIDR block."
  }
}

variable "webhook_ports" {
  description = "TCP ports on the nodes that the control plane may call (admission webhooks, metrics API, kubelet)."
  type        = list(string)
  default     = ["443", "8443", "9443", "10250"]

  validation {
    condition     = alltrue([for p in var.webhook_ports : can(regex("^[0-9]+(-[0-9]+)?$", p))])
    error_message = "webhook_ports must be port numbers or ranges such as 8443 or 9000-9100."
  }
}

variable "flow_log_sampling" {
  description = "Share of VPC flow log records kept (0 to 1)."
  type        = number
  default     = 0.5

  validation {
    condition     = var.flow_log_sampling > 0 && var.flow_log_sampling <= 1
    error_message = "flow_log_sampling must be in (0, 1]."
  }
}
