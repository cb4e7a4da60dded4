# Sourced by the container scripts: podman settings for a root CI host without systemd, on hybrid cgroups
# (crun refuses them: use runc) and without CAP_SYS_RESOURCE (podman's default rlimits exceed the hard
# limits: pass the host's own, nproc capped at 32768 which is what runc can set).
# Everything podman stores stays under $FLOWGATE_CONTAINER_DIR.
FLOWGATE_CONTAINER_DIR=${FLOWGATE_CONTAINER_DIR:-/var/tmp/flowgate-container}
mkdir -p "$FLOWGATE_CONTAINER_DIR/tmp"

nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
[ "$nofile" = unlimited ] && nofile=1048576
if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then nproc=32768; fi

cat >"$FLOWGATE_CONTAINER_DIR/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
cat >"$FLOWGATE_CONTAINER_DIR/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$FLOWGATE_CONTAINER_DIR/storage"
runroot = "$FLOWGATE_CONTAINER_DIR/run"
EOF

export CONTAINERS_CONF="$FLOWGATE_CONTAINER_DIR/containers.conf"
export CONTAINERS_STORAGE_CONF="$FLOWGATE_CONTAINER_DIR/storage.conf"
export TMPDIR="$FLOWGATE_CONTAINER_DIR/tmp"
