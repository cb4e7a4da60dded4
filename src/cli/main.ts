#!/usr/bin/env node
/**
 * `flowgate` command line: serve, predict, inspect — flags and env as MLflow's
 * `mlflow models serve|predict`.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FLOWGATE_VERSION } from '../version.js';
import { MLFLOW_SERVE_OPTIONS, mlflowServeFlagsError, runServe } from './serve.js';

const MAIN_HELP = `Usage: flowgate <command> [options]

A fast, safe model server for MLflow models: MLflow's scoring protocol, from MLflow's registries.

Commands:
  serve     Serve a model over HTTP (like \`mlflow models serve\`), or several endpoints (--config)
  predict   Predict on a file with a model (like \`mlflow models predict\`)
  inspect   Show what a model URI resolves to, as JSON
  validate  Check an endpoints file without serving it
  rollout   Show, pause, resume or abort an endpoint's rollout on a running server

Options:
  --version  Print flowgate's version
  --help     Show help (also \`flowgate <command> --help\`)

Environment: MLFLOW_TRACKING_URI, MLFLOW_REGISTRY_URI and the MLflow/AWS credential variables are honoured.
`;

const SERVE_HELP = `Usage: flowgate serve -m URI [options]
       flowgate serve --config flowgate.yaml [options]

Serve an MLflow model with MLflow's scoring protocol: POST /invocations, GET /ping, /health, /version, /metrics;
the Open Inference Protocol (V2) under /v2; GET /endpoints. With --config, several endpoints, each splitting
traffic between model versions (weights, sticky keys, shadows): POST /endpoints/<name>/invocations.

Options:
  -m, --model-uri URI     models:/name/<version|stage|latest>, models:/name@alias, runs:/<run>/<path>, a path   [env FLOWGATE_MODEL_URI]
  -c, --config FILE       an endpoints file (YAML); re-read on SIGHUP and when it changes  [env FLOWGATE_CONFIG]
  -p, --port PORT         port to listen on (default 5000)                                [env MLFLOW_PORT]
  -h, --host HOST         address to bind (default 127.0.0.1)                             [env MLFLOW_HOST]
  -t, --timeout SECONDS   per-request timeout, answered with 504 (default 60)             [env MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT]
  -w, --workers N         threads running CPU-bound models (sklearn, trees, Keras); 0: all on the main thread (default: cores) [env MLFLOW_MODELS_WORKERS]
      --max-queue N       requests in flight per model before 503 + Retry-After (default 128) [env FLOWGATE_MAX_QUEUE]
      --max-batch-size N  concurrent requests of a batchable model (ONNX) run as one call, at most N; 1: off (default 64) [env FLOWGATE_MAX_BATCH_SIZE]
      --max-batch-delay-ms MS  requests queued behind a running batch wait up to MS for the next to fill; an idle model never waits (default 0) [env FLOWGATE_MAX_BATCH_DELAY_MS]
      --max-body-size SZ  largest request body, e.g. 20MB; larger ones get 413 (default 100MB) [env FLOWGATE_MAX_BODY_SIZE]
      --max-json-depth N  deepest JSON nesting accepted; deeper gets 400 (default 64) [env FLOWGATE_MAX_JSON_DEPTH]
      --max-elements N    most values (JSON array elements, CSV fields, V2 binary elements) in one request; more gets 400 (default 10000000) [env FLOWGATE_MAX_ELEMENTS]
      --header-timeout S  a client must send its request headers within S seconds, else 408 and closed (a connection sending nothing: closed) (default 10) [env FLOWGATE_HEADER_TIMEOUT]
      --body-timeout S    a client must send its whole request (headers and body) within S seconds (default 30) [env FLOWGATE_BODY_TIMEOUT]
      --keep-alive-timeout S  idle keep-alive connections are closed after S seconds (default 5) [env FLOWGATE_KEEP_ALIVE_TIMEOUT]
      --max-connections N open connections accepted; more are closed at once (default: the open-files limit less 10%) [env FLOWGATE_MAX_CONNECTIONS]
      --auth-token-file F require credentials on /invocations, /endpoints, /v2 (not /v2/health), /admin, /openapi.json: Authorization: Bearer <token>, F holds one token a line [env FLOWGATE_AUTH_TOKEN_FILE; tokens also in FLOWGATE_AUTH_TOKENS, comma-separated]; per-endpoint tokens: auth: in the endpoints file; x-flowgate-variant then needs an endpoint admin token
      --auth-htpasswd F   also accept HTTP basic auth for users of F (htpasswd -B: user:<bcrypt hash> lines) [env FLOWGATE_AUTH_HTPASSWD;
                          user:<bcrypt hash> entries of FLOWGATE_AUTH_TOKENS are users too]; files re-read on SIGHUP
      --metrics-token T   require Authorization: Bearer T on /metrics and /ui [env FLOWGATE_METRICS_TOKEN]
      --admin-port PORT   serve /metrics, /endpoints, /openapi.json, /admin/* and /ui on this port only, not on -p [env FLOWGATE_ADMIN_PORT]
      --tls-cert F, --tls-key F  serve HTTPS on -p with this PEM certificate (chain) and key; re-read on SIGHUP [env FLOWGATE_TLS_CERT, FLOWGATE_TLS_KEY]
      --public-openapi    serve /openapi.json without credentials when auth is on [env FLOWGATE_PUBLIC_OPENAPI=true]
      --access-log MODE   all: a log line per request; errors: per request answered >= 400; off: none (lifecycle lines stay) (default all) [env FLOWGATE_ACCESS_LOG]
      --tracking-uri URI  MLflow tracking/registry: a path, file:, sqlite:///, http(s)://   [env MLFLOW_TRACKING_URI]
      --cache-dir DIR     where remote model versions are downloaded (default ~/.cache/flowgate) [env FLOWGATE_CACHE_DIR]
      --poll-interval S   re-resolve the URI every S seconds and hot-swap new versions; 0 disables (default 30) [env FLOWGATE_POLL_INTERVAL]
      --cache-keep N      cached versions kept besides those served (default 2) [env FLOWGATE_CACHE_KEEP]
      --cache-max-size SZ cap on the download cache, e.g. 1.5GiB; versions served are never removed (default: none) [env FLOWGATE_CACHE_MAX_SIZE]
      --log-level LEVEL   fatal|error|warn|info|debug|trace|silent (default info)       [env FLOWGATE_LOG_LEVEL]
      --runtime RUNTIME   auto: native flavors, Python workers for other pyfunc models; python: Python for all (default auto) [env FLOWGATE_RUNTIME]
      --python PATH       the Python that runs models in Python workers (default python3) [env FLOWGATE_PYTHON]
      --python-workers N  Python worker processes per model version (default 1)         [env FLOWGATE_PYTHON_WORKERS]
      --env-manager M     local: use --python as is; virtualenv: a venv per model from its requirements (default local;
                          conda is refused) [env FLOWGATE_ENV_MANAGER]
      --no-conda          accepted (MLflow's older spelling of --env-manager local)
      --install-mlflow    accepted and ignored (flowgate installs nothing into a model's environment)
      --enable-mlserver   refused: flowgate serves the Open Inference Protocol (V2) itself, under /v2
      --shutdown-delay S  on SIGTERM/SIGINT, answer /ping 503 but keep serving S seconds (default 5) [env FLOWGATE_SHUTDOWN_DELAY]
      --drain-timeout S   then at most S seconds for requests in flight (default 20)    [env FLOWGATE_DRAIN_TIMEOUT]
      --otel              export OpenTelemetry traces over OTLP/HTTP (on by itself when OTEL_EXPORTER_OTLP_ENDPOINT is set;
                          the standard OTEL_* variables configure it)
      --help              show this help

A second SIGTERM/SIGINT exits at once.
`;

const PREDICT_HELP = `Usage: flowgate predict -m URI -i FILE|- [-t json|csv] [-o FILE]

Run the model on a request body (the same JSON or CSV /invocations takes) and write {"predictions": ...}.

Options:
  -m, --model-uri URI      the model, as for serve
  -i, --input-path FILE    input file, or - for standard input
  -t, --content-type TYPE  json (default) or csv
  -o, --output-path FILE   write predictions here (default: standard output)
      --tracking-uri URI   as for serve                                              [env MLFLOW_TRACKING_URI]
      --cache-dir DIR      as for serve
      --help               show this help

The Python runtime is configured as for serve, through FLOWGATE_RUNTIME, FLOWGATE_PYTHON and FLOWGATE_ENV_MANAGER.
`;

const VALIDATE_HELP = `Usage: flowgate validate FILE [--resolve] [--tracking-uri URI]

Check an endpoints file as \`flowgate serve --config FILE\` would, without serving it: every problem is listed
with its line and its path in the file; exits non-zero when there is one.

Options:
      --resolve           also resolve every model URI in the registry and check from its MLmodel (nothing else
                          is downloaded) that flowgate can load its flavor
      --tracking-uri URI  as for serve                                              [env MLFLOW_TRACKING_URI]
      --help              show this help
`;

const ROLLOUT_HELP = `Usage: flowgate rollout status|pause|resume|abort ENDPOINT [--url URL]

Ask a running flowgate where an endpoint's rollout stands (status), or pause, resume or abort it. The command is
written to the registry, so every replica obeys. Prints the rollout as JSON.

Options:
      --url URL  the flowgate server (default http://127.0.0.1:5000)   [env FLOWGATE_URL]
      (with auth on, the bearer token is read from FLOWGATE_TOKEN)
      --help     show this help
`;

const INSPECT_HELP = `Usage: flowgate inspect URI [--tracking-uri URI]

Print what URI resolves to, as JSON: {name, version, stage, aliases, source, local_path, artifact_uri, flavors,
signature, input_example}. Reads the MLmodel and input example only: the model's files are not downloaded
(local_path is null for a remote store). Exits non-zero with a one-line error when it cannot resolve.
`;

type Options = NonNullable<ParseArgsConfig['options']>;
const COMMON: Options = {
  'tracking-uri': { type: 'string' },
  'cache-dir': { type: 'string' },
  help: { type: 'boolean' },
};

function parse(args: string[], options: Options, allowPositionals = false) {
  return parseArgs({ args, options: { ...COMMON, ...options }, allowPositionals, strict: true });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-v') {
    process.stdout.write(`flowgate ${FLOWGATE_VERSION}\n`);
    return 0;
  }
  if (command === undefined || command === '--help' || command === 'help') {
    process.stdout.write(MAIN_HELP);
    return command === undefined ? 1 : 0;
  }
  switch (command) {
    case 'serve': {
      const { values } = parse(rest, {
        'model-uri': { type: 'string', short: 'm' },
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string', short: 'h' },
        timeout: { type: 'string', short: 't' },
        workers: { type: 'string', short: 'w' },
        'max-queue': { type: 'string' },
        'max-batch-size': { type: 'string' },
        'max-batch-delay-ms': { type: 'string' },
        'max-body-size': { type: 'string' },
        'max-json-depth': { type: 'string' },
        'max-elements': { type: 'string' },
        'header-timeout': { type: 'string' },
        'body-timeout': { type: 'string' },
        'keep-alive-timeout': { type: 'string' },
        'max-connections': { type: 'string' },
        'auth-token-file': { type: 'string' },
        'auth-htpasswd': { type: 'string' },
        'metrics-token': { type: 'string' },
        'admin-port': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'public-openapi': { type: 'boolean' },
        'access-log': { type: 'string' },
        'poll-interval': { type: 'string' },
        'cache-keep': { type: 'string' },
        'cache-max-size': { type: 'string' },
        'log-level': { type: 'string' },
        runtime: { type: 'string' },
        python: { type: 'string' },
        'python-workers': { type: 'string' },
        'env-manager': { type: 'string' },
        'shutdown-delay': { type: 'string' },
        'drain-timeout': { type: 'string' },
        otel: { type: 'boolean' },
        ...MLFLOW_SERVE_OPTIONS,
      });
      if (values.help) return help(SERVE_HELP);
      const refused = mlflowServeFlagsError(values);
      if (refused !== null) return fail(`flowgate serve: ${refused}`, 2);
      return runServe({
        modelUri: values['model-uri'] as string | undefined,
        config: values.config as string | undefined,
        port: values.port as string | undefined,
        host: values.host as string | undefined,
        timeout: values.timeout as string | undefined,
        workers: values.workers as string | undefined,
        maxQueue: values['max-queue'] as string | undefined,
        maxBatchSize: values['max-batch-size'] as string | undefined,
        maxBatchDelayMs: values['max-batch-delay-ms'] as string | undefined,
        maxBodySize: values['max-body-size'] as string | undefined,
        maxJsonDepth: values['max-json-depth'] as string | undefined,
        maxElements: values['max-elements'] as string | undefined,
        headerTimeout: values['header-timeout'] as string | undefined,
        bodyTimeout: values['body-timeout'] as string | undefined,
        keepAliveTimeout: values['keep-alive-timeout'] as string | undefined,
        maxConnections: values['max-connections'] as string | undefined,
        authTokenFile: values['auth-token-file'] as string | undefined,
        authHtpasswd: values['auth-htpasswd'] as string | undefined,
        metricsToken: values['metrics-token'] as string | undefined,
        adminPort: values['admin-port'] as string | undefined,
        tlsCert: values['tls-cert'] as string | undefined,
        tlsKey: values['tls-key'] as string | undefined,
        publicOpenapi: values['public-openapi'] as boolean | undefined,
        accessLog: values['access-log'] as string | undefined,
        trackingUri: values['tracking-uri'] as string | undefined,
        cacheDir: values['cache-dir'] as string | undefined,
        pollInterval: values['poll-interval'] as string | undefined,
        cacheKeep: values['cache-keep'] as string | undefined,
        cacheMaxSize: values['cache-max-size'] as string | undefined,
        logLevel: values['log-level'] as string | undefined,
        runtime: values.runtime as string | undefined,
        python: values.python as string | undefined,
        pythonWorkers: values['python-workers'] as string | undefined,
        envManager: (values['no-conda'] === true ? 'local' : values['env-manager']) as string | undefined,
        shutdownDelay: values['shutdown-delay'] as string | undefined,
        drainTimeout: values['drain-timeout'] as string | undefined,
        otel: values.otel as boolean | undefined,
      });
    }
    case 'predict': {
      const { values } = parse(rest, {
        'model-uri': { type: 'string', short: 'm' },
        'input-path': { type: 'string', short: 'i' },
        'content-type': { type: 'string', short: 't' },
        'output-path': { type: 'string', short: 'o' },
      });
      if (values.help) return help(PREDICT_HELP);
      return (await import('./predict.js')).runPredict({
        modelUri: values['model-uri'] as string | undefined,
        inputPath: values['input-path'] as string | undefined,
        contentType: values['content-type'] as string | undefined,
        outputPath: values['output-path'] as string | undefined,
        trackingUri: values['tracking-uri'] as string | undefined,
        cacheDir: values['cache-dir'] as string | undefined,
      });
    }
    case 'inspect': {
      const { values, positionals } = parse(rest, {}, true);
      if (values.help) return help(INSPECT_HELP);
      return (await import('./inspect.js')).runInspect({
        uri: positionals[0],
        trackingUri: values['tracking-uri'] as string | undefined,
        cacheDir: values['cache-dir'] as string | undefined,
      });
    }
    case 'validate': {
      const { values, positionals } = parse(rest, { resolve: { type: 'boolean' } }, true);
      if (values.help) return help(VALIDATE_HELP);
      return (await import('./validate.js')).runValidate({
        file: positionals[0],
        resolve: values.resolve as boolean | undefined,
        trackingUri: values['tracking-uri'] as string | undefined,
      });
    }
    case 'rollout': {
      const { values, positionals } = parse(rest, { url: { type: 'string' } }, true);
      if (values.help) return help(ROLLOUT_HELP);
      return (await import('./rollout.js')).runRollout({ verb: positionals[0], endpoint: positionals[1], url: values.url as string | undefined });
    }
    default:
      process.stderr.write(`flowgate: unknown command '${command}'. See 'flowgate --help'.\n`);
      return 2;
  }
}

function fail(message: string, code: number): number {
  process.stderr.write(`${message}\n`);
  return code;
}

function help(text: string): number {
  process.stdout.write(text);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`flowgate: ${err.message}\n`);
    process.exitCode = 1;
  },
);
