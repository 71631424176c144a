# The Helm values of the zero-to-jupyterhub chart, built from typed inputs. No providers and no
# resources: tests evaluate it with the terraform binary and validate the result against the chart's
# values schema.

locals {
  purpose_key = "hub.jupyter.org/node-purpose"
  core_nodes  = { (local.purpose_key) = "core" }
  user_nodes  = { (local.purpose_key) = "user" }

  callback_url  = "https://${var.domain}/hub/oauth_callback"
  contact_email = coalesce(var.tls_contact_email, "hostmaster@${var.domain}")

  # Image references: through the mirror when it mirrors the image's upstream; pinned by digest
  # when known (repo@sha256:...), else repo:tag. The tag stays in the display name.
  # Docker Hub's official images live under library/ (python -> library/python).
  repositories = [for i in var.images :
    i.registry == "docker.io" && !strcontains(i.repository, "/") ? "library/${i.repository}" : i.repository
  ]
  image_names = [for idx, i in var.images : (contains(keys(var.mirror_prefixes), i.registry)
    ? "${var.mirror_prefixes[i.registry]}/${local.repositories[idx]}"
    : "${i.registry}/${local.repositories[idx]}"
  )]
  images = [for idx, i in var.images : merge(i, {
    index        = idx
    name         = local.image_names[idx]
    ref          = i.digest == null ? "${local.image_names[idx]}:${i.tag}" : "${local.image_names[idx]}@${i.digest}"
    display_name = i.digest == null || strcontains(i.display_name, i.tag) ? i.display_name : "${i.display_name} (${i.tag})"
    slug         = format("%02d-%s", idx, substr(replace(lower("${i.class}-${i.tag}"), "/[^a-z0-9-]/", "-"), 0, 56))
  })]
  # The default image: the first recommended one, else the first of the set.
  default_image = concat([for i in local.images : i if i.recommended], local.images)[0]

  default_profile = [for p in var.profiles : p if p.default][0]

  # KubeSpawner byte specifications use binary units: 0.5 GiB -> "512M".
  mem = { for p in var.profiles : p.name => {
    guarantee = "${floor(p.memory_guarantee_gib * 1024)}M"
    limit     = "${floor(p.memory_limit_gib * 1024)}M"
  } }

  # One profile per size; the image is a choice inside each profile, so every size offers every
  # image of the set.
  profile_list = [for p in var.profiles : {
    display_name = p.display_name
    slug         = p.name
    default      = p.default
    kubespawner_override = {
      cpu_guarantee = p.cpu_guarantee_cores
      cpu_limit     = p.cpu_limit_cores
      mem_guarantee = local.mem[p.name].guarantee
      mem_limit     = local.mem[p.name].limit
    }
    profile_options = {
      image = {
        display_name = "Image"
        choices = { for i in local.images : i.slug => {
          display_name         = i.display_name
          default              = i.index == local.default_image.index
          kubespawner_override = { image = i.ref }
        } }
      }
    }
  }]

  # The continuous puller pulls exactly the image set. The chart joins name and tag with ":", so a
  # digest rides in the tag (repo:tag@sha256:...), which the runtime resolves by digest.
  pre_pull = { for idx, i in local.images : "image-${idx}" => {
    name = i.name
    tag  = i.digest == null ? i.tag : "${i.tag}@${i.digest}"
  } }

  # Only the configured authenticator's section is emitted.
  authenticator = merge(
    { for k, v in {
      GitHubOAuthenticator = {
        client_id             = var.auth.client_id
        oauth_callback_url    = local.callback_url
        allowed_organizations = var.auth.github_organizations
        scope                 = ["read:org", "read:user"]
      }
    } : k => v if var.auth.type == "github" },
    { for k, v in {
      CILogonOAuthenticator = {
        client_id          = var.auth.client_id
        oauth_callback_url = local.callback_url
        allow_all          = true
        allowed_idps = { for idp in var.auth.cilogon_idps : idp => {
          username_derivation = { username_claim = "email" }
        } }
      }
    } : k => v if var.auth.type == "cilogon" },
  )

  # Python run in the Hub: UID/GID of the lab from the identity provider (or fixed), never root, and
  # an init container that creates the user's home directory as that user (the share is root
  # squashed, so only the owner can create it).
  spawn_hook = <<-PY
    SCIPLAT_UID_GID_SOURCE = "${var.lab.uid_gid_source}"
    SCIPLAT_SHARED_GID = ${var.shared_gid}

    async def sciplat_pre_spawn(spawner):
        uid, gid = 1000, 100
        if SCIPLAT_UID_GID_SOURCE == "identity_provider":
            state = await spawner.user.get_auth_state() or {}
            if "github_user" in state:
                uid = int(state["github_user"]["id"])
                gid = uid
            elif "cilogon_user" in state:
                claims = state["cilogon_user"]
                uid = int(claims.get("uidNumber") or 0)
                gid = int(claims.get("gidNumber") or uid)
            else:
                raise RuntimeError("no identity in auth state; cannot map UID/GID")
        if uid < 1000 or gid < 100:
            raise RuntimeError(f"refusing to start a lab as UID {uid} GID {gid}")
        spawner.uid = uid
        spawner.gid = gid
        spawner.fs_gid = gid
        # Every lab is in the shared group, so the shared volume is group-writable for all.
        spawner.supplemental_gids = sorted({gid, SCIPLAT_SHARED_GID})
        spawner.init_containers = [{
            "name": "home",
            "image": spawner.image,
            "command": ["sh", "-c", "mkdir -p -m 0700 /homes/{username}"],
            "securityContext": {
                "runAsUser": uid,
                "runAsGroup": gid,
                "runAsNonRoot": True,
                "allowPrivilegeEscalation": False,
            },
            "volumeMounts": [{"name": "home-root", "mountPath": "/homes"}],
        }]

    c.KubeSpawner.pre_spawn_hook = sciplat_pre_spawn
  PY

  # Extra volumes from the environment file (hub.volumes): NFS exports are mounted straight from
  # the server and claims by name, so adding one changes only these values, never a resource.
  # (Each branch is encoded on its own: a conditional between two object shapes would unify them
  # into a map of strings.)
  extra_volumes = [for v in var.volumes : jsondecode(v.claim != null
    ? jsonencode({ name = "extra-${v.name}", persistentVolumeClaim = { claimName = v.claim, readOnly = v.read_only } })
    : jsonencode({ name = "extra-${v.name}", nfs = { server = v.nfs_server, path = v.nfs_path, readOnly = v.read_only } })
  )]
  extra_mounts = [for v in var.volumes : merge(
    { name = "extra-${v.name}", mountPath = v.mount_path, readOnly = v.read_only },
    v.sub_path == "" ? {} : { subPath = v.sub_path },
  )]

  # Standard notebooks: the postStart hook runs lab/sync-notebooks.sh (nbgitpuller) with the
  # repository, branch, target directory and time limit as arguments; it always exits 0.
  notebooks_values = jsondecode(var.notebooks.enabled ? jsonencode({
    lifecycleHooks = { postStart = { exec = { command = [
      "sh", "-c", file("${path.module}/lab/sync-notebooks.sh"), "sync-notebooks",
      var.notebooks.repository, var.notebooks.branch, var.notebooks.target,
      tostring(var.notebooks.timeout_seconds),
    ] } } }
  }) : "{}")

  # Dask (the daskhub pattern, modules/dask): a `dask-gateway` hub service (the chart generates its
  # API token in the hub Secret, which the gateway reads) whose url is the gateway's traefik, so
  # the proxy serves the API and the clusters' dashboards under /services/<name>/; the gateway may
  # call the hub's API; labs get the namespace-qualified addresses and may reach traefik.
  gateway_pods = {
    "app.kubernetes.io/name"     = "dask-gateway"
    "app.kubernetes.io/instance" = var.dask.release_name
  }
  dask = jsondecode(var.dask.enabled ? jsonencode({
    services = { (var.dask.release_name) = { url = "http://traefik-${var.dask.release_name}.${var.dask.namespace}.svc.cluster.local", display = false } }
    hub_ingress = [{
      from = [{
        namespaceSelector = { matchLabels = { "kubernetes.io/metadata.name" = var.dask.namespace } }
        podSelector       = { matchLabels = merge(local.gateway_pods, { "app.kubernetes.io/component" = "gateway" }) }
      }]
      ports = [{ port = 8081, protocol = "TCP" }]
    }]
    lab_egress = [{
      to = [{
        namespaceSelector = { matchLabels = { "kubernetes.io/metadata.name" = var.dask.namespace } }
        podSelector       = { matchLabels = merge(local.gateway_pods, { "app.kubernetes.io/component" = "traefik" }) }
      }]
      ports = [{ port = 8000, protocol = "TCP" }, { port = 8786, protocol = "TCP" }]
    }]
    lab_env = {
      DASK_GATEWAY__ADDRESS        = "http://traefik-${var.dask.release_name}.${var.dask.namespace}.svc.cluster.local/services/${var.dask.release_name}"
      DASK_GATEWAY__PROXY_ADDRESS  = "gateway://traefik-${var.dask.release_name}.${var.dask.namespace}.svc.cluster.local:80"
      DASK_GATEWAY__PUBLIC_ADDRESS = "https://${var.domain}/services/${var.dask.release_name}"
      DASK_GATEWAY__AUTH__TYPE     = "jupyterhub"
      # Dashboards of local Dask clusters through the lab's own proxy (jupyter-server-proxy);
      # gateway clusters link theirs under the public address above.
      DASK_DISTRIBUTED__DASHBOARD__LINK = "{JUPYTERHUB_SERVICE_PREFIX}proxy/{port}/status"
    }
    }) : jsonencode({
    services    = {}
    hub_ingress = []
    lab_egress  = []
    lab_env     = {}
  }))

  values = {
    hub = {
      config = merge({
        JupyterHub = {
          authenticator_class = var.auth.type
          admin_access        = false
        }
        Authenticator = {
          admin_users       = var.auth.admin_users
          enable_auth_state = true
        }
      }, local.authenticator)
      nodeSelector = local.core_nodes
      # The requests the capacity plan reserves for the hub on the core pool (planner data:
      # core_workloads in the capacity overheads); the chart's defaults request nothing.
      resources   = { requests = { cpu = "500m", memory = "1Gi" } }
      extraConfig = { "sciplat-spawn" = local.spawn_hook }
      networkPolicy = {
        enabled = true
        ingress = local.dask.hub_ingress
      }
      services = local.dask.services
    }

    proxy = {
      service = merge({ type = "LoadBalancer" }, var.load_balancer_ip == null ? {} : { loadBalancerIP = var.load_balancer_ip })
      https = {
        enabled     = true
        type        = "letsencrypt"
        hosts       = [var.domain]
        letsencrypt = { contactEmail = local.contact_email }
      }
      chp = {
        nodeSelector = local.core_nodes
        resources    = { requests = { cpu = "200m", memory = "512Mi" } }
      }
      traefik = { nodeSelector = local.core_nodes }
    }

    singleuser = merge({
      image = {
        name = local.default_image.name
        tag  = local.default_image.digest == null ? local.default_image.tag : "${local.default_image.tag}@${local.default_image.digest}"
      }
      nodeSelector             = local.user_nodes
      defaultUrl               = var.lab.default_url
      startTimeout             = var.lab.start_timeout_seconds
      uid                      = 1000
      fsGid                    = 100
      allowPrivilegeEscalation = false
      # Workload Identity's metadata server already hides node credentials; the network policy
      # below blocks the metadata address without a privileged init container.
      cloudMetadata = { blockWithIptables = false }
      networkPolicy = {
        enabled          = true
        egressAllowRules = { cloudMetadataServer = false }
        egress           = local.dask.lab_egress
      }
      extraEnv = local.dask.lab_env
      cpu = {
        guarantee = local.default_profile.cpu_guarantee_cores
        limit     = local.default_profile.cpu_limit_cores
      }
      memory = {
        guarantee = local.mem[local.default_profile.name].guarantee
        limit     = local.mem[local.default_profile.name].limit
      }
      storage = {
        type          = "static"
        capacity      = "${var.home_quota_gib}Gi"
        homeMountPath = "/home/{username}"
        static = {
          pvcName = var.home_claim
          subPath = "{username}"
        }
        extraVolumes = concat([
          { name = "shared", persistentVolumeClaim = { claimName = var.shared_claim } },
          { name = "home-root", persistentVolumeClaim = { claimName = var.home_claim } },
        ], local.extra_volumes)
        extraVolumeMounts = concat([
          { name = "shared", mountPath = var.shared_mount_path },
        ], local.extra_mounts)
      }
      profileList = local.profile_list
    }, local.notebooks_values)

    scheduling = {
      userScheduler   = { enabled = true, nodeSelector = local.core_nodes }
      podPriority     = { enabled = true }
      userPlaceholder = { enabled = true, replicas = 0 }
      corePods        = { nodeAffinity = { matchNodePurpose = "require" } }
      userPods        = { nodeAffinity = { matchNodePurpose = "require" } }
    }

    prePuller = {
      # The hook puller would hold every upgrade until all nodes pulled all images; the continuous
      # puller warms new nodes instead.
      hook                  = { enabled = false }
      continuous            = { enabled = true }
      pullProfileListImages = false
      extraImages           = local.pre_pull
    }

    cull = {
      enabled = var.culling.enabled
      timeout = var.culling.timeout_seconds
      every   = var.culling.every_seconds
      maxAge  = var.culling.max_age_seconds
      users   = false
    }
  }
}
