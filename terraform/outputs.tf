output "environment" {
  description = "The environment this state belongs to."
  value       = var.environment
}

output "cluster_name" {
  description = "Name of the GKE cluster."
  value       = module.gke.cluster_name
}

output "cluster_location" {
  description = "Location of the cluster (region or zone), for `gcloud container clusters get-credentials`."
  value       = module.gke.location
}

output "cluster_endpoint" {
  description = "IP address of the control plane's public endpoint (reachable from the authorized networks only)."
  value       = module.gke.endpoint
}

output "cluster_dns_endpoint" {
  description = "DNS-based control-plane endpoint (IAM-authorized, reachable from anywhere): `gcloud container clusters get-credentials NAME --location LOCATION --dns-endpoint` uses it."
  value       = module.gke.dns_endpoint
}

output "mirror_prefixes" {
  description = "Artifact Registry mirror prefix per upstream host; empty when the mirror is disabled."
  value       = local.mirror_prefixes
}

output "filestore_ips" {
  description = "NFS server addresses of the home and shared Filestore instances."
  value = {
    home   = module.filestore.home_ip
    shared = module.filestore.shared_ip
  }
}

output "hub_url" {
  description = "Where users log in."
  value       = module.hub.hub_url
}

output "proxy_ip" {
  description = "Reserved address of the Hub's proxy; the domain's DNS A record points here."
  value       = google_compute_address.proxy.address
}

output "image_refs" {
  description = "Lab images as the cluster pulls them (through the mirror, pinned by digest when known)."
  value       = module.hub.image_refs
}
