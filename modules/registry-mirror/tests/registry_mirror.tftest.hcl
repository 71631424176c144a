# Plan-level behaviour of the registry-mirror module against the google provider's schema (mocked).

mock_provider "google" {
  override_during = plan

  mock_data "google_project" {
    defaults = {
      number = "123456789012"
    }
  }
}

variables {
  project_id = "sciplat-test"
  region     = "us-central1"
  cache_gib  = 250
  upstreams = [
    { name = "dockerhub", registry = "docker.io" },
    { name = "quay", registry = "quay.io" },
    { name = "ghcr", registry = "ghcr.io", credentials_secret = "ghcr-token", username = "sciplat-bot" },
  ]
  reader_members = {
    nodes = "serviceAccount:sciplat-test-nodes@sciplat-test.iam.gserviceaccount.com"
  }
}

run "remote_repositories" {
  command = plan

  assert {
    condition     = toset(keys(google_artifact_registry_repository.mirror)) == toset(["dockerhub", "quay", "ghcr"])
    error_message = "one repository per upstream"
  }
  assert {
    condition     = alltrue([for r in google_artifact_registry_repository.mirror : r.mode == "REMOTE_REPOSITORY" && r.format == "DOCKER"])
    error_message = "every repository is a Docker remote repository (pull-through cache)"
  }
  assert {
    condition     = google_artifact_registry_repository.mirror["dockerhub"].remote_repository_config[0].docker_repository[0].public_repository == "DOCKER_HUB"
    error_message = "Docker Hub uses the built-in upstream"
  }
  assert {
    condition     = google_artifact_registry_repository.mirror["quay"].remote_repository_config[0].docker_repository[0].custom_repository[0].uri == "https://quay.io"
    error_message = "other registries are custom upstreams"
  }
  assert {
    condition     = output.prefixes["docker.io"] == "us-central1-docker.pkg.dev/sciplat-test/dockerhub"
    error_message = "the mirror prefix of each upstream host"
  }
}

run "cleanup_policies_keep_the_cache_in_budget" {
  command = plan

  assert {
    condition     = alltrue([for r in google_artifact_registry_repository.mirror : r.cleanup_policy_dry_run == false])
    error_message = "cleanup policies are enforced, not dry-run"
  }
  assert {
    condition     = toset([for p in google_artifact_registry_repository.mirror["dockerhub"].cleanup_policies : p.id]) == toset(["delete-old", "keep-recent"])
    error_message = "each repository deletes old versions and keeps recent ones"
  }
  assert {
    condition = [for p in google_artifact_registry_repository.mirror["dockerhub"].cleanup_policies :
    p.most_recent_versions[0].keep_count if p.id == "keep-recent"] == [8]
    error_message = "keep_count = floor(250 GiB / (3 upstreams x 10 GiB)) = 8"
  }
  assert {
    condition = [for p in google_artifact_registry_repository.mirror["quay"].cleanup_policies :
    p.condition[0].older_than if p.id == "delete-old"] == ["2592000s"]
    error_message = "versions older than max_age_days (30) are deleted"
  }
}

run "upstream_credentials_from_secret_manager" {
  command = plan

  assert {
    condition     = google_artifact_registry_repository.mirror["ghcr"].remote_repository_config[0].upstream_credentials[0].username_password_credentials[0].password_secret_version == "projects/sciplat-test/secrets/ghcr-token/versions/latest"
    error_message = "the upstream password is a Secret Manager version, never a literal"
  }
  assert {
    condition     = length(google_artifact_registry_repository.mirror["quay"].remote_repository_config[0].upstream_credentials) == 0
    error_message = "anonymous upstreams carry no credentials"
  }
  assert {
    condition     = keys(google_secret_manager_secret_iam_member.upstream) == ["ghcr"]
    error_message = "only secrets in use are shared with the Artifact Registry agent"
  }
  assert {
    condition     = google_secret_manager_secret_iam_member.upstream["ghcr"].member == "serviceAccount:service-123456789012@gcp-sa-artifactregistry.iam.gserviceaccount.com"
    error_message = "the Artifact Registry service agent reads the secret"
  }
}

run "nodes_can_read" {
  command = plan

  assert {
    condition     = length(google_artifact_registry_repository_iam_member.readers) == 3
    error_message = "each reader gets each repository"
  }
  assert {
    condition     = alltrue([for m in google_artifact_registry_repository_iam_member.readers : m.role == "roles/artifactregistry.reader"])
    error_message = "readers can only read"
  }
}

run "small_budget_still_keeps_two_versions" {
  command = plan

  variables {
    cache_gib = 10
  }

  assert {
    condition     = output.keep_versions == 2
    error_message = "at least the current and the previous version are kept"
  }
}

run "rejects_credentials_without_username" {
  command = plan

  variables {
    upstreams = [{ name = "ghcr", registry = "ghcr.io", credentials_secret = "ghcr-token" }]
  }

  expect_failures = [var.upstreams]
}

run "rejects_bad_repository_id" {
  command = plan

  variables {
    upstreams = [{ name = "Docker_Hub", registry = "docker.io" }]
  }

  expect_failures = [var.upstreams]
}

run "rejects_non_member_reader" {
  command = plan

  variables {
    reader_members = { nodes = "sciplat-test-nodes@sciplat-test.iam.gserviceaccount.com" }
  }

  expect_failures = [var.reader_members]
}
