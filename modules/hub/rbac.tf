# What the Hub needs beyond the chart's namespaced Role: with one namespace per user, KubeSpawner
# watches pods and events in every namespace (without this the watch fails and the hub exits),
# creates each user's namespace and the lab pod in it; the user model (values/hub/usermodel.py)
# adds a quota, a limit range and a network policy there, posts the spawn messages as events and
# deletes the namespace when the lab stops. Nothing else: no secrets, services or claims outside
# the hub's namespace.

locals {
  hub_service_account = "hub" # the chart's hub ServiceAccount (no fullnameOverride)
}

resource "kubernetes_cluster_role_v1" "hub_users" {
  metadata {
    name   = "${var.namespace}-sciplat-user-namespaces"
    labels = { "app.kubernetes.io/managed-by" = "terraform", "app.kubernetes.io/part-of" = "sciplat" }
  }

  rule {
    api_groups = [""]
    resources  = ["namespaces"]
    verbs      = ["get", "create", "delete"]
  }
  rule {
    api_groups = [""]
    resources  = ["pods"]
    verbs      = ["get", "list", "watch", "create", "delete"]
  }
  rule {
    api_groups = [""]
    resources  = ["events"]
    verbs      = ["get", "list", "watch", "create"]
  }
  rule {
    api_groups = [""]
    resources  = ["resourcequotas", "limitranges"]
    verbs      = ["get", "create", "update"]
  }
  rule {
    api_groups = ["networking.k8s.io"]
    resources  = ["networkpolicies"]
    verbs      = ["get", "create", "update"]
  }
}

resource "kubernetes_cluster_role_binding_v1" "hub_users" {
  metadata {
    name   = kubernetes_cluster_role_v1.hub_users.metadata[0].name
    labels = kubernetes_cluster_role_v1.hub_users.metadata[0].labels
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = kubernetes_cluster_role_v1.hub_users.metadata[0].name
  }
  subject {
    kind      = "ServiceAccount"
    name      = local.hub_service_account
    namespace = kubernetes_namespace_v1.hub.metadata[0].name
  }
}

# The Hub reads the latest usage measurement (for the soft-limit warning at spawn); only that one
# ConfigMap.
resource "kubernetes_role_v1" "hub_usage" {
  metadata {
    name      = "sciplat-read-usage"
    namespace = kubernetes_namespace_v1.hub.metadata[0].name
  }
  rule {
    api_groups     = [""]
    resources      = ["configmaps"]
    resource_names = [local.usage_configmap]
    verbs          = ["get"]
  }
}

resource "kubernetes_role_binding_v1" "hub_usage" {
  metadata {
    name      = "sciplat-read-usage"
    namespace = kubernetes_namespace_v1.hub.metadata[0].name
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = kubernetes_role_v1.hub_usage.metadata[0].name
  }
  subject {
    kind      = "ServiceAccount"
    name      = local.hub_service_account
    namespace = kubernetes_namespace_v1.hub.metadata[0].name
  }
}
