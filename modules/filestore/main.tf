# Two Filestore NFS instances: homes (one `{username}` directory per user, root squashed) and a
# shared group-writable volume. Both are deletion protected twice (in the API and in Terraform) and
# backed up on a schedule by a small Cloud Workflow that Cloud Scheduler starts.

locals {
  zonal_tiers = ["BASIC_HDD", "BASIC_SSD", "ZONAL"]

  instances = {
    home   = var.home
    shared = var.shared
  }

  location = { for k, v in local.instances : k => contains(local.zonal_tiers, v.tier) ? var.zone : var.region }

  squashed_cidrs = [for c in var.client_cidrs : c if !contains(var.node_cidrs, c)]
}

resource "google_filestore_instance" "home" {
  project  = var.project_id
  name     = var.home.name
  location = local.location["home"]
  tier     = var.home.tier
  labels   = merge(var.labels, { role = "home" })

  deletion_protection_enabled = true
  deletion_protection_reason  = "User home directories"

  file_shares {
    name        = var.home.share_name
    capacity_gb = var.home.capacity_gib

    # Pod and service ranges: root squashed.
    dynamic "nfs_export_options" {
      for_each = length(local.squashed_cidrs) > 0 ? [local.squashed_cidrs] : []
      content {
        ip_ranges   = nfs_export_options.value
        access_mode = "READ_WRITE"
        squash_mode = "ROOT_SQUASH"
        anon_uid    = 65534
        anon_gid    = 65534
      }
    }

    # The nodes: the kubelet mounts every pod's NFS volume from its node's address, and the hub's
    # storage jobs must act as root (prepare the share roots, measure every home). Labs never run
    # as root (runAsNonRoot on every lab container), so no lab can use this.
    dynamic "nfs_export_options" {
      for_each = length(var.node_cidrs) > 0 ? [var.node_cidrs] : []
      content {
        ip_ranges   = nfs_export_options.value
        access_mode = "READ_WRITE"
        squash_mode = "NO_ROOT_SQUASH"
      }
    }

    # The documented exception: admin hosts may act as root (create, chown, restore homes).
    dynamic "nfs_export_options" {
      for_each = length(var.admin_cidrs) > 0 ? [var.admin_cidrs] : []
      content {
        ip_ranges   = nfs_export_options.value
        access_mode = "READ_WRITE"
        squash_mode = "NO_ROOT_SQUASH"
      }
    }
  }

  networks {
    network      = var.network_name
    modes        = ["MODE_IPV4"]
    connect_mode = "DIRECT_PEERING"
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "google_filestore_instance" "shared" {
  project  = var.project_id
  name     = var.shared.name
  location = local.location["shared"]
  tier     = var.shared.tier
  labels   = merge(var.labels, { role = "shared" })

  deletion_protection_enabled = true
  deletion_protection_reason  = "Shared group-writable project data"

  file_shares {
    name        = var.shared.share_name
    capacity_gb = var.shared.capacity_gib

    # Pod and service ranges: root squashed.
    dynamic "nfs_export_options" {
      for_each = length(local.squashed_cidrs) > 0 ? [local.squashed_cidrs] : []
      content {
        ip_ranges   = nfs_export_options.value
        access_mode = "READ_WRITE"
        squash_mode = "ROOT_SQUASH"
        anon_uid    = 65534
        anon_gid    = 65534
      }
    }

    # The nodes: the kubelet mounts every pod's NFS volume from its node's address, and the hub's
    # storage jobs must act as root (prepare the share roots, measure every home). Labs never run
    # as root (runAsNonRoot on every lab container), so no lab can use this.
    dynamic "nfs_export_options" {
      for_each = length(var.node_cidrs) > 0 ? [var.node_cidrs] : []
      content {
        ip_ranges   = nfs_export_options.value
        access_mode = "READ_WRITE"
        squash_mode = "NO_ROOT_SQUASH"
      }
    }

    dynamic "nfs_export_options" {
      for_each = length(var.admin_cidrs) > 0 ? [var.admin_cidrs] : []
      content {
        ip_ranges   = nfs_export_options.value
        access_mode = "READ_WRITE"
        squash_mode = "NO_ROOT_SQUASH"
      }
    }
  }

  networks {
    network      = var.network_name
    modes        = ["MODE_IPV4"]
    connect_mode = "DIRECT_PEERING"
  }

  lifecycle {
    prevent_destroy = true
  }
}

# --- Scheduled backups ------------------------------------------------------------------------
# Filestore backups are regional, incremental copies that outlive the instance and its zone, and
# every tier supports them. The workflow takes one backup per run and deletes this instance's
# backups older than the retention.

resource "google_service_account" "backups" {
  count = var.backups.enabled ? 1 : 0

  project      = var.project_id
  account_id   = trimsuffix(substr("${var.home.name}-backups", 0, 30), "-")
  display_name = "Filestore backups of ${var.home.name} and ${var.shared.name}"
}

resource "google_project_iam_member" "backups_file_editor" {
  count = var.backups.enabled ? 1 : 0

  project = var.project_id
  role    = "roles/file.editor"
  member  = google_service_account.backups[0].member
}

resource "google_project_iam_member" "backups_workflow_invoker" {
  count = var.backups.enabled ? 1 : 0

  project = var.project_id
  role    = "roles/workflows.invoker"
  member  = google_service_account.backups[0].member
}

resource "google_workflows_workflow" "backup" {
  count = var.backups.enabled ? 1 : 0

  project         = var.project_id
  name            = "${var.home.name}-backup"
  region          = var.region
  description     = "Back up one Filestore share and prune backups older than the retention."
  service_account = google_service_account.backups[0].id
  labels          = var.labels
  call_log_level  = "LOG_ERRORS_ONLY"

  source_contents = yamlencode({
    main = {
      params = ["args"]
      steps = [
        {
          init = {
            assign = [
              { parent = "$${\"projects/\" + args.project + \"/locations/\" + args.region}" },
              { now = "$${sys.now()}" },
              { cutoff = "$${sys.now() - args.retention_days * 86400}" },
            ]
          }
        },
        {
          create = {
            call = "googleapis.file.v1.projects.locations.backups.create"
            args = {
              parent   = "$${parent}"
              backupId = "$${args.instance + \"-\" + string(int(now))}"
              body = {
                sourceInstance  = "$${args.source_instance}"
                sourceFileShare = "$${args.share}"
                labels          = { "sciplat_instance" = "$${args.instance}" }
              }
            }
          }
        },
        {
          list = {
            call   = "googleapis.file.v1.projects.locations.backups.list"
            args   = { parent = "$${parent}", filter = "$${\"labels.sciplat_instance=\" + args.instance}" }
            result = "listing"
          }
        },
        {
          prune = {
            "for" = {
              value = "backup"
              in    = "$${default(map.get(listing, \"backups\"), [])}"
              steps = [{
                expired = {
                  switch = [{
                    condition = "$${time.parse(backup.createTime) < cutoff}"
                    steps = [{
                      delete = {
                        call = "googleapis.file.v1.projects.locations.backups.delete"
                        args = { name = "$${backup.name}" }
                      }
                    }]
                  }]
                }
              }]
            }
          }
        },
      ]
    }
  })
}

resource "google_cloud_scheduler_job" "backup" {
  for_each = var.backups.enabled ? {
    home   = google_filestore_instance.home
    shared = google_filestore_instance.shared
  } : {}

  project     = var.project_id
  region      = var.region
  name        = "${each.value.name}-backup"
  description = "Scheduled Filestore backup of ${each.value.name}"
  schedule    = var.backups.schedule
  time_zone   = "Etc/UTC"

  retry_config {
    retry_count = 2
  }

  http_target {
    http_method = "POST"
    uri         = "https://workflowexecutions.googleapis.com/v1/${google_workflows_workflow.backup[0].id}/executions"
    body = base64encode(jsonencode({
      argument = jsonencode({
        project         = var.project_id
        region          = var.region
        instance        = each.value.name
        source_instance = each.value.id
        share           = each.value.file_shares[0].name
        retention_days  = var.backups.retention_days
      })
    }))
    headers = { "Content-Type" = "application/json" }

    oauth_token {
      service_account_email = google_service_account.backups[0].email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }
}
