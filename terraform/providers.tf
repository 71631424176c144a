provider "google" {
  project        = var.project_id
  region         = var.region
  default_labels = var.labels
}

# The Kubernetes and Helm providers reach the cluster created in this same root through its public
# endpoint (restricted to the authorized networks) with the caller's Google access token.
data "google_client_config" "current" {}

provider "kubernetes" {
  host                   = "https://${module.gke.endpoint}"
  token                  = data.google_client_config.current.access_token
  cluster_ca_certificate = base64decode(module.gke.ca_certificate)
}

provider "helm" {
  kubernetes = {
    host                   = "https://${module.gke.endpoint}"
    token                  = data.google_client_config.current.access_token
    cluster_ca_certificate = base64decode(module.gke.ca_certificate)
  }
}
