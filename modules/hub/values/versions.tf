# Provider-free on purpose: this submodule only computes the Helm values of the Hub, so tests can
# evaluate it with the terraform binary alone.
terraform {
  required_version = ">= 1.9"
}
