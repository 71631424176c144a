output "network_id" {
  description = "Id of the VPC (projects/<p>/global/networks/<name>)."
  value       = google_compute_network.vpc.id
}

output "network_name" {
  description = "Name of the VPC."
  value       = google_compute_network.vpc.name
}

output "subnet_id" {
  description = "Id of the node subnet."
  value       = google_compute_subnetwork.nodes.id
}

output "subnet_name" {
  description = "Name of the node subnet."
  value       = google_compute_subnetwork.nodes.name
}

output "pods_range_name" {
  description = "Name of the secondary range for pods (the cluster's ip_allocation_policy)."
  value       = local.pods_range_name
}

output "services_range_name" {
  description = "Name of the secondary range for services."
  value       = local.services_range_name
}

output "cluster_cidrs" {
  description = "The ranges the cluster's traffic comes from (nodes, pods, services): NFS clients allowed by Filestore."
  value       = [var.subnet_cidr, var.pods_cidr, var.services_cidr]
}
