#!/usr/bin/env bash
# Builds the Go-based test tools into ~/.cache/berth/bin, each only when its
# stamp (name@version@go-version) is missing. Safe to run concurrently (flock).
#   scripts/testbed/build.sh [tool ...]   # default: every tool
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${BERTH_CACHE:-$HOME/.cache/berth}
OUT=$CACHE/bin; SRC=$CACHE/src; STAMPS=$CACHE/stamps; LOGS=$CACHE/logs
mkdir -p "$OUT" "$SRC" "$STAMPS" "$LOGS"
GOVER=$(go env GOVERSION)

K8S=1.37.2
ETCD=v3.6.16
declare -A PKG=(
  [conformance]=github.com/opencontainers/distribution-spec/conformance@v0.0.0-20260831232431-97274622c111
  [crane]=github.com/google/go-containerregistry/cmd/crane@v0.22.1
  [oras]=oras.land/oras/cmd/oras@v1.3.6
  [helm]=helm.sh/helm/v3/cmd/helm@v3.22.0
  [regctl]=github.com/regclient/regclient/cmd/regctl@v0.11.5
  [cosign]=github.com/sigstore/cosign/v2/cmd/cosign@v2.6.4
  [registry]=github.com/distribution/distribution/v3/cmd/registry@v3.1.1
  [versitygw]=github.com/versity/versitygw/cmd/versitygw@v1.7.0
  # MinIO has only pseudo-versions on the proxy.
  [minio]=github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
  # The MinIO client, for the bucket Job of managed MinIO (pseudo-versions only, too).
  [mc]=github.com/minio/mc@v0.0.0-20250313080218-cf909e1063a9
  # Cluster DNS of the test node: pods resolve Service names through it.
  [coredns]=github.com/coredns/coredns@v1.15.0
  # v2.6.0 needs a newer Go toolchain than this machine's.
  [osv-scanner]=github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.5.0
)
ALL=(conformance crane oras regctl helm versitygw etcd kube kubenode registry minio mc coredns cosign osv-scanner berth-credential-provider)
# The project's own Go program (credential-provider/), built from this checkout.
PROVIDER_SRC=$(cd "$HERE/../../credential-provider" && pwd)
# Debian packages the suites need, installed when a command is missing.
declare -A APT=(
  [skopeo]="skopeo"
  [postgres]="postgresql"
  [chromium]="chromium fonts-liberation"
  # gcc and libc6-dev: scripts/images/build.sh links the pause image's program statically.
  [node]="containerd runc containernetworking-plugins umoci busybox-static conntrack jq gcc libc6-dev"
)
declare -A APT_PROBE=(
  [skopeo]="skopeo"
  [postgres]="/usr/lib/postgresql/15/bin/initdb"
  [chromium]="/usr/bin/chromium"
  [node]="containerd runc umoci /usr/lib/cni/bridge /bin/busybox conntrack jq gcc strip /usr/lib/x86_64-linux-gnu/libc.a"
)
APT_ALL=(skopeo postgres chromium node)

stamp_of() {
  case $1 in
    etcd) echo "etcd@$ETCD@$GOVER" ;;
    kube) echo "kube@$K8S@$GOVER" ;;
    kubenode) echo "kubenode@$K8S@$GOVER" ;;
    berth-credential-provider) echo "berth-credential-provider@$(cat "$PROVIDER_SRC"/go.mod "$PROVIDER_SRC"/*.go | sha256sum | cut -c1-16)@$GOVER" ;;
    *) echo "$1@${PKG[$1]#*@}@$GOVER" ;;
  esac
}

# go install into a private GOBIN, then move into place atomically.
install_plain() {
  local name=$1 tmp; tmp=$(mktemp -d "$CACHE/tmp.XXXXXX")
  CGO_ENABLED=0 GOBIN=$tmp go install -trimpath -ldflags "-s -w" "${PKG[$name]}"
  mv -f "$tmp/$(basename "${PKG[$name]%@*}")" "$OUT/$name"; rm -rf "$tmp"
}

# etcd's server module uses local replaces, so build it from a wrapper module.
install_etcd() {
  local w=$SRC/etcd-$ETCD; mkdir -p "$w"; cd "$w"
  [ -f go.mod ] || go mod init berth.local/etcdbin >/dev/null 2>&1
  go get -tool "go.etcd.io/etcd/server/v3@$ETCD"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3
  mv -f "$OUT/etcd.tmp" "$OUT/etcd"
}

