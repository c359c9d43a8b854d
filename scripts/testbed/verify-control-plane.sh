#!/usr/bin/env bash
# Checks the control-plane binaries that build.sh put in ~/.cache/berth/bin:
# present, runnable, and stamped with the versions build.sh pins.
#   scripts/testbed/verify-control-plane.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${BERTH_CACHE:-$HOME/.cache/berth}/bin
K8S=$(sed -n 's/^K8S=\(.*\)$/\1/p' "$HERE/build.sh")
ETCD=$(sed -n 's/^ETCD=\(.*\)$/\1/p' "$HERE/build.sh")
failed=0

check() { # name, expected substring, command...
  local name=$1 want=$2; shift 2
  local got
  if ! got=$("$@" 2>&1 | head -n 1); then
    echo "FAIL $name: could not run $*" >&2; failed=1; return
  fi
  if [[ $got == *"$want"* ]]; then echo "ok   $name: $got"; else echo "FAIL $name: got '$got', want '$want'" >&2; failed=1; fi
}

check kube-apiserver "Kubernetes v$K8S" "$BIN/kube-apiserver" --version
check kube-controller-manager "Kubernetes v$K8S" "$BIN/kube-controller-manager" --version
check etcd "etcd Version: ${ETCD#v}" "$BIN/etcd" --version
exit $failed
