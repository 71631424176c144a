output "home_ip" {
  description = "NFS server address of the home instance."
  value       = google_filestore_instance.home.networks[0].ip_addresses[0]
}

output "home_share" {
  description = "Export path of the home share (/<share_name>)."
  value       = "/${google_filestore_instance.home.file_shares[0].name}"
}

output "home_capacity_gib" {
  description = "Provisioned capacity of the home share in GiB."
  value       = google_filestore_instance.home.file_shares[0].capacity_gb
}

output "shared_ip" {
  description = "NFS server address of the shared instance."
  value       = google_filestore_instance.shared.networks[0].ip_addresses[0]
}

output "shared_share" {
  description = "Export path of the shared share (/<share_name>)."
  value       = "/${google_filestore_instance.shared.file_shares[0].name}"
}

output "shared_capacity_gib" {
  description = "Provisioned capacity of the shared share in GiB."
  value       = google_filestore_instance.shared.file_shares[0].capacity_gb
}

output "backup_jobs" {
  description = "Cloud Scheduler jobs that start the backups (empty when backups are disabled)."
  value       = [for j in google_cloud_scheduler_job.backup : j.name]
}
