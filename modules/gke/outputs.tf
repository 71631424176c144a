output "cluster_name" {
  description = "Name of the cluster."
  value       = google_container_cluster.this.name
}

output "cluster_id" {
  description = "Id of the cluster."
  value       = google_container_cluster.this.id
}

output "location" {
  description = "Location of the cluster: the region (regional) or zones[0] (zonal)."
  value       = google_container_cluster.this.location
}

output "dns_endpoint" {
  description = "DNS name of the control plane (IAM-authorized, publicly trusted certificate): the host Terraform, CI and `sciplat verify` use."
  value       = google_container_cluster.this.control_plane_endpoints_config[0].dns_endpoint_config[0].endpoint
}

output "endpoint" {
  description = "IP address of the control plane's public endpoint (reachable from the authorized networks only)."
  value       = google_container_cluster.this.endpoint
}

output "ca_certificate" {
  description = "Base64 PEM of the cluster CA, for clients of the IP endpoint (the DNS endpoint needs none)."
  value       = google_container_cluster.this.master_auth[0].cluster_ca_certificate
  sensitive   = true
}

output "node_service_account" {
  description = "Email of the nodes' service account (granted Artifact Registry read on the mirror)."
  value       = google_service_account.nodes.email
}

output "workload_pool" {
  description = "Workload Identity pool of the cluster."
  value       = "${var.project_id}.svc.id.goog"
}

output "user_pool_names" {
  description = "Names of the user node pools."
  value       = [for p in google_container_node_pool.user : p.name]
}

output "extra_pool_names" {
  description = "Names of the pools outside core and user (node_pools.extra, the dask pool)."
  value       = [for p in google_container_node_pool.extra : p.name]
}
