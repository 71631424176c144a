output "values" {
  description = "Helm values for zero-to-jupyterhub (merged by Helm over the chart defaults)."
  value       = local.values
}

output "image_refs" {
  description = "The image references the labs use (repo@sha256:... when pinned, else repo:tag)."
  value       = [for i in local.images : i.ref]
}

output "default_image" {
  description = "The default lab image reference (the first recommended image, else the first); the storage jobs run it too, as it is already on every user node."
  value       = local.default_image.ref
}

output "chart_image_names" {
  description = "The chart's own images (hub, proxy, traefik, secret sync, network tools, user scheduler, pause, image awaiter) as the release pulls them: through the mirror when it mirrors their registry."
  value       = local.chart_image
}
