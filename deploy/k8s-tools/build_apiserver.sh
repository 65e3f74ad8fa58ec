#!/usr/bin/env bash
# Build etcd and kube-apiserver from the Go module proxy, for apiserver_dry_run.sh.
#
#   bash deploy/k8s-tools/build_apiserver.sh [OUT_DIR]      # default: .run/k8s-tools/bin
#
# Neither builds with a plain `go install` (their go.mod files replace their own staging
# modules with local paths), so each is built from a small wrapper module that pins those
# modules to the matching published versions. About 10 minutes on two cores the first time.
set -euo pipefail
cd "$(dirname "$0")/../.."
KUBERNETES_VERSION=${KUBERNETES_VERSION:-1.36.3}
ETCD_VERSION=${ETCD_VERSION:-3.6.16}
out=$(realpath -m "${1:-.run/k8s-tools/bin}")
mkdir -p "$out"
export GOFLAGS=-mod=mod

build_dir=$(mktemp -d)
trap 'rm -rf "$build_dir"' EXIT

# kube-apiserver: k8s.io/kubernetes replaces k8s.io/<staging> => ./staging/...; use v0.X.Y.
gomod=$(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" |
  "${PYTHON:-.venv/bin/python}" -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
mkdir -p "$build_dir/apiserver" && cd "$build_dir/apiserver"
{
  printf 'module apiserverbuild\n\ngo 1.24\n\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' "$KUBERNETES_VERSION"
  grep -E '^\s+k8s\.io/[a-z-]+ => \./staging/' "$gomod" |
    awk -v v="v0.${KUBERNETES_VERSION#1.}" '{printf "\t%s => %s %s\n", $1, $1, v}'
  printf ')\n'
} >go.mod
printf '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver"\n' >tools.go
go mod tidy -e >/dev/null 2>&1
minor=${KUBERNETES_VERSION#1.}; minor=${minor%%.*}
go build -o "$out/kube-apiserver" -ldflags "-X k8s.io/component-base/version.gitVersion=v$KUBERNETES_VERSION \
  -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
  k8s.io/kubernetes/cmd/kube-apiserver
cd - >/dev/null

# etcd: go.etcd.io/etcd/server/v3 replaces its sibling modules with ../api and the like.
mkdir -p "$build_dir/etcd" && cd "$build_dir/etcd"
cat >go.mod <<MOD
module etcdbuild

go 1.24

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION

replace (
	go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 v$ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 v$ETCD_VERSION
	go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 v$ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 v$ETCD_VERSION
)
MOD
printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >tools.go
go mod tidy -e >/dev/null 2>&1
go build -o "$out/etcd" go.etcd.io/etcd/server/v3
cd - >/dev/null

echo "built $out/kube-apiserver (v$KUBERNETES_VERSION) and $out/etcd (v$ETCD_VERSION)"
echo "run: ETCD=$out/etcd KUBE_APISERVER=$out/kube-apiserver bash deploy/k8s-tools/apiserver_dry_run.sh"
