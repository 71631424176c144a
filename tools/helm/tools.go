//go:build tools

// Package tools pins the helm binary used to lint, render and dry-run the charts.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
