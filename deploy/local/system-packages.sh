#!/usr/bin/env bash
# The system programs `make test` needs beyond Python: installs the missing ones on Debian
# when run as root; otherwise prints the one command that would, and fails at once (before
# a long test run fails half-way on a missing tool).
#
#   bash deploy/local/system-packages.sh          # used by `make system-deps` and .ci/run
#
# Environment: KUSTOMIZE_VERSION (v5.7.1), the kustomize `go install` builds when neither
# kubectl nor kustomize is on PATH.
set -euo pipefail

KUSTOMIZE_MODULE="sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION:-v5.7.1}"

say() { printf 'system packages: %s\n' "$*"; }

# Debian package for each command the build and the tests call.
missing=()
need() {  # command, package(s)
  local command=$1; shift
  command -v "$command" >/dev/null 2>&1 || missing+=("$@")
}
need java default-jre-headless                # the Kafka broker the tests start
need mvn maven                                # fetches the broker's jars
need curl curl
need flock util-linux
need npm nodejs npm                           # dashboard bundle, CRD schema checks
need promtool prometheus                      # rule checks; the server for its own test
need amtool prometheus-alertmanager           # Alertmanager routing test
need chromium chromium                        # dashboard end-to-end test
need chromedriver chromium-driver

is_root() { [[ $(id -u) -eq 0 ]]; }

if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "missing, by their Debian names: ${missing[*]}; install their equivalents" >&2
    exit 1
  fi
  if ! is_root; then
    say "missing: ${missing[*]}. Install them with:" >&2
    printf '  sudo apt-get update && sudo apt-get install -y --no-install-recommends %s\n' \
      "${missing[*]}" >&2
    exit 1
  fi
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The deploy checks render the Kubernetes overlays: kubectl or kustomize. Debian's own
# kubectl is too old for them, so kustomize is built with Go when neither is there.
if ! command -v kubectl >/dev/null 2>&1 && ! command -v kustomize >/dev/null 2>&1; then
  if is_root && command -v go >/dev/null 2>&1; then
    say "building kustomize ($KUSTOMIZE_MODULE)"
    GOBIN=/usr/local/bin go install "$KUSTOMIZE_MODULE"
  else
    say "neither kubectl nor kustomize is installed. With Go >= 1.22.7:" >&2
    printf '  GOBIN="$HOME/.local/bin" go install %s   # ~/.local/bin on PATH\n' \
      "$KUSTOMIZE_MODULE" >&2
    exit 1
  fi
fi
