#!/usr/bin/env bash
# Install the Debian packages the integration tests and benchmarks need:
#   docker-registry  a real container registry (Docker Registry HTTP API v2) on loopback
#   skopeo           the peer the image benchmark compares against
#   htpasswd         (apache2-utils) bcrypt password files for the registry's basic auth
#   etcd             (etcd-server) the store of the local Kubernetes control plane
# Idempotent: does nothing when every command is already on PATH; runs `apt-get update` only
# when something is missing. Needs root (CI runs as root) or sudo.
set -euo pipefail

declare -A PACKAGE_FOR=(
  [docker-registry]=docker-registry
  [skopeo]=skopeo
  [htpasswd]=apache2-utils
  [etcd]=etcd-server
)

missing=()
for cmd in "${!PACKAGE_FOR[@]}"; do
  if ! command -v "$cmd" >/dev/null 2>&1; then
    missing+=("${PACKAGE_FOR[$cmd]}")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "system-deps: docker-registry, skopeo, htpasswd and etcd are present"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${missing[*]} and no apt-get here; install them by hand" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "system-deps: missing ${missing[*]}; run this script as root" >&2
    exit 1
  fi
fi

echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

# The Debian packages start their own services (a registry on :5000, etcd on :2379) where an init
# system runs; the tests start their own on free ports, so packaged services are not needed.
for cmd in "${!PACKAGE_FOR[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || {
    echo "system-deps: $cmd still missing after install" >&2
    exit 1
  }
done
echo "system-deps: done"
