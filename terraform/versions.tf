terraform {
  required_version = ">= 1.9"

  # Partial configuration: `sciplat render ENV` writes build/ENV/backend.hcl (bucket and prefix), so
  # every environment has its own state under one root.
  backend "gcs" {}

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "7.46.1"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "3.4.0"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "3.3.0"
    }
  }
}
