#!/usr/bin/env bash
# Builds localhost/node-base:20, a local stand-in for node:20-slim, for machines that cannot pull from a
# container registry: Debian bookworm minbase (debootstrap from the apt mirror) + this machine's Node 20,
# its npm and corepack, its headers (so node-gyp needs no download) and a `node` user with uid 1000, as in
# the official image. Idempotent: does nothing when the image exists.
# Needs root, podman and debootstrap. Storage and configuration come from test/deploy/podman-env.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/podman-env.sh"

image=${BASE_IMAGE:-localhost/node-base:20}
if podman image exists "$image"; then
  echo "base image $image already present"
  exit 0
fi

node_bin=$(command -v node)
node_version=$(node -p 'process.versions.node')
case "$node_version" in 20.*) ;; *) echo "need Node 20 on the host, found $node_version" >&2; exit 1 ;; esac
node_prefix=$(cd "$(dirname "$node_bin")/.." && pwd)
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
mirror=${mirror:-http://deb.debian.org/debian}

rootfs="$FLOWGATE_CONTAINER_DIR/rootfs"
if [ ! -x "$rootfs/bin/sh" ]; then
  rm -rf "$rootfs.partial"
  debootstrap --variant=minbase bookworm "$rootfs.partial" "$mirror" >"$FLOWGATE_CONTAINER_DIR/debootstrap.log" 2>&1 \
    || { tail -n 20 "$FLOWGATE_CONTAINER_DIR/debootstrap.log" >&2; exit 1; }
  mv "$rootfs.partial" "$rootfs"
fi

# Node lives under /usr/local, as in the official image.
install -D -m755 "$node_bin" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules" "$rootfs/usr/local/include"
rm -rf "$rootfs/usr/local/lib/node_modules/npm" "$rootfs/usr/local/lib/node_modules/corepack" "$rootfs/usr/local/include/node"
cp -a "$node_prefix/lib/node_modules/npm" "$node_prefix/lib/node_modules/corepack" "$rootfs/usr/local/lib/node_modules/"
cp -a "$node_prefix/include/node" "$rootfs/usr/local/include/node"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
ln -sf ../lib/node_modules/corepack/dist/corepack.js "$rootfs/usr/local/bin/corepack"
if ! chroot "$rootfs" id -u node >/dev/null 2>&1; then
  chroot "$rootfs" groupadd -g 1000 node
  chroot "$rootfs" useradd -u 1000 -g node -m -s /bin/bash node
fi
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*

tar --numeric-owner -C "$rootfs" -c . | podman import \
  --change "ENV NODE_VERSION=$node_version" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' - "$image" >/dev/null
echo "built base image $image (node $node_version)"
