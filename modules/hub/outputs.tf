output "namespace" {
  description = "Namespace of the Hub and the labs."
  value       = kubernetes_namespace_v1.hub.metadata[0].name
}

output "hub_url" {
  description = "Where users log in."
  value       = "https://${var.domain}/"
}

output "release" {
  description = "Helm release name and chart version."
  value       = "${helm_release.hub.name} (jupyterhub ${helm_release.hub.version})"
}

output "image_refs" {
  description = "The image references offered in the profile list and pre-pulled on every user node."
  value       = module.values.image_refs
}
