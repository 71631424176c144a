output "values" {
  description = "Helm values for zero-to-jupyterhub (merged by Helm over the chart defaults)."
  value       = local.values
}

output "image_refs" {
  description = "The image references the labs use (repo@sha256:... when pinned, else repo:tag)."
  value       = [for i in local.images : i.ref]
}
