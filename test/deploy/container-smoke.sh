#!/usr/bin/env bash
# Builds the repository's Dockerfile with podman and checks the image the way a user runs it:
# non-root, port 8080, HEALTHCHECK on /health (liveness: a slow first load is not unhealthy), the bundled example served by default, a model mounted at
# /opt/ml/model, MODEL_URI + MLFLOW_TRACKING_URI from the environment, and a clean exit on SIGTERM.
#
# For a root host like the CI machine: no Docker engine and no registry to pull base images from, so
# the base is built locally (make-node-base.sh) and passed as BASE_IMAGE; the host's CA bundle (npm goes
# through a TLS-intercepting proxy) is bind-mounted for the build's RUN steps only, never baked in.
# Knobs: IMAGE, PORT (host port on 127.0.0.1), BASE_IMAGE, FLOWGATE_CONTAINER_DIR, CONTEXT (the build
# context; default the work tree, e.g. a `git archive HEAD` export to leave uncommitted files out).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap slirp4netns uidmap >/dev/null
  else
    echo "container-smoke: needs podman, runc and debootstrap (apt-get install podman runc debootstrap)" >&2
    exit 1
  fi
fi
. "$here/podman-env.sh"

IMAGE=${IMAGE:-localhost/flowgate:ci}
PORT=${PORT:-18080}
BASE_IMAGE=${BASE_IMAGE:-localhost/node-base:20}
url="http://127.0.0.1:$PORT"
passed=0
failed=0
check() { # check <description> <command...>
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then passed=$((passed + 1)); echo "  ok   $what"
  else failed=$((failed + 1)); echo "  FAIL $what"; fi
}
containers=()
cleanup() { for c in "${containers[@]}"; do podman rm -f "$c" >/dev/null 2>&1 || true; done; }
: >"$FLOWGATE_CONTAINER_DIR/podman.log"
trap cleanup EXIT

BASE_IMAGE=$BASE_IMAGE bash "$here/make-node-base.sh"

build_npmrc="$FLOWGATE_CONTAINER_DIR/npmrc.build"
printf 'cafile=/run/host-ca.crt\nfund=false\naudit=false\nupdate-notifier=false\n' >"$build_npmrc"
echo "building $IMAGE"
start=$(date +%s)
podman build --pull=never --format docker --network host \
  --build-arg BASE_IMAGE="$BASE_IMAGE" \
  -v /etc/ssl/certs/ca-certificates.crt:/run/host-ca.crt:ro \
  -v "$build_npmrc:/usr/local/etc/npmrc:ro" \
  -t "$IMAGE" "${CONTEXT:-$repo}" >"$FLOWGATE_CONTAINER_DIR/build.log" 2>&1 \
  || { tail -n 40 "$FLOWGATE_CONTAINER_DIR/build.log" >&2; exit 1; }
echo "built in $(( $(date +%s) - start )) s; $(podman image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')"

inspect() { podman image inspect "$IMAGE" --format "$1"; }
echo "image"
check "runs as a non-root user" test "$(inspect '{{.Config.User}}')" = node
check "exposes 8080" sh -c "podman image inspect '$IMAGE' --format '{{json .Config.ExposedPorts}}' | grep -q '8080/tcp'"
check "has a HEALTHCHECK on /health" sh -c "podman image inspect '$IMAGE' --format '{{json .Config.Healthcheck}}' | grep -q /health"
in_image() { podman run --rm --pull=never --entrypoint sh "$IMAGE" -c "$1"; }
check "carries no build-time CA bundle or npmrc" in_image 'test ! -e /run/host-ca.crt && test ! -e /usr/local/etc/npmrc'
check "has no dev dependencies" in_image 'test ! -e /app/node_modules/vitest && test -e /app/node_modules/hono'
check "keeps one onnxruntime binary set" in_image 'test "$(ls -d /app/node_modules/onnxruntime-node/bin/napi-v*/*/*/ | wc -l)" = 1'

