# Plan-level behaviour of the filestore module against the google provider's schema (mocked).

mock_provider "google" {}

variables {
  project_id   = "sciplat-test"
  region       = "us-central1"
  zone         = "us-central1-a"
  network_name = "sciplat-test-vpc"
  client_cidrs = ["10.10.0.0/20", "10.12.0.0/14"]
  labels       = { environment = "test" }
  home = {
    name         = "sciplat-test-home"
    share_name   = "home"
    tier         = "BASIC_SSD"
    capacity_gib = 5120
  }
  shared = {
    name         = "sciplat-test-shared"
    share_name   = "shared"
    tier         = "BASIC_HDD"
    capacity_gib = 10240
  }
  backups = { enabled = true, schedule = "0 3 * * *", retention_days = 14 }
}

run "home_and_shared_from_the_plan" {
  command = plan

  assert {
    condition     = google_filestore_instance.home.tier == "BASIC_SSD" && google_filestore_instance.home.file_shares[0].capacity_gb == 5120
    error_message = "home tier and capacity come from the capacity plan"
  }
  assert {
    condition     = google_filestore_instance.shared.tier == "BASIC_HDD" && google_filestore_instance.shared.file_shares[0].capacity_gb == 10240
    error_message = "shared tier and capacity come from the variables"
  }
  assert {
    condition     = google_filestore_instance.home.deletion_protection_enabled == true && google_filestore_instance.shared.deletion_protection_enabled == true
    error_message = "both instances are deletion protected in the API"
  }
  assert {
    condition     = google_filestore_instance.home.location == "us-central1-a"
    error_message = "basic tiers are zonal: the instance lives in the zone"
  }
  assert {
    condition     = google_filestore_instance.home.file_shares[0].name == "home" && output.home_share == "/home"
    error_message = "the home share name and export path"
  }
  assert {
    condition     = google_filestore_instance.home.networks[0].network == "sciplat-test-vpc" && google_filestore_instance.home.networks[0].connect_mode == "DIRECT_PEERING"
    error_message = "Filestore peers with the cluster's VPC"
  }
  assert {
    condition     = google_filestore_instance.home.labels["role"] == "home" && google_filestore_instance.home.labels["environment"] == "test"
    error_message = "labels carry the role and the environment"
  }
}

run "homes_are_root_squashed" {
  command = plan

  assert {
    condition     = length(google_filestore_instance.home.file_shares[0].nfs_export_options) == 1
    error_message = "without admin CIDRs there is exactly one export rule"
  }
  assert {
    condition     = google_filestore_instance.home.file_shares[0].nfs_export_options[0].squash_mode == "ROOT_SQUASH"
    error_message = "cluster clients are root squashed"
  }
  assert {
    condition     = google_filestore_instance.home.file_shares[0].nfs_export_options[0].ip_ranges == tolist(["10.10.0.0/20", "10.12.0.0/14"])
    error_message = "only the cluster's ranges may mount"
  }
  assert {
    condition     = google_filestore_instance.home.file_shares[0].nfs_export_options[0].anon_uid == 65534
    error_message = "squashed root maps to nobody"
  }
}

run "nodes_may_act_as_root_pods_may_not" {
  command = plan

  variables {
    client_cidrs = ["10.10.0.0/20", "10.12.0.0/14", "10.10.16.0/20"]
    node_cidrs   = ["10.10.0.0/20"]
  }

  assert {
    condition = [for o in google_filestore_instance.home.file_shares[0].nfs_export_options :
    o.squash_mode if o.ip_ranges == tolist(["10.10.0.0/20"])] == ["NO_ROOT_SQUASH"]
    error_message = "the nodes (where the kubelet mounts pods' NFS volumes and the storage jobs run as root) are not root squashed"
  }
  assert {
    condition = [for o in google_filestore_instance.shared.file_shares[0].nfs_export_options :
    o.squash_mode if o.ip_ranges == tolist(["10.12.0.0/14", "10.10.16.0/20"])] == ["ROOT_SQUASH"]
    error_message = "the pod and service ranges stay root squashed"
  }
  assert {
    condition     = length(google_filestore_instance.home.file_shares[0].nfs_export_options) == 2
    error_message = "no range appears in two export rules"
  }
}

run "admin_hosts_may_act_as_root" {
  command = plan

  variables {
    admin_cidrs = ["192.0.2.10/32"]
  }

  assert {
    condition = [for o in google_filestore_instance.home.file_shares[0].nfs_export_options :
    o.squash_mode if o.ip_ranges == tolist(["192.0.2.10/32"])] == ["NO_ROOT_SQUASH"]
    error_message = "the admin CIDRs get a NO_ROOT_SQUASH export rule"
  }
}

run "enterprise_tier_is_regional" {
  command = plan

  variables {
    home = {
      name         = "sciplat-test-home"
      share_name   = "home"
      tier         = "ENTERPRISE"
      capacity_gib = 1024
    }
  }

  assert {
    condition     = google_filestore_instance.home.location == "us-central1"
    error_message = "regional tiers live in the region"
  }
}

run "scheduled_backups" {
  command = plan

  assert {
    condition     = toset(keys(google_cloud_scheduler_job.backup)) == toset(["home", "shared"])
    error_message = "one backup job per instance"
  }
  assert {
    condition     = google_cloud_scheduler_job.backup["home"].schedule == "0 3 * * *" && google_cloud_scheduler_job.backup["home"].time_zone == "Etc/UTC"
    error_message = "the backup schedule comes from the variables, in UTC"
  }
  assert {
    condition     = google_cloud_scheduler_job.backup["shared"].http_target[0].http_method == "POST" && google_cloud_scheduler_job.backup["shared"].retry_config[0].retry_count == 2
    error_message = "the job starts a workflow execution and retries"
  }
  assert {
    condition     = length(yamldecode(google_workflows_workflow.backup[0].source_contents).main.steps) == 4
    error_message = "the workflow backs up, lists and prunes"
  }
  assert {
    condition     = toset([for m in concat(google_project_iam_member.backups_file_editor, google_project_iam_member.backups_workflow_invoker) : m.role]) == toset(["roles/file.editor", "roles/workflows.invoker"])
    error_message = "the backup identity has only the roles it needs"
  }
}

run "backups_can_be_disabled" {
  command = plan

  variables {
    backups = { enabled = false, schedule = "0 3 * * *", retention_days = 14 }
  }

  assert {
    condition     = length(google_cloud_scheduler_job.backup) == 0 && length(google_workflows_workflow.backup) == 0 && length(google_service_account.backups) == 0
    error_message = "no backup machinery when backups are off"
  }
}

run "rejects_unknown_tier" {
  command = plan

  variables {
    home = { name = "h", share_name = "home", tier = "PREMIUM", capacity_gib = 2048 }
  }

  expect_failures = [var.home]
}

run "rejects_home_below_minimum_capacity" {
  command = plan

  variables {
    home = { name = "h", share_name = "home", tier = "BASIC_HDD", capacity_gib = 512 }
  }

  expect_failures = [var.home]
}

run "rejects_world_mountable_share" {
  command = plan

  variables {
    client_cidrs = ["0.0.0.0/0"]
  }

  expect_failures = [var.client_cidrs]
}

run "rejects_bad_backup_schedule" {
  command = plan

  variables {
    backups = { enabled = true, schedule = "daily", retention_days = 14 }
  }

  expect_failures = [var.backups]
}
