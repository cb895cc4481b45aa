#!/usr/bin/env bash
# build-redis-image.sh — make a local Redis image from this machine's redis-server binary, for machines that
# reach no container registry (see DESIGN.md, "Testing against real Redis"). No Dockerfile, no builder:
# a rootfs with the binary and the libraries ldd lists, fed to `docker import`.
#
# Usage: .ci/build-redis-image.sh            builds cachekit/redis-local:<redis version> unless it exists
#        REDIS_SERVER=/path/to/redis-server IMAGE_REPO=me/redis .ci/build-redis-image.sh
# Prints the image name (and nothing else) on stdout, so: CACHEKIT_REDIS_IMAGE=$(.ci/build-redis-image.sh)
set -euo pipefail

log() { printf 'build-redis-image: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

server=${REDIS_SERVER:-$(command -v redis-server || true)}
[ -n "$server" ] && [ -x "$server" ] || die "no redis-server binary (install Debian's redis-server or set REDIS_SERVER)"
command -v docker >/dev/null || die "no docker client on PATH"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer (docker info failed)"

# "Redis server v=7.0.15 sha=..." -> 7.0.15
version=$("$server" --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')
[ -n "$version" ] || die "cannot read the version from: $("$server" --version)"
image="${IMAGE_REPO:-cachekit/redis-local}:${version}"

if docker image inspect "$image" >/dev/null 2>&1; then
  log "$image already exists"
  echo "$image"
  exit 0
fi

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT

# The binary may be a symlink (Debian: redis-server -> redis-check-rdb) and picks its mode from argv[0],
# so copy the target's content under the name redis-server.
mkdir -p "$rootfs/usr/local/bin" "$rootfs/data"
cp -L "$server" "$rootfs/usr/local/bin/redis-server"

# Every library the dynamic loader needs, at the path ldd names (the loader itself included).
libs=$(ldd "$server" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
[ -n "$libs" ] || die "ldd listed no libraries for $server"
for lib in $libs; do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done

# --protected-mode no is required: Debian's build refuses connections that arrive through Docker's proxy.
tar -C "$rootfs" -c . | docker import \
  -c 'ENTRYPOINT ["/usr/local/bin/redis-server"]' \
  -c 'CMD ["--protected-mode","no","--save","","--appendonly","no","--dir","/data"]' \
  -c 'EXPOSE 6379' \
  - "$image" >/dev/null
log "built $image from $server ($(echo "$libs" | wc -w) libraries)"
echo "$image"
