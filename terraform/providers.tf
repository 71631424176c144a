provider "google" {
  project        = var.project_id
  region         = var.region
  default_labels = var.labels

  # The Budget API (modules/budget) needs a quota project when called with user credentials.
  billing_project       = var.project_id
  user_project_override = true
}

# The Kubernetes and Helm providers reach the cluster created in this same root through its
# DNS-based control-plane endpoint with the caller's Google access token. That endpoint is
# authorized by IAM (container.clusters.connect), not by source address, so CI runners outside the
# authorized networks reach it too; it serves a publicly trusted certificate, so no cluster CA is
# passed (the cluster's own CA does not sign it, and passing it fails the TLS handshake).
data "google_client_config" "current" {}

provider "kubernetes" {
  host  = "https://${module.gke.dns_endpoint}"
  token = data.google_client_config.current.access_token
}

provider "helm" {
  kubernetes = {
    host  = "https://${module.gke.dns_endpoint}"
    token = data.google_client_config.current.access_token
  }
}
