# Storage that needs no admin step: a one-shot Job prepares the share roots, and a CronJob
# measures usage. Both run as root in the Hub's namespace (pod security "baseline"), on a user node
# where the lab image is already pulled, with the shares mounted through the claims above. Labs
# never run as root: their namespaces enforce the "restricted" pod security standard.

locals {
  usage_configmap = "sciplat-storage-usage"
  shared_gid      = var.identity.shared_gid

  storage_tolerations = [
    { key = "hub.jupyter.org/dedicated", value = "user" },
    { key = "hub.jupyter.org_dedicated", value = "user" },
  ]

  # The home root: anyone may create an entry (a lab's init container creates /<user> as the
  # user, mode 0700), nobody may list it, and the sticky bit keeps users from removing each
  # other's directories. The shared root: group-writable by the shared group, setgid so new files
  # belong to it.
  prepare_script = <<-SH
    set -eu
    chown 0:0 /shares/home
    chmod 1733 /shares/home
    chown 0:${local.shared_gid} /shares/shared
    chmod 2775 /shares/shared
    stat -c '%n %U:%G %a' /shares/home /shares/shared
  SH
}

resource "kubernetes_config_map_v1" "storage_scripts" {
  metadata {
    name      = "sciplat-storage-scripts"
    namespace = kubernetes_namespace_v1.hub.metadata[0].name
  }
  data = {
    "prepare.sh"       = local.prepare_script
    "measure_usage.py" = file("${path.module}/files/measure_usage.py")
  }
}

# Where the usage job writes its measurements; the job only updates it (Terraform creates it
# empty and then leaves its data alone).
resource "kubernetes_config_map_v1" "usage" {
  metadata {
    name      = local.usage_configmap
    namespace = kubernetes_namespace_v1.hub.metadata[0].name
  }
  data = { "usage.json" = "[]" }

  lifecycle {
    ignore_changes = [data]
  }
}

resource "kubernetes_service_account_v1" "storage" {
  metadata {
    name      = "sciplat-storage"
    namespace = kubernetes_namespace_v1.hub.metadata[0].name
  }
  automount_service_account_token = false
}

resource "kubernetes_role_v1" "storage" {
  metadata {
    name      = "sciplat-storage"
    namespace = kubernetes_namespace_v1.hub.metadata[0].name
  }
  rule {
    api_groups     = [""]
    resources      = ["configmaps"]
    resource_names = [local.usage_configmap]
    verbs          = ["get", "patch"]
  }
}

resource "kubernetes_role_binding_v1" "storage" {
  metadata {
    name      = "sciplat-storage"
    namespace = kubernetes_namespace_v1.hub.metadata[0].name
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = kubernetes_role_v1.storage.metadata[0].name
  }
  subject {
    kind      = "ServiceAccount"
    name      = kubernetes_service_account_v1.storage.metadata[0].name
    namespace = kubernetes_namespace_v1.hub.metadata[0].name
  }
}

resource "kubernetes_job_v1" "prepare_shares" {
  metadata {
    name      = "sciplat-prepare-shares"
    namespace = kubernetes_namespace_v1.hub.metadata[0].name
    labels    = { "app.kubernetes.io/part-of" = "sciplat", "app.kubernetes.io/component" = "storage" }
  }

  spec {
    backoff_limit              = 6
    ttl_seconds_after_finished = 86400

    template {
      metadata {
        labels = { "app.kubernetes.io/part-of" = "sciplat", "app.kubernetes.io/component" = "storage" }
      }
      spec {
        restart_policy                  = "OnFailure"
        automount_service_account_token = false
        node_selector                   = { "hub.jupyter.org/node-purpose" = "user" }

        dynamic "toleration" {
          for_each = local.storage_tolerations
          content {
            key      = toleration.value.key
            operator = "Equal"
            value    = toleration.value.value
            effect   = "NoSchedule"
          }
        }

        security_context {
          run_as_user     = 0
          run_as_non_root = false
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }

        container {
          name              = "prepare"
          image             = module.values.default_image
          image_pull_policy = "IfNotPresent"
          command           = ["sh", "/scripts/prepare.sh"]

          security_context {
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            capabilities {
              drop = ["ALL"]
              add  = ["CHOWN", "FOWNER"]
            }
          }
          resources {
            requests = { cpu = "50m", memory = "64Mi" }
            limits   = { cpu = "200m", memory = "128Mi" }
          }
          volume_mount {
            name       = "scripts"
            mount_path = "/scripts"
            read_only  = true
          }
          dynamic "volume_mount" {
            for_each = local.volumes
            content {
              name       = volume_mount.key
              mount_path = "/shares/${volume_mount.key}"
            }
          }
        }

        volume {
          name = "scripts"
          config_map {
            name = kubernetes_config_map_v1.storage_scripts.metadata[0].name
          }
        }
        dynamic "volume" {
          for_each = local.volumes
          content {
            name = volume.key
            persistent_volume_claim {
              claim_name = kubernetes_persistent_volume_claim_v1.nfs[volume.key].metadata[0].name
            }
          }
        }
      }
    }
  }

  wait_for_completion = var.storage_jobs.wait

  timeouts {
    create = "15m"
    update = "15m"
  }
}

