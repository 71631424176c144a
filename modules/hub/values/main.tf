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

  # The continuous puller pulls singleuser.image (the default image) and these: together exactly
  # the image set, each image once. The chart joins name and tag with ":", so a digest rides in the
  # tag (repo:tag@sha256:...), which the runtime resolves by digest.
  pre_pull = { for idx, i in local.images : "image-${idx}" => {
    name = i.name
    tag  = i.digest == null ? i.tag : "${i.tag}@${i.digest}"
  } if idx != local.default_image.index }

  # The chart's own images, by upstream reference (tags stay the chart's, pinned by its version),
  # rewritten to the mirror when it mirrors their registry: no pull of the Hub's own parts goes
  # through NAT to a rate-limited upstream. Docker Hub names without a host are docker.io/library/.
  chart_images = {
    hub            = "quay.io/jupyterhub/k8s-hub"
    chp            = "quay.io/jupyterhub/configurable-http-proxy"
    traefik        = "docker.io/library/traefik"
    secret_sync    = "quay.io/jupyterhub/k8s-secret-sync"
    network_tools  = "quay.io/jupyterhub/k8s-network-tools"
    user_scheduler = "registry.k8s.io/kube-scheduler"
    pause          = "registry.k8s.io/pause"
    image_awaiter  = "quay.io/jupyterhub/k8s-image-awaiter"
  }
  chart_image = { for k, ref in local.chart_images : k => (
    contains(keys(var.mirror_prefixes), split("/", ref)[0])
    ? "${var.mirror_prefixes[split("/", ref)[0]]}/${join("/", slice(split("/", ref), 1, length(split("/", ref))))}"
    : ref
  ) }

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
        # oauthenticator 17.4 (the 4.4.0 hub image) names this `idps` (`allowed_idps` before).
        idps = { for idp in var.auth.cilogon_idps : idp => {
          username_derivation = { username_claim = "email" }
        } }
      }
    } : k => v if var.auth.type == "cilogon" },
  )

  # The Hub's own Python lives in hub/*.py beside this file: each file is shipped into the hub
  # pod as a module of the `sciplat_hub` package (next to the chart's jupyterhub_config.py, which
  # puts its directory on sys.path), and hub.extraConfig imports it.
  hub_files = { for f in fileset("${path.module}/hub", "*.py") : "sciplat-hub-${f}" => {
    mountPath  = "/usr/local/etc/jupyterhub/sciplat_hub/${f}"
    stringData = file("${path.module}/hub/${f}")
  } }

  # The user model's settings (modules/hub/values/hub/usermodel.py reads them with
  # get_config("custom.sciplat.usermodel")).
  usermodel = {
    auth_type            = var.auth.type
    github_organizations = var.auth.github_organizations
    github_teams         = var.identity.github_teams
    reserved_ids_below   = var.identity.reserved_ids_below
    shared_gid           = var.identity.shared_gid
    cilogon = {
      uid_claim    = var.identity.cilogon_uid_claim
      uid_fallback = var.identity.cilogon_uid_fallback
      gid_claim    = "gidNumber"
      groups_claim = "isMemberOf"
      groups       = var.identity.cilogon_groups
    }
    hub_namespace       = var.namespace
    namespace_template  = "${var.namespace}-u-{username}"
    pods_per_user       = 1
    home                = { volume = "home" }
    home_soft_limit_gib = var.home_soft_limit_gib
    # Further egress of labs (the Dask gateway): the chart's singleuser policy only covers labs in
    # the hub's namespace, so the user namespaces' lab policy carries it too.
    lab_egress = local.dask.lab_egress
    usage      = { configmap = var.usage_configmap }
  }

  # Egress from the hub and the proxy to labs in user namespaces (the chart's own rules only
  # reach labs in the hub's namespace).
  to_labs = [{
    to = [{
      namespaceSelector = { matchLabels = { "sciplat/user-namespace" = "true" } }
      podSelector       = { matchLabels = { component = "singleuser-server" } }
    }]
    ports = [{ port = 8888, protocol = "TCP" }]
  }]

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
      # gateway clusters link theirs under the public address above. KubeSpawner expands {...}
      # in environment values: the doubled braces reach the lab as single ones.
      DASK_DISTRIBUTED__DASHBOARD__LINK = "{{JUPYTERHUB_SERVICE_PREFIX}}proxy/{{port}}/status"
    }
    }) : jsonencode({
    services    = {}
    hub_ingress = []
    lab_egress  = []
    lab_env     = {}
  }))

  # JWT header login (hub/jwtauth.py): the authenticator and its settings, read from
  # custom.sciplat.jwt.
  jwt_config = var.auth.type == "jwt" ? {
    "sciplat-jwt" = "from sciplat_hub import jwtauth\njwtauth.configure(c, get_config(\"custom.sciplat.jwt\"))\n"
  } : {}
  jwt_settings = var.auth.jwt == null ? null : {
    header_name    = var.auth.jwt.header
    jwks_url       = var.auth.jwt.jwks_url
    issuer         = var.auth.jwt.issuer
    audience       = var.auth.jwt.audience
    username_claim = var.auth.jwt.username_claim
    uid_claim      = var.auth.jwt.uid_claim
    gid_claim      = var.auth.jwt.gid_claim
    groups_claim   = var.auth.jwt.groups_claim
    allowed_groups = var.auth.jwt.allowed_groups
    admin_users    = var.auth.admin_users
  }

  values = {
    hub = {
      config = merge({
        JupyterHub = {
          authenticator_class = var.auth.type == "jwt" ? "sciplat_hub.jwtauth.JWTHeaderAuthenticator" : var.auth.type
          admin_access        = false
        }
        Authenticator = {
          admin_users       = var.auth.admin_users
          enable_auth_state = true
        }
      }, local.authenticator)
      image        = { name = local.chart_image.hub }
      nodeSelector = local.core_nodes
      # The requests the capacity plan reserves for the hub on the core pool (planner data:
      # core_workloads in the capacity overheads); the chart's defaults request nothing.
      resources  = { requests = { cpu = "500m", memory = "1Gi" } }
      extraFiles = local.hub_files
      extraConfig = merge({
        "sciplat-usermodel" = <<-PY
          from sciplat_hub import usermodel
          usermodel.configure(c, get_config("custom.sciplat.usermodel"))
        PY
      }, local.jwt_config)
      networkPolicy = {
        enabled                    = true
        interNamespaceAccessLabels = "accept"
        egress                     = local.to_labs
        ingress                    = local.dask.hub_ingress
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
        image         = { name = local.chart_image.chp }
        networkPolicy = { egress = local.to_labs }
        nodeSelector  = local.core_nodes
        resources     = { requests = { cpu = "200m", memory = "512Mi" } }
      }
      traefik    = { image = { name = local.chart_image.traefik }, nodeSelector = local.core_nodes }
      secretSync = { image = { name = local.chart_image.secret_sync } }
    }

    singleuser = merge({
      image = {
        name = local.default_image.name
        tag  = local.default_image.digest == null ? local.default_image.tag : "${local.default_image.tag}@${local.default_image.digest}"
      }
      networkTools             = { image = { name = local.chart_image.network_tools } }
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
      # Labs run in their own namespaces, where no claim of the hub's namespace can be mounted:
      # homes and the shared area are NFS volumes in the pod, each home a subPath of its share.
      storage = {
        type = "none"
        extraVolumes = concat([
          { name = "home", nfs = { server = var.home_nfs.server, path = var.home_nfs.path } },
          { name = "shared", nfs = { server = var.shared_nfs.server, path = var.shared_nfs.path } },
        ], local.extra_volumes)
        extraVolumeMounts = concat([
          { name = "home", mountPath = "/home/{username}", subPath = "{username}" },
          { name = "shared", mountPath = var.shared_mount_path },
        ], local.extra_mounts)
      }
      profileList = local.profile_list
    }, local.notebooks_values)

    scheduling = {
      userScheduler   = { enabled = true, nodeSelector = local.core_nodes, image = { name = local.chart_image.user_scheduler } }
      podPriority     = { enabled = true }
      userPlaceholder = { enabled = true, replicas = 0, image = { name = local.chart_image.pause } }
      corePods        = { nodeAffinity = { matchNodePurpose = "require" } }
      userPods        = { nodeAffinity = { matchNodePurpose = "require" } }
    }

    prePuller = {
      # The hook puller would hold every upgrade until all nodes pulled all images; the continuous
      # puller warms new nodes instead.
      hook                  = { enabled = false, image = { name = local.chart_image.image_awaiter } }
      continuous            = { enabled = true }
      pause                 = { image = { name = local.chart_image.pause } }
      pullProfileListImages = false
      extraImages           = local.pre_pull
    }

    custom = { sciplat = { usermodel = local.usermodel, jwt = local.jwt_settings } }

    cull = {
      enabled = var.culling.enabled
      timeout = var.culling.timeout_seconds
      every   = var.culling.every_seconds
      maxAge  = var.culling.max_age_seconds
      users   = false
    }
  }
}
