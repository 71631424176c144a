//go:build tools

// Package tools pins the Kubernetes binaries the local control plane runs (kube-apiserver,
// kube-controller-manager, kubectl) to one release of k8s.io/kubernetes.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
