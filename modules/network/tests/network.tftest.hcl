# Plan-level behaviour of the network module against the google provider's schema (mocked).

mock_provider "google" {}

variables {
  project_id    = "sciplat-test"
  region        = "us-central1"
  name          = "sciplat-test-vpc"
  subnet_cidr   = "10.10.0.0/20"
  pods_cidr     = "10.12.0.0/14"
  services_cidr = "10.10.16.0/20"
  master_cidr   = "172.16.0.16/28"
}

run "vpc_native_subnet" {
  command = plan

  assert {
    condition     = google_compute_network.vpc.auto_create_subnetworks == false
    error_message = "no auto-mode subnets"
  }
  assert {
    condition     = google_compute_subnetwork.nodes.ip_cidr_range == "10.10.0.0/20" && google_compute_subnetwork.nodes.private_ip_google_access == true
    error_message = "nodes live on subnet_cidr and reach Google APIs privately"
  }
  assert {
    condition = { for r in google_compute_subnetwork.nodes.secondary_ip_range : r.range_name => r.ip_cidr_range } == {
      "sciplat-test-vpc-pods"     = "10.12.0.0/14"
      "sciplat-test-vpc-services" = "10.10.16.0/20"
    }
    error_message = "pods and services get their secondary ranges"
  }
  assert {
    condition     = output.pods_range_name == "sciplat-test-vpc-pods" && output.services_range_name == "sciplat-test-vpc-services"
    error_message = "the range names the cluster uses"
  }
  assert {
    condition     = output.cluster_cidrs == ["10.10.0.0/20", "10.12.0.0/14", "10.10.16.0/20"]
    error_message = "the NFS client ranges are the cluster's ranges"
  }
}

run "private_nodes_egress_through_nat" {
  command = plan

  assert {
    condition     = google_compute_router_nat.nat.source_subnetwork_ip_ranges_to_nat == "LIST_OF_SUBNETWORKS"
    error_message = "NAT serves only the node subnet"
  }
  assert {
    condition     = google_compute_router_nat.nat.log_config[0].enable == true
    error_message = "NAT errors are logged"
  }
}

run "firewall_admits_only_what_the_cluster_needs" {
  command = plan

  assert {
    condition     = google_compute_firewall.control_plane_webhooks.source_ranges == toset(["172.16.0.16/28"])
    error_message = "only the control plane reaches the webhook ports"
  }
  assert {
    condition     = google_compute_firewall.deny_ingress.priority == 65000 && [for d in google_compute_firewall.deny_ingress.deny : d.protocol] == ["all"]
    error_message = "everything else inbound is denied last"
  }
  assert {
    condition     = toset(google_compute_firewall.intra_cluster.source_ranges) == toset(["10.10.0.0/20", "10.12.0.0/14", "10.10.16.0/20"])
    error_message = "intra-cluster traffic is limited to the cluster's ranges"
  }
}

run "rejects_control_plane_range_not_a_28" {
  command = plan

  variables {
    master_cidr = "172.16.0.0/24"
  }

  expect_failures = [var.master_cidr]
}

run "rejects_bad_cidr" {
  command = plan

  variables {
    pods_cidr = "10.12.0.0/33"
  }

  expect_failures = [var.pods_cidr]
}

run "rejects_flow_sampling_above_one" {
  command = plan

  variables {
    flow_log_sampling = 1.5
  }

  expect_failures = [var.flow_log_sampling]
}
