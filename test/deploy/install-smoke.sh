#!/usr/bin/env bash
# Install outside a checkout, as users install Node tools: `npm pack` makes the tarball (compiled code, the
# example registry, the bin; no tests, no fixtures), `npm install -g` puts it in a fresh prefix, and the
# installed `flowgate` serves the example model. Prints "install: N passed, N failed" last (.ci/run counts it).
set -uo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
passed=0 failed=0
check() { # check <name> <command...>
  local name=$1; shift
  if "$@"; then echo "ok: $name"; passed=$((passed + 1)); else echo "FAILED: $name"; failed=$((failed + 1)); fi
}
summary() { echo "install: $passed passed, $failed failed"; }

tgz=$(npm pack --silent --pack-destination "$work" | tail -1)
check "npm pack makes a tarball" test -f "$work/$tgz" || { summary; exit 1; }
tar -tzf "$work/$tgz" >"$work/contents"
check "it holds the compiled CLI" grep -qx 'package/dist/src/cli/main.js' "$work/contents"
check "it holds the compiled flavors" grep -q '^package/dist/flavors/onnx/' "$work/contents"
check "it holds the example registry" grep -q '^package/examples/mlruns/models/iris/' "$work/contents"
check "no tests, sources or fixtures" bash -c '! grep -qE "^package/(test|src|flavors|bench|scripts)/|fixtures|\.test\.js$" "$0"' "$work/contents"

prefix="$work/prefix"
export ONNXRUNTIME_NODE_INSTALL=skip JOBS=max
check "npm install -g the tarball into a fresh prefix" \
  npm install -g "$work/$tgz" --prefix "$prefix" --prefer-offline --no-audit --no-fund --loglevel=error
flowgate="$prefix/bin/flowgate"
check "flowgate --version" bash -c '"$0" --version | grep -qx "flowgate $(node -p "require(\"./package.json\").version")"' "$flowgate"

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
examples="$prefix/lib/node_modules/flowgate/examples/mlruns"
(cd "$work" && exec "$flowgate" serve -m models:/iris/Production --tracking-uri "$examples" -p "$port" >"$work/serve.log" 2>&1) &
server_pid=$!
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/ping" >/dev/null && break; sleep 0.5; done
answer=$(curl -s "http://127.0.0.1:$port/invocations" -H 'Content-Type: application/json' -d '{"inputs": [[5.1, 3.5, 1.4, 0.2]]}')
check "the installed flowgate serves the example (setosa)" bash -c '[[ "$0" == "{\"predictions\": {\"label\": [0], "* ]]' "$answer"
kill -TERM "$server_pid"
for _ in $(seq 40); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.5; done
check "it drains and exits on SIGTERM" bash -c '! kill -0 "$0" 2>/dev/null' "$server_pid"
check "no npm or Node warnings from the server" bash -c '! grep -iE "npm warn|Warning:" "$0"' "$work/serve.log"
summary
[ "$failed" = 0 ]
