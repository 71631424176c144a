# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/google" {
  version     = "7.45.0"
  constraints = ">= 7.0.0, < 8.0.0"
  hashes = [
    "h1:H1bp/Itr/ARUE3Rk1VU0NPxFS1EBfVCTUo7vUVq9BBE=",
  ]
}
