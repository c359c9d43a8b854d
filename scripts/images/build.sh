#!/usr/bin/env bash
# Builds Berth's images as OCI images without Docker, with umoci and skopeo from
# Debian, from what this machine already has: the compiled output (`npm run build`
# → dist/), the production node_modules, the Node 20 runtime, and the Go binaries
# scripts/testbed/build.sh made. Each image holds what its Dockerfile (or the
# upstream image) puts in it and nothing else: no shell, no package manager.
#
#   scripts/images/build.sh [IMAGE ...]     IMAGE: operator registry minio mc postgres coredns pause busybox credential-provider (default: all)
#
# Output in $BERTH_CACHE/images (~/.cache/berth/images):
#   oci/          one OCI layout holding every image (tag NAME-KEY), layers shared
#   NAME.tar      docker-archive named berth.local/NAME:KEY, for `ctr images import`
#   NAME.json     {name, ref, key, cached, buildSeconds, layers, compressedBytes, unpackedBytes}
# KEY is a hash of every input, so an unchanged image is never rebuilt.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${BERTH_CACHE:-$HOME/.cache/berth}
BIN=$CACHE/bin
OUT=$CACHE/images
LAYOUT=$OUT/oci
SCRIPT_HASH=$(cat "$0" "$ROOT/scripts/images/pause.c" "$ROOT/scripts/images/postgres-entrypoint.sh" | sha256sum | cut -c1-64)
# Every file and the image config carry this date, so identical inputs give identical layers.
EPOCH=1767225600 # 2026-01-01T00:00:00Z
CREATED=2026-01-01T00:00:00Z
PATH_ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ALL=(operator registry minio mc postgres coredns pause busybox credential-provider)

