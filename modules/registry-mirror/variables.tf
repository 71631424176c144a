variable "project_id" {
  description = "Google Cloud project of the repositories."
  type        = string

  validation {
    condition     = length(var.project_id) >= 6
    error_message = "project_id must be a Google Cloud project id."
  }
}

variable "region" {
  description = "Region of the repositories (the cluster's region, so pulls stay in-region)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must look like us-central1."
  }
}

variable "upstreams" {
  description = "One remote repository per upstream: name (repository id), registry (docker.io | quay.io | ghcr.io | registry.k8s.io | another host), credentials_secret (Secret Manager secret id holding the upstream password, or null) and username (or null)."
  type = list(object({
    name               = string
    registry           = string
    credentials_secret = optional(string)
    username           = optional(string)
  }))

  validation {
    condition     = alltrue([for u in var.upstreams : can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", u.name)) && can(regex("^[a-z0-9.-]+(:[0-9]+)?$", u.registry))])
    error_message = "upstreams[*].name must be a lower-case repository id and registry a host name."
  }
  validation {
    condition     = length(distinct([for u in var.upstreams : u.name])) == length(var.upstreams) && length(distinct([for u in var.upstreams : u.registry])) == length(var.upstreams)
    error_message = "upstreams must have unique names and registries."
  }
  validation {
    condition     = alltrue([for u in var.upstreams : (u.credentials_secret == null) == (u.username == null)])
    error_message = "upstreams[*].credentials_secret and username go together."
  }
}

variable "cache_gib" {
  description = "Registry cache budget in GiB; the cleanup policies keep the caches under it."
  type        = number
  default     = 250

  validation {
    condition     = var.cache_gib >= 10
    error_message = "cache_gib must be at least 10."
  }
}

variable "image_size_gib" {
  description = "Typical size of a cached image in GiB; with cache_gib it sets how many versions each image keeps."
  type        = number
  default     = 10

  validation {
    condition     = var.image_size_gib > 0
    error_message = "image_size_gib must be positive."
  }
}

variable "max_age_days" {
  description = "Cached versions older than this are deleted unless they are among the most recent ones kept."
  type        = number
  default     = 30

  validation {
    condition     = var.max_age_days >= 1
    error_message = "max_age_days must be at least 1."
  }
}

variable "reader_members" {
  description = "IAM members that may pull from the mirror, by a static key (e.g. {nodes = \"serviceAccount:...\"}); static keys keep for_each known at plan time."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, m in var.reader_members : can(regex("^(serviceAccount|group|user):", m))])
    error_message = "reader_members must be IAM members such as serviceAccount:nodes@p.iam.gserviceaccount.com."
  }
}

variable "labels" {
  description = "Labels for the repositories."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "labels must be Google Cloud labels: lower-case keys and values of at most 63 characters."
  }
}
