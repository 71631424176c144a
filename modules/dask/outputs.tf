output "values" {
  description = "The Helm values of the dask-gateway release."
  value       = module.values.values
}

output "address" {
  description = "The gateway's API as labs reach it (namespace-qualified, through its traefik)."
  value       = module.values.address
}

output "proxy_address" {
  description = "The schedulers' TCP proxy as labs reach it (gateway:// scheme of the Dask client)."
  value       = module.values.proxy_address
}

output "service_url" {
  description = "Where the Hub's proxy sends /services/<release_name>/ (the Hub service's url)."
  value       = module.values.service_url
}

output "prefix" {
  description = "Path prefix of the gateway's API and of every cluster's dashboard."
  value       = module.values.prefix
}

output "release" {
  description = "Name, namespace, chart and version of the installed release."
  value = {
    name      = helm_release.gateway.name
    namespace = helm_release.gateway.namespace
    chart     = helm_release.gateway.chart
    version   = helm_release.gateway.version
  }
}
