#!/usr/bin/env bash
# Builds @tensorflow/tfjs-node's native addon offline, against the TensorFlow C API inside a
# tensorflow(-cpu) 2.x wheel, so flowgate can serve TensorFlow SavedModels.
#
# Why: tfjs-node's own install step downloads libtensorflow and a prebuilt addon, which fails
# without internet; flowgate lists tfjs-node as an optional dependency whose install script
# is not run (package.json allowScripts). TensorFlow 2.x wheels ship libtensorflow_cc.so.2,
# libtensorflow_framework.so.2 and the C API headers; the C API is ABI-stable, so the addon
# compiles against them (research: shared/research/tfjs-node-offline.md).
#
# Usage: bash scripts/build-tfjs-node.sh            (after npm ci; about a minute, ~800 MB in node_modules)
#   TFJS_TF_WHEEL=/path/tensorflow_cpu-2.x-....whl   use this wheel
#   TFJS_TF_LIBDIR=<site-packages>/tensorflow        link an installed TensorFlow instead of extracting
#   TFJS_NODE_DIR=<dir>                              build the tfjs-node package in <dir>, TFJS_FORCE=1 rebuild
# Needs python3, make and a C++ compiler. Idempotent: does nothing when the addon already works.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=${TFJS_NODE_DIR:-node_modules/@tensorflow/tfjs-node}

log() { echo "build-tfjs-node: $*" >&2; }
check() { (cd "$pkg" && node -e "
  const tf = require('./');
  const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1], [1]])).dataSync();
  if (y[0] !== 3 || y[1] !== 7) throw new Error('matmul gave ' + y);
" 2>/dev/null); }

if [ ! -f "$pkg/package.json" ]; then
  log "$pkg is not installed (npm ci installs it unless optional dependencies are omitted)"
  exit 1
fi
pkg=$(cd "$pkg" && pwd)
if [ -z "${TFJS_FORCE:-}" ] && TF_CPP_MIN_LOG_LEVEL=3 check; then
  log "the addon in $pkg already works"
  exit 0
fi

# The wheel: $TFJS_TF_WHEEL, else the newest tensorflow(-cpu) 2.x x86_64 wheel that pip's configuration
# names: in a find-links folder, or linked from a file: index (PEP 503 pages).
find_wheel() {
  python3 -m pip config list 2>/dev/null | python3 -c '
import glob, os, re, sys, urllib.parse
found = []
for line in sys.stdin:
    m = re.match(r"^[^=]*(find-links|index-url)=.(.*).$", line.strip())
    for loc in (m.group(2).split() if m else []):
        path = urllib.parse.urlparse(loc).path if loc.startswith("file:") else loc
        if m.group(1) == "find-links" and os.path.isdir(path):
            found += glob.glob(os.path.join(path, "tensorflow*.whl"))
        elif loc.startswith("file:"):
            for project in ("tensorflow-cpu", "tensorflow"):
                page = os.path.join(path, project, "index.html")
                if os.path.isfile(page):
                    for href in re.findall(r"href=\"([^\"#]+)", open(page).read()):
                        found.append(urllib.parse.urlparse(urllib.parse.urljoin("file://" + page, href)).path)
wheels = [w for w in found if re.match(r"tensorflow(_cpu)?-2\.[0-9.]+-cp3.*manylinux.*x86_64\.whl$", os.path.basename(w)) and os.path.isfile(w)]
version = lambda w: [int(x) for x in re.findall(r"-(2\.[0-9.]+)-", w)[0].split(".")]
print(max(wheels, key=version) if wheels else "")
'
}

deps="$pkg/deps"
rm -rf "$deps"
mkdir -p "$deps/lib" "$deps/include"
if [ -n "${TFJS_TF_LIBDIR:-}" ]; then
  log "linking TensorFlow from $TFJS_TF_LIBDIR"
  ln -s "$TFJS_TF_LIBDIR/libtensorflow_cc.so.2" "$TFJS_TF_LIBDIR/libtensorflow_framework.so.2" "$deps/lib/"
  cp -r "$TFJS_TF_LIBDIR/include/." "$deps/include/"
else
  wheel=${TFJS_TF_WHEEL:-$(find_wheel)}
  if [ -z "$wheel" ] || [ ! -f "$wheel" ]; then
    log "no TensorFlow 2.x wheel found: set TFJS_TF_WHEEL=/path/to/tensorflow_cpu-2.*.whl or TFJS_TF_LIBDIR"
    exit 1
  fi
  log "extracting the TensorFlow C library and headers from $(basename "$wheel")"
  python3 - "$wheel" "$deps" <<'PY'
import fnmatch, os, shutil, sys, zipfile
wheel, deps = sys.argv[1], sys.argv[2]
libs = {"tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2"}
headers = ["tensorflow/c/*.h", "tensorflow/c/eager/*.h", "tensorflow/core/platform/ctstring*.h",
           "tsl/platform/ctstring*.h", "xla/tsl/c/*.h"]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name in libs:
            target = os.path.join(deps, "lib", os.path.basename(name))
        elif name.startswith("tensorflow/include/") and any(fnmatch.fnmatch(name[len("tensorflow/include/"):], p) for p in headers):
            target = os.path.join(deps, "include", name[len("tensorflow/include/"):])
        else:
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(name) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
missing = [l for l in libs if not os.path.exists(os.path.join(deps, "lib", os.path.basename(l)))]
if missing:
    sys.exit(f"the wheel lacks {missing}")
PY
fi
# binding.gyp links -ltensorflow; the 2.9.1 marker stops tfjs-node's install.js from downloading.
ln -sf libtensorflow_cc.so.2 "$deps/lib/libtensorflow.so"
ln -sf libtensorflow_framework.so.2 "$deps/lib/libtensorflow_framework.so"
ln -sf libtensorflow_cc.so.2 "$deps/lib/libtensorflow.so.2.9.1"

# node-gyp needs Node's headers; use the ones installed beside this node, never a download.
nodedir=$(node -p "require('path').resolve(process.execPath, '../..')")
[ -f "$nodedir/include/node/node_api.h" ] || { log "Node headers not found under $nodedir/include/node"; exit 1; }
pregyp=$(cd "$pkg" && node -p "require.resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp')")
log "compiling the addon"
if ! (cd "$pkg" && node "$pregyp" install --build-from-source --nodedir="$nodedir" >"$deps/build.log" 2>&1); then
  cat "$deps/build.log" >&2
  log "the addon did not compile (see above)"
  exit 1
fi
rm -rf "$pkg"/build-tmp-napi-v*

if TF_CPP_MIN_LOG_LEVEL=3 check; then
  log "done: @tensorflow/tfjs-node works (TensorFlow SavedModels can be served)"
else
  log "the addon was built but does not load"
  exit 1
fi