# k8s.io/kubernetes requires its staging modules at v0.0.0; replace each with
# its published v0.<minor>.<patch>, and stamp the version for /version.
install_kube() {
  local staging=v0.${K8S#1.} minor; minor=$(echo $K8S | cut -d. -f2)
  local w=$SRC/kube-$K8S; mkdir -p "$w"; cd "$w"
  [ -f go.mod ] || go mod init berth.local/kubebin >/dev/null 2>&1
  local gomod; gomod=$(go mod download -json "k8s.io/kubernetes@v$K8S" | sed -n 's/^\s*"GoMod": "\([^"]*\)".*/\1/p')
  for m in $(sed -n 's#^\s*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$gomod"); do
    go mod edit -replace="$m=$m@$staging"
  done
  go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@v$K8S" "k8s.io/kubernetes/cmd/kube-controller-manager@v$K8S"
  local v=k8s.io/component-base/version
  local ldf="-s -w -X $v.gitVersion=v$K8S -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=2026-01-01T00:00:00Z"
  local tmp; tmp=$(mktemp -d "$CACHE/tmp.XXXXXX")
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldf" -o "$tmp/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
  mv -f "$tmp/kube-apiserver" "$OUT/kube-apiserver"; mv -f "$tmp/kube-controller-manager" "$OUT/kube-controller-manager"; rm -rf "$tmp"
}

# The node's binaries (kubelet, scheduler, kubectl, kube-proxy) from the same
# wrapper module as kube-apiserver: it adds no require lines, only tools.
install_kubenode() {
  local minor; minor=$(echo $K8S | cut -d. -f2)
  local w=$SRC/kube-$K8S; [ -f "$w/go.mod" ] || { echo "build kube first" >&2; return 1; }; cd "$w"
  go get -tool "k8s.io/kubernetes/cmd/kubelet@v$K8S" "k8s.io/kubernetes/cmd/kube-scheduler@v$K8S" \
    "k8s.io/kubernetes/cmd/kubectl@v$K8S" "k8s.io/kubernetes/cmd/kube-proxy@v$K8S"
  local v=k8s.io/component-base/version
  local ldf="-s -w -X $v.gitVersion=v$K8S -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=2026-01-01T00:00:00Z"
  local tmp; tmp=$(mktemp -d "$CACHE/tmp.XXXXXX")
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldf" -o "$tmp/" k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl k8s.io/kubernetes/cmd/kube-proxy
  for b in kubelet kube-scheduler kubectl kube-proxy; do mv -f "$tmp/$b" "$OUT/$b"; done; rm -rf "$tmp"
}

# berth-credential-provider: static (CGO off), as it ships to nodes.
install_credential_provider() {
  local tmp; tmp=$(mktemp -d "$CACHE/tmp.XXXXXX")
  (cd "$PROVIDER_SRC" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/berth-credential-provider" .)
  mv -f "$tmp/berth-credential-provider" "$OUT/berth-credential-provider"; rm -rf "$tmp"
}

build_one() {
  local name=$1 stamp; stamp=$(stamp_of "$name")
  [ -f "$STAMPS/$name" ] && [ "$(cat "$STAMPS/$name")" = "$stamp" ] && return 0
  local t0=$SECONDS
  echo "[build] $name ($stamp) ..." >&2
  if ( case $name in etcd) install_etcd ;; kube) install_kube ;; kubenode) install_kubenode ;; berth-credential-provider) install_credential_provider ;; *) install_plain "$name" ;; esac ) >"$LOGS/$name.log" 2>&1; then
    echo "$stamp" >"$STAMPS/$name"
    echo "[build] $name done in $((SECONDS - t0))s" | tee -a "$LOGS/times.log" >&2
  else
    echo "[build] $name FAILED after $((SECONDS - t0))s; see $LOGS/$name.log" >&2
    tail -n 20 "$LOGS/$name.log" >&2
    return 1
  fi
}

APT_UPDATED=
ensure_apt() {
  local group=$1 missing=0 p
  for p in ${APT_PROBE[$group]}; do command -v "$p" >/dev/null || [ -e "$p" ] || missing=1; done
  [ $missing = 0 ] && return 0
  echo "[build] installing ${APT[$group]} from Debian" >&2
  local t0=$SECONDS
  { [ -n "$APT_UPDATED" ] || apt-get update -qq; } >"$LOGS/apt-$group.log" 2>&1 && APT_UPDATED=1
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${APT[$group]} >>"$LOGS/apt-$group.log" 2>&1 \
    || { tail -n 20 "$LOGS/apt-$group.log" >&2; return 1; }
  echo "[build] apt $group done in $((SECONDS - t0))s" | tee -a "$LOGS/times.log" >&2
}

main() {
  local tools=("$@"); [ ${#tools[@]} -gt 0 ] || tools=("${APT_ALL[@]}" "${ALL[@]}")
  exec 9>"$CACHE/build.lock"; flock 9
  local failed=0
  for t in "${tools[@]}"; do
    if [ -n "${APT[$t]:-}" ]; then ensure_apt "$t" || failed=1; else build_one "$t" || failed=1; fi
  done
  return $failed
}
main "$@"
