# Plan-level behaviour of the hub module against the kubernetes and helm providers' schemas
# (mocked). The Helm values are decoded and asserted field by field. The module is also applied for
# real to a local control plane by the pytest suite (tests/test_hub_live.py).

mock_provider "kubernetes" {}
mock_provider "helm" {}

variables {
  namespace           = "hub"
  load_balancer_ip    = "203.0.113.10"
  oauth_client_secret = "not-a-secret"
  domain              = "test.sciplat.example.org"
  labels              = { environment = "test" }
  auth = {
    type                 = "github"
    github_organizations = ["sciplat-users"]
    cilogon_idps         = []
    admin_users          = ["platform-admin"]
    client_id            = "sciplat-test-oauth"
  }
  culling = { enabled = true, timeout_seconds = 3600, max_age_seconds = 0, every_seconds = 300 }
  lab     = { uid_gid_source = "identity_provider", default_url = "/lab", start_timeout_seconds = 600 }
  profiles = [
    { name = "small", display_name = "Small", cpu_guarantee_cores = 0.5, cpu_limit_cores = 1, memory_guarantee_gib = 0.5, memory_limit_gib = 3, default = false },
    { name = "medium", display_name = "Medium", cpu_guarantee_cores = 0.5, cpu_limit_cores = 2, memory_guarantee_gib = 0.5, memory_limit_gib = 6, default = true },
  ]
  images = [
    { registry = "docker.io", repository = "lsstsqre/sciplat-lab", tag = "recommended", digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111", class = "alias", display_name = "Recommended", recommended = true },
    { registry = "docker.io", repository = "lsstsqre/sciplat-lab", tag = "w_2026_47", digest = null, class = "weekly", display_name = "Weekly 2026_47", recommended = false },
  ]
  mirror_prefixes = { "docker.io" = "us-central1-docker.pkg.dev/sciplat-test/dockerhub" }
  home_nfs        = { server = "10.20.0.2", path = "/home", capacity_gib = 5120 }
  shared_nfs      = { server = "10.20.0.3", path = "/shared", capacity_gib = 10240 }
}

run "release" {
  command = plan

  assert {
    condition     = helm_release.hub.chart == "jupyterhub" && helm_release.hub.version == "4.4.0"
    error_message = "the pinned zero-to-jupyterhub chart"
  }
  assert {
    condition     = helm_release.hub.namespace == "hub" && helm_release.hub.atomic == true
    error_message = "installed atomically into the hub namespace"
  }
  assert {
    condition     = [for s in helm_release.hub.set_sensitive : s.name] == ["proxy.secretToken", "hub.config.GitHubOAuthenticator.client_secret"]
    error_message = "the proxy's token and the OAuth client secret go in through set_sensitive, never the values"
  }
  assert {
    condition     = !strcontains(helm_release.hub.values[0], "client_secret")
    error_message = "no secret in the plain values"
  }
  assert {
    condition     = kubernetes_namespace_v1.hub.metadata[0].labels["pod-security.kubernetes.io/enforce"] == "baseline"
    error_message = "the namespace enforces the baseline pod security standard"
  }
}

run "profiles_and_images" {
  command = plan

  assert {
    condition     = [for p in yamldecode(helm_release.hub.values[0]).singleuser.profileList : p.slug] == ["small", "medium"]
    error_message = "one profile per size, in order"
  }
  assert {
    condition     = [for p in yamldecode(helm_release.hub.values[0]).singleuser.profileList : p.slug if p.default] == ["medium"]
    error_message = "the default size is the default profile"
  }
  assert {
    condition     = yamldecode(helm_release.hub.values[0]).singleuser.profileList[1].kubespawner_override.mem_limit == "6144M" && yamldecode(helm_release.hub.values[0]).singleuser.profileList[1].kubespawner_override.mem_guarantee == "512M"
    error_message = "memory in KubeSpawner's binary units"
  }
  assert {
    condition     = yamldecode(helm_release.hub.values[0]).singleuser.profileList[0].kubespawner_override.cpu_limit == 1 && yamldecode(helm_release.hub.values[0]).singleuser.profileList[0].kubespawner_override.cpu_guarantee == 0.5
    error_message = "CPU guarantee and limit of each size"
  }
  assert {
    condition     = length(yamldecode(helm_release.hub.values[0]).singleuser.profileList[0].profile_options.image.choices) == 2
    error_message = "every size offers every image of the set"
  }
  assert {
    condition = contains([for c in values(yamldecode(helm_release.hub.values[0]).singleuser.profileList[0].profile_options.image.choices) : c.kubespawner_override.image],
    "us-central1-docker.pkg.dev/sciplat-test/dockerhub/lsstsqre/sciplat-lab@sha256:1111111111111111111111111111111111111111111111111111111111111111")
    error_message = "images are pulled through the mirror, pinned by digest"
  }
  assert {
    condition = contains([for c in values(yamldecode(helm_release.hub.values[0]).singleuser.profileList[0].profile_options.image.choices) : c.kubespawner_override.image],
    "us-central1-docker.pkg.dev/sciplat-test/dockerhub/lsstsqre/sciplat-lab:w_2026_47")
    error_message = "an image without a digest is pulled by tag"
  }
  assert {
    condition     = yamldecode(helm_release.hub.values[0]).singleuser.image.name == "us-central1-docker.pkg.dev/sciplat-test/dockerhub/lsstsqre/sciplat-lab"
    error_message = "the default image is the recommended one, through the mirror"
  }
}

run "prepuller" {
  command = plan

  assert {
    condition     = yamldecode(helm_release.hub.values[0]).prePuller.continuous.enabled == true && yamldecode(helm_release.hub.values[0]).prePuller.hook.enabled == false
    error_message = "the continuous puller warms nodes; the hook puller does not block upgrades"
  }
  assert {
    condition     = keys(yamldecode(helm_release.hub.values[0]).prePuller.extraImages) == ["image-1"]
    error_message = "the puller pulls the default image (singleuser.image) and the rest of the set, each once"
  }
  assert {
    condition     = yamldecode(helm_release.hub.values[0]).singleuser.image.tag == "recommended@sha256:1111111111111111111111111111111111111111111111111111111111111111"
    error_message = "a pinned image is pulled by digest"
  }
}

run "nfs_storage" {
  command = plan

  assert {
    condition     = yamldecode(helm_release.hub.values[0]).singleuser.storage.type == "none"
    error_message = "no claim of the hub's namespace: labs run in their own namespaces"
  }
  assert {
    condition     = [for v in yamldecode(helm_release.hub.values[0]).singleuser.storage.extraVolumes : v.nfs if v.name == "home"] == [{ server = "10.20.0.2", path = "/home" }]
    error_message = "homes are an NFS volume of the home share in the lab pod"
  }
  assert {
    condition     = [for m in yamldecode(helm_release.hub.values[0]).singleuser.storage.extraVolumeMounts : m.subPath if m.name == "home"] == ["{username}"]
    error_message = "one directory per user"
  }
  assert {
    condition     = [for v in yamldecode(helm_release.hub.values[0]).singleuser.storage.extraVolumes : v.nfs.server if v.name == "shared"] == ["10.20.0.3"]
    error_message = "the shared share is mounted in every lab"
  }
  assert {
    condition     = kubernetes_persistent_volume_v1.nfs["home"].spec[0].persistent_volume_source[0].nfs[0].server == "10.20.0.2" && kubernetes_persistent_volume_v1.nfs["home"].spec[0].persistent_volume_source[0].nfs[0].path == "/home"
    error_message = "the home volume (of the storage jobs) points at the home Filestore share"
  }
  assert {
    condition     = kubernetes_persistent_volume_v1.nfs["shared"].spec[0].capacity["storage"] == "10240Gi" && kubernetes_persistent_volume_v1.nfs["shared"].spec[0].persistent_volume_reclaim_policy == "Retain"
    error_message = "the shared volume has the share's capacity and is retained"
  }
  assert {
    condition     = toset(kubernetes_persistent_volume_claim_v1.nfs["home"].spec[0].access_modes) == toset(["ReadWriteMany"])
    error_message = "NFS claims are ReadWriteMany"
  }
  assert {
    condition     = strcontains(kubernetes_config_map_v1.storage_scripts.data["prepare.sh"], "chmod 1733 /shares/home") && strcontains(kubernetes_config_map_v1.storage_scripts.data["prepare.sh"], "chown 0:2000 /shares/shared") && strcontains(kubernetes_config_map_v1.storage_scripts.data["prepare.sh"], "chmod 2775 /shares/shared")
    error_message = "the one-shot job opens the home root for per-user directories and makes the shared root group-writable and setgid for the shared group"
  }
  assert {
    condition     = kubernetes_job_v1.prepare_shares.wait_for_completion == true && kubernetes_cron_job_v1.usage.spec[0].schedule == "17 4 * * *"
    error_message = "Terraform waits for the share roots; usage is measured daily"
  }
}

run "user_namespaces" {
  command = plan

  assert {
    condition     = yamldecode(helm_release.hub.values[0]).custom.sciplat.usermodel.namespace_template == "hub-u-{username}"
    error_message = "each user's namespace carries the hub's namespace as prefix"
  }
  assert {
    condition     = yamldecode(helm_release.hub.values[0]).hub.networkPolicy.interNamespaceAccessLabels == "accept"
    error_message = "the hub admits labs from labelled user namespaces"
  }
  assert {
    condition     = contains(flatten([for r in kubernetes_cluster_role_v1.hub_users.rule : r.resources]), "resourcequotas") && contains(flatten([for r in kubernetes_cluster_role_v1.hub_users.rule : r.resources]), "namespaces")
    error_message = "the hub may create user namespaces and their quotas"
  }
  assert {
    condition     = !contains(flatten([for r in kubernetes_cluster_role_v1.hub_users.rule : r.resources]), "secrets") && !contains(flatten([for r in kubernetes_cluster_role_v1.hub_users.rule : r.verbs]), "*")
    error_message = "nothing beyond what the user model needs"
  }
  assert {
    condition     = kubernetes_cluster_role_binding_v1.hub_users.subject[0].name == "hub" && kubernetes_cluster_role_binding_v1.hub_users.subject[0].namespace == "hub"
    error_message = "bound to the chart's hub service account"
  }
}

run "user_scheduling" {
  command = plan

  assert {
    condition     = yamldecode(helm_release.hub.values[0]).singleuser.nodeSelector["hub.jupyter.org/node-purpose"] == "user"
    error_message = "labs run on user nodes"
  }
  assert {
    condition     = yamldecode(helm_release.hub.values[0]).scheduling.userPods.nodeAffinity.matchNodePurpose == "require" && yamldecode(helm_release.hub.values[0]).scheduling.corePods.nodeAffinity.matchNodePurpose == "require"
    error_message = "user and core pods are required on their node purpose"
  }
  assert {
    condition     = yamldecode(helm_release.hub.values[0]).scheduling.userScheduler.enabled == true
    error_message = "the user scheduler packs labs onto few nodes"
  }
  assert {
    condition     = yamldecode(helm_release.hub.values[0]).hub.nodeSelector["hub.jupyter.org/node-purpose"] == "core"
    error_message = "the Hub runs on core nodes"
  }
}

run "github_auth_and_culling" {
  command = plan

  assert {
    condition     = yamldecode(helm_release.hub.values[0]).hub.config.JupyterHub.authenticator_class == "github"
    error_message = "the configured authenticator"
  }
  assert {
    condition     = yamldecode(helm_release.hub.values[0]).hub.config.GitHubOAuthenticator.allowed_organizations == ["sciplat-users"]
    error_message = "only the configured organizations may log in"
  }
  assert {
    condition     = yamldecode(helm_release.hub.values[0]).hub.config.GitHubOAuthenticator.oauth_callback_url == "https://test.sciplat.example.org/hub/oauth_callback"
    error_message = "the callback is on the hub's domain"
  }
  assert {
    condition     = !contains(keys(yamldecode(helm_release.hub.values[0]).hub.config), "CILogonOAuthenticator")
    error_message = "only the configured authenticator's section is emitted"
  }
  assert {
    condition     = yamldecode(helm_release.hub.values[0]).hub.config.Authenticator.admin_users == ["platform-admin"]
    error_message = "admins come from the environment"
  }
  assert {
    condition     = yamldecode(helm_release.hub.values[0]).cull.enabled == true && yamldecode(helm_release.hub.values[0]).cull.timeout == 3600
    error_message = "idle labs are culled after the timeout"
  }
  assert {
    condition     = yamldecode(helm_release.hub.values[0]).proxy.service.loadBalancerIP == "203.0.113.10"
    error_message = "the proxy keeps its reserved address"
  }
}

run "cilogon_auth" {
  command = plan

  variables {
    auth = {
      type                 = "cilogon"
      github_organizations = []
      cilogon_idps         = ["https://idp.example.org/idp/shibboleth"]
      admin_users          = ["platform-admin@example.org"]
      client_id            = "cilogon:/client_id/1234"
    }
  }

  assert {
    condition     = yamldecode(helm_release.hub.values[0]).hub.config.JupyterHub.authenticator_class == "cilogon"
    error_message = "the CILogon authenticator"
  }
  assert {
    condition     = keys(yamldecode(helm_release.hub.values[0]).hub.config.CILogonOAuthenticator.idps) == ["https://idp.example.org/idp/shibboleth"] && !contains(keys(yamldecode(helm_release.hub.values[0]).hub.config.CILogonOAuthenticator), "allowed_idps")
    error_message = "only the configured identity providers, as oauthenticator 17.4 names them (idps)"
  }
  assert {
    condition     = [for s in helm_release.hub.set_sensitive : s.name] == ["proxy.secretToken", "hub.config.CILogonOAuthenticator.client_secret"]
    error_message = "the secret goes to the CILogon section"
  }
}

run "rejects_unknown_auth_type" {
  command = plan

  variables {
    auth = {
      type                 = "google"
      github_organizations = []
      cilogon_idps         = []
      admin_users          = []
      client_id            = "x"
    }
  }

  expect_failures = [var.auth]
}

run "rejects_empty_image_set" {
  command = plan

  variables {
    images = []
  }

  expect_failures = [var.images]
}

run "rejects_system_namespace" {
  command = plan

  variables {
    namespace = "kube-system"
  }

  expect_failures = [var.namespace]
}

run "rejects_relative_nfs_path" {
  command = plan

  variables {
    home_nfs = { server = "10.20.0.2", path = "home", capacity_gib = 5120 }
  }

  expect_failures = [var.home_nfs]
}

run "extra_volumes" {
  command = plan

  variables {
    volumes = [
      { name = "datasets", mount_path = "/datasets", read_only = true, sub_path = "", nfs_server = "10.20.0.9", nfs_path = "/datasets" },
      { name = "scratch", mount_path = "/scratch", read_only = false, sub_path = "team", claim = "scratch" },
    ]
  }

  assert {
    condition     = [for v in yamldecode(helm_release.hub.values[0]).singleuser.storage.extraVolumes : v.name if startswith(v.name, "extra-")] == ["extra-datasets", "extra-scratch"]
    error_message = "one lab volume per hub.volumes entry, after the platform's own"
  }
  assert {
    condition     = [for v in yamldecode(helm_release.hub.values[0]).singleuser.storage.extraVolumes : v.nfs if v.name == "extra-datasets"][0] == { server = "10.20.0.9", path = "/datasets", readOnly = true }
    error_message = "an NFS volume is mounted from its server, read-only as configured"
  }
  assert {
    condition     = [for m in yamldecode(helm_release.hub.values[0]).singleuser.storage.extraVolumeMounts : m if m.name == "extra-scratch"][0] == { name = "extra-scratch", mountPath = "/scratch", readOnly = false, subPath = "team" }
    error_message = "a claim is mounted at its path with its sub-path"
  }
  assert {
    condition     = length(kubernetes_persistent_volume_v1.nfs) == 2
    error_message = "extra volumes add no PersistentVolume: only the release's values change"
  }
}

run "standard_notebooks_at_lab_start" {
  command = plan

  variables {
    notebooks = { enabled = true, repository = "https://github.com/lsst-sqre/notebook-demo.git", branch = "main", target = "notebooks", timeout_seconds = 60 }
  }

  assert {
    condition     = slice(yamldecode(helm_release.hub.values[0]).singleuser.lifecycleHooks.postStart.exec.command, 3, 8) == ["sync-notebooks", "https://github.com/lsst-sqre/notebook-demo.git", "main", "notebooks", "60"]
    error_message = "the postStart hook updates the notebooks from the configured repository and branch"
  }
  assert {
    condition     = endswith(trimspace(yamldecode(helm_release.hub.values[0]).singleuser.lifecycleHooks.postStart.exec.command[2]), "exit 0")
    error_message = "the hook never fails the lab start"
  }
}

run "no_hook_without_notebooks" {
  command = plan

  assert {
    condition     = !contains(keys(yamldecode(helm_release.hub.values[0]).singleuser), "lifecycleHooks")
    error_message = "no postStart hook unless hub.notebooks is enabled"
  }
}

run "jwt_header_login_needs_no_oauth_secret" {
  command = plan

  variables {
    auth = {
      type                 = "jwt"
      github_organizations = []
      cilogon_idps         = []
      admin_users          = ["platform-admin"]
      client_id            = ""
      jwt = {
        jwks_url       = "https://login.sciplat.example.org/.well-known/jwks.json"
        issuer         = "https://login.sciplat.example.org"
        audience       = "https://test.sciplat.example.org"
        header         = "X-Auth-Request-Access-Token"
        username_claim = "preferred_username"
        uid_claim      = "uidNumber"
        gid_claim      = "gidNumber"
        groups_claim   = "isMemberOf"
        allowed_groups = []
      }
    }
  }

  assert {
    condition     = [for s in helm_release.hub.set_sensitive : s.name] == ["proxy.secretToken"]
    error_message = "JWT login passes no OAuth client secret (the root reads none for it)"
  }
  assert {
    condition     = yamldecode(helm_release.hub.values[0]).hub.config.JupyterHub.authenticator_class == "sciplat_hub.jwtauth.JWTHeaderAuthenticator" && contains(keys(yamldecode(helm_release.hub.values[0]).hub.extraFiles), "sciplat-hub-jwtauth.py")
    error_message = "the Hub loads the shipped JWT header authenticator"
  }
}
