# flowgate: serves an MLflow model over MLflow's scoring protocol on port 8080.
#
#   docker build -t flowgate .
#   docker run -p 8080:8080 flowgate                                  # the bundled example registry (models:/iris/Production)
#   docker run -p 8080:8080 -v /path/to/model:/opt/ml/model:ro flowgate   # a model directory, as in `mlflow models build-docker` images
#   docker run -p 8080:8080 -e MODEL_URI=models:/fraud@champion -e MLFLOW_TRACKING_URI=http://mlflow:5000 flowgate
#
# The default image has no Python: it serves the natively supported flavors. RUNTIME_BASE=python adds a
# Python with mlflow for the models only Python can run (custom pyfunc, custom flavors, PyTorch):
#   docker build --build-arg RUNTIME_BASE=python -t flowgate:python .
#   docker build --build-arg RUNTIME_BASE=python --build-arg PYTHON_REQUIREMENTS="mlflow==2.17.2 torch" -t flowgate:torch .
# pip takes its index from the build args PIP_INDEX_URL / PIP_EXTRA_INDEX_URL / PIP_FIND_LINKS (or a pip.conf
# bind-mounted at /etc/pip.conf for the build), so an offline mirror works; build args are not kept in ENV.
#
# BASE_IMAGE must be a Debian-based Node 20 image (apt, useradd, a `node` user with uid 1000).
ARG BASE_IMAGE=node:20-slim
# What the runtime stage starts from: `plain` (no Python) or `python`.
ARG RUNTIME_BASE=plain

FROM ${BASE_IMAGE} AS build
# better-sqlite3 is compiled from source (no prebuilt download); node-gyp takes the headers shipped with
# Node and compiles on every core (JOBS).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# ONNXRUNTIME_NODE_INSTALL=skip: onnxruntime-node's install script does not download its CUDA provider.
ENV npm_config_build_from_source=true \
    npm_config_nodedir=/usr/local \
    ONNXRUNTIME_NODE_INSTALL=skip \
    JOBS=max
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts skips the package's own `prepare` (tsc; the sources are not copied yet);
# `npm rebuild` then runs the dependencies' install scripts.
# --omit=optional leaves out @tensorflow/tfjs-node, which only TensorFlow SavedModels need: its addon needs
# libtensorflow, which scripts/build-tfjs-node.sh takes from a TensorFlow wheel that is not in the image.
RUN npm ci --ignore-scripts --omit=optional --no-audit --no-fund && npm rebuild
COPY tsconfig.json ./
COPY src ./src
COPY flavors ./flavors
RUN npm run build && npm prune --omit=dev --omit=optional --ignore-scripts
# Keep only what runs here: onnxruntime-node ships binaries for every OS and CPU (~290 MB), and
# better-sqlite3 keeps its C sources and object files next to the one addon it loads (~30 MB).
RUN arch=$(node -p process.arch) \
 && ort=node_modules/onnxruntime-node/bin \
 && find $ort/napi-v*/ -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} + \
 && find $ort/napi-v*/linux/ -mindepth 1 -maxdepth 1 ! -name "$arch" -exec rm -rf {} + \
 && sqlite=node_modules/better-sqlite3 \
 && rm -rf $sqlite/deps $sqlite/src \
 && find $sqlite/build -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} + \
 && find $sqlite/build/Release -mindepth 1 -maxdepth 1 ! -name better_sqlite3.node -exec rm -rf {} +

FROM ${BASE_IMAGE} AS plain

# A Python environment for the Python runtime's workers (flavors/python/worker.py).
FROM ${BASE_IMAGE} AS python
ARG PYTHON_REQUIREMENTS="mlflow==2.17.2 numpy pandas cloudpickle"
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_FIND_LINKS
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/flowgate-python \
 && /opt/flowgate-python/bin/pip install --no-cache-dir --disable-pip-version-check $PYTHON_REQUIREMENTS
ENV FLOWGATE_PYTHON=/opt/flowgate-python/bin/python

FROM ${RUNTIME_BASE} AS runtime
# No RUN in this stage: build-time bind mounts (a CA bundle, an npmrc) would leave their mount points here.
# Remote model versions are downloaded to FLOWGATE_CACHE_DIR, in the node user's home (created on use).
ENV NODE_ENV=production \
    MLFLOW_HOST=0.0.0.0 \
    MLFLOW_PORT=8080 \
    FLOWGATE_CACHE_DIR=/home/node/.cache/flowgate
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY flavors/python/worker.py ./flavors/python/worker.py
COPY examples/mlruns ./examples/mlruns
COPY scripts/docker-entrypoint.sh /usr/local/bin/flowgate-entrypoint
USER node
EXPOSE 8080
# /health (the process answers), not /ping (a model is loaded): a slow first download must not mark it unhealthy.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.MLFLOW_PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["flowgate-entrypoint"]
