output "values" {
  description = "Helm values for dask-gateway (merged by Helm over the chart defaults)."
  value       = local.values
}

output "address" {
  description = "The gateway's API as labs reach it (namespace-qualified, through its traefik)."
  value       = "http://${local.traefik_dns}${local.prefix}"
}

output "proxy_address" {
  description = "The schedulers' TCP proxy as labs reach it (gateway:// scheme of the Dask client)."
  value       = "gateway://${local.traefik_dns}:80"
}

output "service_url" {
  description = "Where the Hub's proxy sends /services/<release_name>/ (the Hub service's url)."
  value       = "http://${local.traefik_dns}"
}

output "prefix" {
  description = "Path prefix of the gateway's API and of every cluster's dashboard."
  value       = local.prefix
}