mkdir -p "$OUT"
exec 9>"$OUT/build.lock"; flock 9
WORK=$(mktemp -d "$OUT/work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
[ -f "$LAYOUT/index.json" ] || umoci init --layout "$LAYOUT"

die() { echo "images: $*" >&2; exit 1; }
key_of() { sha256sum | cut -c1-16; }
# "sha256 path" of every file under the arguments, sorted: the input of a key.
tree_hash() { find "$@" -type f -print0 | sort -z | xargs -0 sha256sum; }
has_tag() { umoci ls --layout "$LAYOUT" | grep -x "$1" >/dev/null; } # not -q: an early exit would fail umoci with SIGPIPE

# A reproducible layer: sorted names, one mtime, root-owned, no atime/ctime.
layer_tar() { # DIR OUT.tar
  tar --sort=name --mtime=@$EPOCH --owner=0 --group=0 --numeric-owner --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$1" -cf "$2" .
}

# Adds a layer from a staged directory to FROM, tagging the result TO; the
# history entry names what the layer holds.
add_layer() { # FROM TO DIR
  layer_tar "$3" "$WORK/layer.tar"
  local what; what=$(cd "$3" && find . -mindepth 1 -maxdepth 2 | sort | head -6 | tr '\n' ' ')
  local hist=(--history.created "$CREATED" --history.created_by "scripts/images/build.sh: $what")
  if [ "$1" = "$2" ]; then umoci raw add-layer "${hist[@]}" --image "$LAYOUT:$1" "$WORK/layer.tar"
  else umoci raw add-layer "${hist[@]}" --image "$LAYOUT:$1" --tag "$2" "$WORK/layer.tar"; fi
  rm -f "$WORK/layer.tar"
}

# /etc/passwd and /etc/group with root, nobody and the distroless "nonroot" user
# (65532), the CA bundle, and a /tmp: what a distroless base provides.
stage_base() { # DIR
  local d=$1
  install -d -m 0755 "$d/etc/ssl/certs"
  install -d -m 1777 "$d/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$d/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' > "$d/etc/group"
  chmod 0644 "$d/etc/passwd" "$d/etc/group"
  install -m 0644 /etc/ssl/certs/ca-certificates.crt "$d/etc/ssl/certs/ca-certificates.crt"
}

# The Node runtime where distroless puts it (/nodejs/bin/node), with the shared
# libraries it and the native addons of MODULES (better-sqlite3's, for the
# metadata index) load, and their loader.
NODE_BIN=$(readlink -f "$(command -v node)")
node_libs() { # [MODULES]
  { ldd "$NODE_BIN"; [ -z "${1:-}" ] || find "$1" -type f -name '*.node' -exec ldd {} \; 2>/dev/null; } \
    | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u
}
stage_node() { # DIR MODULES
  local d=$1 lib
  install -D -m 0755 "$NODE_BIN" "$d/nodejs/bin/node"
  for lib in $(node_libs "$2"); do install -D -m 0755 "$(readlink -f "$lib")" "$d$lib"; done
}

# Production dependencies: the lockfile's tree without devDependencies
# (what `npm ci && npm prune --omit=dev` leaves in the Dockerfiles' build stage).
prod_modules() { # -> path of a cached node_modules for this lockfile
  local k; k=$(cat "$ROOT/package.json" "$ROOT/package-lock.json" | key_of)
  local dir=$OUT/node_modules-$k
  if [ ! -d "$dir/node_modules" ]; then
    rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
    cp "$ROOT/package.json" "$ROOT/package-lock.json" "$dir.tmp/"
    cp -a "$ROOT/node_modules" "$dir.tmp/node_modules"
    (cd "$dir.tmp" && npm prune --omit=dev --offline --no-audit --no-fund >/dev/null 2>&1) || die "npm prune --omit=dev failed in $dir.tmp"
    rm -f "$dir.tmp/node_modules/.package-lock.json"
    rm -rf "$dir"; mv "$dir.tmp" "$dir"
  fi
  echo "$dir/node_modules"
}

# Compiled files of PART (e.g. operator/src) that still have a source: dist/ may
# hold output of files deleted since, which must not reach an image.
stage_dist() { # PART DEST
  local part=$1 dest=$2 f src
  [ -d "$ROOT/dist/$part" ] || die "dist/$part is missing: run npm run build first"
  while IFS= read -r -d '' f; do
    src=${f%.map}; src=${src%.js}.ts
    [ -f "$ROOT/$src" ] || continue
    install -D -m 0644 "$ROOT/dist/$f" "$dest/$f"
  done < <(cd "$ROOT/dist" && find "$part" -type f \( -name '*.js' -o -name '*.js.map' \) -print0)
}

dist_hash() { (cd "$ROOT/dist" && tree_hash "$@") | key_of; }

# base-KEY: the base layer; node-KEY: base + Node runtime + production node_modules.
base_tag() {
  local k; k=$( { echo "$SCRIPT_HASH"; sha256sum /etc/ssl/certs/ca-certificates.crt; } | key_of)
  local tag=base-$k
  if ! has_tag "$tag"; then
    umoci new --image "$LAYOUT:$tag"
    mkdir -p "$WORK/base"; stage_base "$WORK/base"; add_layer "$tag" "$tag" "$WORK/base"; rm -rf "$WORK/base"
  fi
  echo "$tag"
}
node_tag() {
  local base modules k; base=$(base_tag); modules=$(prod_modules)
  k=$( { echo "$base"; sha256sum "$NODE_BIN" $(node_libs "$modules"); echo "$modules"; } | key_of)
  local tag=node-$k
  if ! has_tag "$tag"; then
    mkdir -p "$WORK/node"; stage_node "$WORK/node" "$modules"; add_layer "$base" "$tag.tmp" "$WORK/node"; rm -rf "$WORK/node"
    mkdir -p "$WORK/mods/app"; cp -a "$modules" "$WORK/mods/app/node_modules"; add_layer "$tag.tmp" "$tag" "$WORK/mods"; rm -rf "$WORK/mods"
    umoci rm --image "$LAYOUT:$tag.tmp"
  fi
  echo "$tag"
}

configure() { # TAG umoci-config-args...
  local tag=$1; shift
  umoci config --no-history --image "$LAYOUT:$tag" --created "$CREATED" --author berth --os linux --architecture amd64 "$@"
}

# ---- one function per image: print the key, then (when asked) build the tag ----

image_operator() { # key | build TAG
  local parts=(contract operator/src)
  if [ "$1" = key ]; then { node_tag; dist_hash "${parts[@]}"; sha256sum "$ROOT/package.json"; } | key_of; return; fi
  local d=$WORK/operator/app
  mkdir -p "$d"; install -m 0644 "$ROOT/package.json" "$d/package.json"
  for p in "${parts[@]}"; do stage_dist "$p" "$d/dist"; done
  add_layer "$(node_tag)" "$2" "$WORK/operator"
  configure "$2" --config.user 65532:65532 --config.workingdir /app \
    --config.env "$PATH_ENV" --config.env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt --config.env NODE_ENV=production \
    --config.exposedports 8081/tcp \
    --config.entrypoint /nodejs/bin/node --config.entrypoint /app/dist/operator/src/main.js
}

image_registry() {
  local parts=(contract registry/src)
  if [ "$1" = key ]; then { node_tag; dist_hash "${parts[@]}"; sha256sum "$ROOT/package.json"; } | key_of; return; fi
  local d=$WORK/registry/app
  mkdir -p "$d" "$WORK/registry/usr/local/bin"; install -m 0644 "$ROOT/package.json" "$d/package.json"
  for p in "${parts[@]}"; do stage_dist "$p" "$d/dist"; done
  # The Deployment runs the command `berth-registry`; there is no shell, so the launcher names node by path
  # (with the V8 flags of package.json's start script, as Dockerfile.registry's launcher).
  printf '#!/nodejs/bin/node --max-semi-space-size=4\nimport("/app/dist/registry/src/main.js");\n' > "$WORK/registry/usr/local/bin/berth-registry"
  chmod 0755 "$WORK/registry/usr/local/bin/berth-registry"
  add_layer "$(node_tag)" "$2" "$WORK/registry"
  configure "$2" --config.user 65532:65532 --config.workingdir /app \
    --config.env "$PATH_ENV" --config.env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt --config.env NODE_ENV=production --config.env MALLOC_MMAP_THRESHOLD_=131072 \
    --config.exposedports 5000/tcp \
    --config.entrypoint /usr/local/bin/berth-registry --config.cmd --config --config.cmd /etc/berth/config.yaml
}

# A static Go binary on the base layer.
go_image() { # key|build TAG BINARY DEST user entrypoint-args...
  local mode=$1 tag=$2 bin=$BIN/$3 dest=$4 user=$5; shift 5
  [ -x "$bin" ] || die "$bin is missing: run scripts/testbed/build.sh $(basename "$bin")"
  if [ "$mode" = key ]; then { base_tag; sha256sum "$bin"; echo "$dest $user $*"; } | key_of; return; fi
  mkdir -p "$WORK/go$(dirname "$dest")"; install -m 0755 "$bin" "$WORK/go$dest"
  add_layer "$(base_tag)" "$tag" "$WORK/go"; rm -rf "$WORK/go"
  local args=(); for a in "$@"; do args+=(--config.entrypoint "$a"); done
  configure "$tag" --config.user "$user" --config.workingdir / --config.env "$PATH_ENV" "${args[@]}"
}

# MinIO as the upstream image runs it: `minio server /data ...` from the StatefulSet's args.
image_minio() { go_image "$1" "${2:-}" minio /usr/bin/minio 65532:65532 /usr/bin/minio; }
image_coredns() { go_image "$1" "${2:-}" coredns /coredns 65532:65532 /coredns; }
# The chart's provider installer, as Dockerfile.credential-provider: FROM scratch, the static binary
# alone, root (it writes a root-owned host directory), `install /host/credential-providers` by default.
image_credential-provider() {
  local bin=$BIN/berth-credential-provider
  [ -x "$bin" ] || die "$bin is missing: run scripts/testbed/build.sh berth-credential-provider"
  if [ "$1" = key ]; then { echo "$SCRIPT_HASH"; sha256sum "$bin"; } | key_of; return; fi
  mkdir -p "$WORK/cp"; install -m 0755 "$bin" "$WORK/cp/berth-credential-provider"
  umoci new --image "$LAYOUT:$2.tmp"
  add_layer "$2.tmp" "$2" "$WORK/cp"; rm -rf "$WORK/cp"; umoci rm --image "$LAYOUT:$2.tmp"
  configure "$2" --config.user 0:0 --config.workingdir / --config.entrypoint /berth-credential-provider \
    --config.cmd install --config.cmd /host/credential-providers
}

# The MinIO client with a shell: the bucket Job runs `/bin/sh -c 'until mc ...; do sleep 2; done'`.
image_mc() {
  if [ "$1" = key ]; then { go_image key x mc /usr/bin/mc 65532:65532 /usr/bin/mc; sha256sum /bin/busybox; } | key_of; return; fi
  go_image build "$2" mc /usr/bin/mc 65532:65532 /usr/bin/mc
  mkdir -p "$WORK/sh/bin"; install -m 0755 /bin/busybox "$WORK/sh/bin/busybox"
  ln -s busybox "$WORK/sh/bin/sh"; ln -s busybox "$WORK/sh/bin/sleep"
  add_layer "$2" "$2" "$WORK/sh"; rm -rf "$WORK/sh"
}

# PostgreSQL 15 from Debian's packages, with the official image's contract for the
# managed metadata database: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB and
# PGDATA, a database initialised on first start, pg_isready on the PATH, user 999.
PG=/usr/lib/postgresql/15
image_postgres() {
  [ -x "$PG/bin/postgres" ] || die "$PG/bin/postgres is missing: run scripts/testbed/build.sh postgres"
  if [ "$1" = key ]; then { base_tag; dpkg-query -W postgresql-15 libc6; sha256sum "$ROOT/scripts/images/postgres-entrypoint.sh" /bin/busybox; } | key_of; return; fi
  local d=$WORK/pg f lib
  mkdir -p "$d$PG/bin" "$d$PG/lib" "$d/usr/share/postgresql" "$d/usr/share" "$d/bin" "$d/usr/local/bin" "$d/var/lib/postgresql" "$d/var/run/postgresql"
  for f in postgres initdb pg_ctl pg_isready; do install -m 0755 "$PG/bin/$f" "$d$PG/bin/$f"; done
  # Server modules (plpgsql, text search dictionaries, encodings), without the LLVM JIT.
  find "$PG/lib" -maxdepth 1 -name '*.so' ! -name 'llvmjit*' -exec install -m 0755 {} "$d$PG/lib/" \;
  cp -a /usr/share/postgresql/15 "$d/usr/share/postgresql/15"
  cp -a /usr/share/zoneinfo "$d/usr/share/zoneinfo"
  for lib in $( { for f in "$d$PG"/bin/* "$d$PG"/lib/*.so; do ldd "$f"; done; } | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u); do
    install -D -m 0755 "$(readlink -f "$lib")" "$d$lib"
  done
  install -m 0755 /bin/busybox "$d/bin/busybox"
  for f in sh mkdir chmod rm cat mktemp; do ln -s busybox "$d/bin/$f"; done
  install -m 0755 "$ROOT/scripts/images/postgres-entrypoint.sh" "$d/usr/local/bin/docker-entrypoint.sh"
  # The base's users plus postgres (999), as in the official image.
  mkdir -p "$d/etc"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\npostgres:x:999:999:postgres:/var/lib/postgresql:/bin/sh\n' > "$d/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\npostgres:x:999:\n' > "$d/etc/group"
  chmod 0644 "$d/etc/passwd" "$d/etc/group"
  add_layer "$(base_tag)" "$2" "$d"; rm -rf "$d"
  configure "$2" --config.user 999:999 --config.workingdir / \
    --config.env PATH=$PG/bin:/usr/local/bin:/usr/bin:/bin --config.env PGDATA=/var/lib/postgresql/data \
    --config.exposedports 5432/tcp --config.entrypoint docker-entrypoint.sh --config.cmd postgres
}

# busybox with every applet: the workloads the tests push and run.
image_busybox() {
  if [ "$1" = key ]; then { base_tag; sha256sum /bin/busybox; } | key_of; return; fi
  mkdir -p "$WORK/bb/bin"; install -m 0755 /bin/busybox "$WORK/bb/bin/busybox"
  local a; for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$WORK/bb/bin/$a"; done
  add_layer "$(base_tag)" "$2" "$WORK/bb"; rm -rf "$WORK/bb"
  configure "$2" --config.user 65532:65532 --config.workingdir / --config.env "$PATH_ENV" --config.cmd sh
}

image_pause() {
  if [ "$1" = key ]; then echo "$SCRIPT_HASH $(gcc --version | head -1)" | key_of; return; fi
  mkdir -p "$WORK/pause"
  gcc -Os -static -o "$WORK/pause/pause" "$ROOT/scripts/images/pause.c"; strip "$WORK/pause/pause"
  umoci new --image "$LAYOUT:$2.tmp"
  add_layer "$2.tmp" "$2" "$WORK/pause"; rm -rf "$WORK/pause"; umoci rm --image "$LAYOUT:$2.tmp"
  configure "$2" --config.user 65535:65535 --config.workingdir / --config.entrypoint /pause
}

# Sizes of the image TAG: compressed (what a registry stores and a pull moves) and unpacked.
sizes() { # TAG -> "layers compressed unpacked"
  node -e '
    const fs = require("fs"), path = require("path"), zlib = require("zlib");
    const [layout, tag] = process.argv.slice(1);
    const blob = (d) => path.join(layout, "blobs", ...d.split(":"));
    const index = JSON.parse(fs.readFileSync(path.join(layout, "index.json")));
    const ref = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag);
    const manifest = JSON.parse(fs.readFileSync(blob(ref.digest)));
    let unpacked = 0;
    for (const l of manifest.layers) unpacked += zlib.gunzipSync(fs.readFileSync(blob(l.digest))).length;
    const compressed = manifest.layers.reduce((s, l) => s + l.size, 0) + manifest.config.size;
    console.log(manifest.layers.length, compressed, unpacked);
  ' "$LAYOUT" "$1"
}

build() { # NAME
  local name=$1 t0=$SECONDS key tag ref cached=true
  declare -F "image_$name" >/dev/null || die "unknown image $name (one of: ${ALL[*]})"
  key=$("image_$name" key)
  tag=$name-$key; ref=berth.local/$name:$key
  if has_tag "$tag" && [ -f "$OUT/$name.tar" ] && grep -q "\"ref\":\"$ref\"" "$OUT/$name.json" 2>/dev/null; then
    sed -i 's/"cached":false/"cached":true/' "$OUT/$name.json"
    echo "[images] $name: $ref (cached)" >&2
    return
  fi
  if ! has_tag "$tag"; then
    cached=false; "image_$name" build "$tag"
    # Only the newest build of each image is kept.
    for old in $(umoci ls --layout "$LAYOUT" | grep "^$name-" | grep -vx "$tag"); do umoci rm --image "$LAYOUT:$old"; done
  fi
  rm -f "$OUT/$name.tar.tmp"
  skopeo copy -q "oci:$LAYOUT:$tag" "docker-archive:$OUT/$name.tar.tmp:$ref"
  mv -f "$OUT/$name.tar.tmp" "$OUT/$name.tar"
  read -r layers compressed unpacked < <(sizes "$tag")
  printf '{"name":"%s","ref":"%s","key":"%s","tag":"%s","cached":%s,"buildSeconds":%s,"layers":%s,"compressedBytes":%s,"unpackedBytes":%s}\n' \
    "$name" "$ref" "$key" "$tag" "$cached" "$((SECONDS - t0))" "$layers" "$compressed" "$unpacked" > "$OUT/$name.json"
  echo "[images] $name: $ref ($( [ "$cached" = true ] && echo cached || echo "built in $((SECONDS - t0)) s"), $((compressed / 1024 / 1024)) MiB compressed, $((unpacked / 1024 / 1024)) MiB unpacked)" >&2
}

images=("$@"); [ ${#images[@]} -gt 0 ] || images=("${ALL[@]}")
for i in "${images[@]}"; do build "$i"; done
# Intermediate tags of older inputs, then the blobs nothing refers to any more.
intermediates='^base-'; keep=$(base_tag)
if [[ " ${images[*]} " =~ " operator " || " ${images[*]} " =~ " registry " ]]; then intermediates='^(base|node)-'; keep="$keep $(node_tag)"; fi
for old in $(umoci ls --layout "$LAYOUT" | grep -E "$intermediates"); do
  [[ " $keep " =~ " $old " ]] || umoci rm --image "$LAYOUT:$old"
done
umoci gc --layout "$LAYOUT"
