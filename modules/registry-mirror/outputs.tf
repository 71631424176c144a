output "prefixes" {
  description = "Mirror prefix per upstream host, e.g. {\"docker.io\" = \"us-central1-docker.pkg.dev/p/dockerhub\"}; an image upstream/repo:tag is pulled as prefix/repo:tag (Docker Hub official images are library/<name>)."
  value       = local.prefixes
}

output "repository_ids" {
  description = "Ids of the remote repositories."
  value       = [for r in google_artifact_registry_repository.mirror : r.id]
}

output "keep_versions" {
  description = "How many recent versions of each image the cleanup policies keep."
  value       = local.keep_versions
}