resource "kubernetes_cron_job_v1" "usage" {
  metadata {
    name      = "sciplat-measure-usage"
    namespace = kubernetes_namespace_v1.hub.metadata[0].name
    labels    = { "app.kubernetes.io/part-of" = "sciplat", "app.kubernetes.io/component" = "storage" }
  }

  spec {
    schedule                      = var.storage_jobs.usage_schedule
    concurrency_policy            = "Forbid"
    successful_jobs_history_limit = 3
    failed_jobs_history_limit     = 3

    job_template {
      metadata {
        labels = { "app.kubernetes.io/part-of" = "sciplat", "app.kubernetes.io/component" = "storage" }
      }
      spec {
        backoff_limit = 2
        template {
          metadata {
            labels = { "app.kubernetes.io/part-of" = "sciplat", "app.kubernetes.io/component" = "storage" }
          }
          spec {
            restart_policy                  = "OnFailure"
            service_account_name            = kubernetes_service_account_v1.storage.metadata[0].name
            automount_service_account_token = true
            node_selector                   = { "hub.jupyter.org/node-purpose" = "user" }

            dynamic "toleration" {
              for_each = local.storage_tolerations
              content {
                key      = toleration.value.key
                operator = "Equal"
                value    = toleration.value.value
                effect   = "NoSchedule"
              }
            }

            security_context {
              run_as_user     = 0
              run_as_non_root = false
              seccomp_profile {
                type = "RuntimeDefault"
              }
            }

            container {
              name              = "measure"
              image             = module.values.default_image
              image_pull_policy = "IfNotPresent"
              command = [
                "python3", "/scripts/measure_usage.py",
                "--home-root", "/shares/home", "--shared-root", "/shares/shared",
                "--keep", tostring(var.storage_jobs.history),
                "--configmap", "${kubernetes_namespace_v1.hub.metadata[0].name}/${local.usage_configmap}",
              ]

              security_context {
                allow_privilege_escalation = false
                read_only_root_filesystem  = true
                capabilities {
                  drop = ["ALL"]
                  add  = ["DAC_OVERRIDE"]
                }
              }
              resources {
                requests = { cpu = "100m", memory = "128Mi" }
                limits   = { cpu = "500m", memory = "512Mi" }
              }
              volume_mount {
                name       = "scripts"
                mount_path = "/scripts"
                read_only  = true
              }
              dynamic "volume_mount" {
                for_each = local.volumes
                content {
                  name       = volume_mount.key
                  mount_path = "/shares/${volume_mount.key}"
                  read_only  = true
                }
              }
            }

            volume {
              name = "scripts"
              config_map {
                name = kubernetes_config_map_v1.storage_scripts.metadata[0].name
              }
            }
            dynamic "volume" {
              for_each = local.volumes
              content {
                name = volume.key
                persistent_volume_claim {
                  claim_name = kubernetes_persistent_volume_claim_v1.nfs[volume.key].metadata[0].name
                  read_only  = true
                }
              }
            }
          }
        }
      }
    }
  }
}
