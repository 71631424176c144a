# Artifact Registry remote repositories: pull-through caches of the upstream registries, in the
# cluster's region, so image pulls stay inside Google's network and survive upstream rate limits.

locals {
  upstreams = { for u in var.upstreams : u.name => u }

  # Each image keeps as many recent versions as fit its share of the cache budget (at least two:
  # the current image and the previous one).
  keep_versions = max(2, floor(var.cache_gib / (max(1, length(var.upstreams)) * var.image_size_gib)))

  host     = "${var.region}-docker.pkg.dev"
  prefixes = { for name, u in local.upstreams : u.registry => "${local.host}/${var.project_id}/${name}" }

  with_credentials = { for name, u in local.upstreams : name => u if u.credentials_secret != null }
}

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_artifact_registry_repository" "mirror" {
  # checkov:skip=CKV_GCP_84: a cache of public images; Google-managed encryption is sufficient.
  for_each = local.upstreams

  project       = var.project_id
  location      = var.region
  repository_id = each.key
  format        = "DOCKER"
  mode          = "REMOTE_REPOSITORY"
  description   = "Pull-through cache of ${each.value.registry}"
  labels        = var.labels

  remote_repository_config {
    description = each.value.registry

    docker_repository {
      public_repository = each.value.registry == "docker.io" ? "DOCKER_HUB" : null

      dynamic "custom_repository" {
        for_each = each.value.registry == "docker.io" ? [] : [each.value.registry]
        content {
          uri = "https://${custom_repository.value}"
        }
      }
    }

    dynamic "upstream_credentials" {
      for_each = each.value.credentials_secret == null ? [] : [each.value]
      content {
        username_password_credentials {
          username                = upstream_credentials.value.username
          password_secret_version = "projects/${var.project_id}/secrets/${upstream_credentials.value.credentials_secret}/versions/latest"
        }
      }
    }
  }

  cleanup_policy_dry_run = false

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "${var.max_age_days * 86400}s"
    }
  }

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = local.keep_versions
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.upstream]
}

# The Artifact Registry service agent reads the upstream passwords; nothing else sees them.
resource "google_secret_manager_secret_iam_member" "upstream" {
  for_each = local.with_credentials

  project   = var.project_id
  secret_id = each.value.credentials_secret
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-artifactregistry.iam.gserviceaccount.com"
}

resource "google_artifact_registry_repository_iam_member" "readers" {
  for_each = {
    for pair in setproduct(keys(local.upstreams), keys(var.reader_members)) : "${pair[0]}/${pair[1]}" => {
      repository = pair[0]
      member     = var.reader_members[pair[1]]
    }
  }

  project    = var.project_id
  location   = var.region
  repository = google_artifact_registry_repository.mirror[each.value.repository].name
  role       = "roles/artifactregistry.reader"
  member     = each.value.member
}
