#!/usr/bin/env bash
# Server-side dry run of the built overlays against a real kube-apiserver (+ etcd) started
# on 127.0.0.1 for the occasion, then stopped. Optional: not part of the pytest checks.
#
#   ETCD=/path/to/etcd KUBE_APISERVER=/path/to/kube-apiserver \
#     bash deploy/k8s-tools/apiserver_dry_run.sh [overlay-dir...]   # default: k8s/overlays/{dev,prod}
#
# Both binaries build from the Go module proxy (see k8s/README.md, "Server-side dry run").
# Core objects go through the API server's defaulting, validation and admission (Pod Security
# `restricted` warnings count as errors). Strimzi and Prometheus Operator objects are left
# out: their CRDs are not installed here (crd-validate checks them against the CRD schemas).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${ETCD:?set ETCD to an etcd binary}" "${KUBE_APISERVER:?set KUBE_APISERVER to a kube-apiserver binary}"
overlays=("$@")
[[ $# -eq 0 ]] && overlays=(k8s/overlays/dev k8s/overlays/prod)
work=$(mktemp -d)
pids=()
cleanup() {
  # The API server first, then etcd; kube-apiserver can take long over a graceful stop.
  local pid
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

etcd_port=$((20000 + RANDOM % 10000)); api_port=$((etcd_port + 1)); peer_port=$((etcd_port + 2))
"$ETCD" --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$peer_port" \
  >"$work/etcd.log" 2>&1 &
pids+=($!)
openssl genrsa -out "$work/sa.key" 2048 2>/dev/null
openssl rsa -in "$work/sa.key" -pubout -out "$work/sa.pub" 2>/dev/null
token=$(openssl rand -hex 16)
echo "$token,admin,admin,system:masters" >"$work/tokens.csv"
"$KUBE_APISERVER" --etcd-servers "http://127.0.0.1:$etcd_port" --bind-address 127.0.0.1 \
  --advertise-address 127.0.0.1 --secure-port "$api_port" --cert-dir "$work/certs" \
  --token-auth-file "$work/tokens.csv" --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$work/sa.pub" \
  --service-account-signing-key-file "$work/sa.key" --service-cluster-ip-range 10.96.0.0/24 \
  >"$work/apiserver.log" 2>&1 &
pids+=($!)
kube=(kubectl --kubeconfig /dev/null --server "https://127.0.0.1:$api_port" --token "$token"
  --insecure-skip-tls-verify=true --request-timeout=10s)
for _ in $(seq 120); do "${kube[@]}" get --raw /readyz >/dev/null 2>&1 && break; sleep 1; done
"${kube[@]}" get --raw /readyz >/dev/null || {
  tail -5 "$work/etcd.log"; tail -20 "$work/apiserver.log"; exit 1
}
echo "kube-apiserver $("${kube[@]}" get --raw /version | "${PYTHON:-.venv/bin/python}" -c 'import json,sys; print(json.load(sys.stdin)["gitVersion"])') on 127.0.0.1:$api_port"

status=0
for overlay in "${overlays[@]}"; do
  kubectl kustomize "$overlay" >"$work/overlay.yaml"
  "${PYTHON:-.venv/bin/python}" - "$work/overlay.yaml" "$work/ns.yaml" "$work/core.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
custom = ("kafka.strimzi.io", "monitoring.coreos.com")
namespaces = [d for d in docs if d["kind"] == "Namespace"]
core = [d for d in docs if d["kind"] != "Namespace" and d["apiVersion"].split("/")[0] not in custom]
yaml.safe_dump_all(namespaces, open(sys.argv[2], "w"))
yaml.safe_dump_all(core, open(sys.argv[3], "w"))
print(f"{len(core)} core objects, {len(docs) - len(core) - len(namespaces)} custom left out")
PY
  # The namespace for real (a dry run would not create it for the objects inside it).
  "${kube[@]}" apply -f "$work/ns.yaml" >/dev/null
  if "${kube[@]}" --warnings-as-errors apply --server-side --dry-run=server \
      --field-manager detente-dry-run -f "$work/core.yaml"; then
    echo "$overlay: server-side dry run OK"
  else
    echo "$overlay: server-side dry run FAILED"; status=1
  fi
done
exit $status