wait_ready() { # wait_ready <container>: up to 60 s for /ping
  for _ in $(seq 1 120); do
    curl -fsS "$url/ping" >/dev/null 2>&1 && return 0
    [ "$(podman inspect "$1" --format '{{.State.Running}}')" = true ] || return 1
    sleep 0.5
  done
  return 1
}
run() { # run <name> <podman run options...>: start the image on $PORT
  local name=$1; shift
  podman rm -f "$name" >/dev/null 2>&1 || true
  containers+=("$name")
  # stderr to a log: without systemd, podman complains on every run that it cannot add health timers.
  podman run -d --pull=never --name "$name" --read-only --tmpfs /tmp --network slirp4netns \
    -p "127.0.0.1:$PORT:8080" "$@" "$IMAGE" >/dev/null 2>>"$FLOWGATE_CONTAINER_DIR/podman.log"
}
labels_of() { curl -fsS -H 'Content-Type: application/json' --data-binary "@$1" "$url/invocations" | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.stringify(JSON.parse(s).predictions.label)));'; }

# iris v1's own input example (the Production version, which the default and the mounted runs serve)
example_body=$repo/$(sed -n 's/^source: //p' "$repo/examples/mlruns/models/iris/version-1/meta.yaml")/serving_input_example.json

echo "default: the bundled example (models:/iris/Production)"
run fg-smoke-example
check "answers /ping" wait_ready fg-smoke-example
check "predicts the example's labels" test "$(labels_of "$example_body")" = "[0,1,2,0,1]"
check "answers /version" curl -fsS "$url/version"
check "exposes /metrics" sh -c "curl -fsS '$url/metrics' | grep -q '^# TYPE'"
check "podman healthcheck run is healthy" podman healthcheck run fg-smoke-example
check "process uid is not 0" sh -c "test \"\$(podman exec fg-smoke-example id -u)\" != 0"
podman stop -t 10 fg-smoke-example >/dev/null 2>>"$FLOWGATE_CONTAINER_DIR/podman.log"
check "exits 0 on SIGTERM" test "$(podman inspect fg-smoke-example --format '{{.State.ExitCode}}')" = 0
podman logs fg-smoke-example >"$FLOWGATE_CONTAINER_DIR/example.log" 2>&1 || true

echo "a model mounted at /opt/ml/model"
model_dir=$repo/$(sed -n 's/^source: //p' "$repo/examples/mlruns/models/iris/version-1/meta.yaml")
run fg-smoke-mounted -v "$model_dir:/opt/ml/model:ro"
check "answers /ping" wait_ready fg-smoke-mounted
check "predicts with the mounted model" test "$(labels_of "$example_body")" = "[0,1,2,0,1]"
podman logs fg-smoke-mounted >"$FLOWGATE_CONTAINER_DIR/mounted.log" 2>&1 || true
podman rm -f fg-smoke-mounted >/dev/null 2>>"$FLOWGATE_CONTAINER_DIR/podman.log"

echo "MODEL_URI + MLFLOW_TRACKING_URI from the environment (a registry mounted read-only)"
run fg-smoke-env -v "$repo/examples/mlruns:/data/mlruns:ro" \
  -e MODEL_URI=models:/iris@challenger -e MLFLOW_TRACKING_URI=file:///data/mlruns
check "answers /ping" wait_ready fg-smoke-env
check "serves the Staging version (C=0.05)" sh -c \
  "curl -fsS -D - -o /dev/null -H 'Content-Type: application/json' --data-binary @'$example_body' '$url/invocations' | grep -qi '^x-flowgate-version: 2'"
podman logs fg-smoke-env >"$FLOWGATE_CONTAINER_DIR/env.log" 2>&1 || true

echo "container: $passed passed, $failed failed (logs in $FLOWGATE_CONTAINER_DIR)"
[ "$failed" = 0 ]
