/**
 * Distributed tracing with OpenTelemetry, off unless asked for (`--otel`, or the standard
 * OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; OTEL_SDK_DISABLED=true wins).
 * On, spans go to an OTLP/HTTP (protobuf) collector configured by the standard OTEL_* variables
 * (endpoint, headers, timeout, OTEL_SERVICE_NAME, OTEL_BSP_*); W3C `traceparent`/`tracestate` are
 * read from requests and written on flowgate's own registry and artifact calls.
 *
 * Off, every hook here is one boolean test: no span, no context, no allocation beyond the
 * caller's closure. Spans: the request (SERVER), `route`, `decode`, `predict` (endpoint,
 * variant, model, version, rows), `encode`, `shadow`, `model.load`, `registry.poll`.
 */
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import type { TracerProvider } from '@opentelemetry/sdk-trace';
import type { ModelInput } from './model/data.js';
import { FLOWGATE_VERSION } from './version.js';

/** The OpenTelemetry API, imported when tracing starts: a process that does not trace never loads it (~250 modules). */
type OtelApi = typeof import('@opentelemetry/api');

let tracer: Tracer | null = null;
let provider: TracerProvider | null = null;
let api: OtelApi = null as unknown as OtelApi; // set before `tracer`: read only while tracer !== null

/** Whether spans are recorded: the only test the hooks make when tracing is off. */
export function tracingEnabled(): boolean {
  return tracer !== null;
}

/** Starts the SDK once per process; the exporter reads its own OTEL_EXPORTER_OTLP_* settings. */
export async function startTracing(env: NodeJS.ProcessEnv): Promise<void> {
  if (provider !== null) return;
  const [otel, { AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }, { OTLPTraceExporter }, { resourceFromAttributes }, sdk] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/exporter-trace-otlp-proto'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
  ]);
  if (provider !== null) return; // started meanwhile
  api = otel;
  provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || 'flowgate', 'service.version': FLOWGATE_VERSION }),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter: new OTLPTraceExporter() })],
  });
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  tracer = api.trace.getTracer('flowgate', FLOWGATE_VERSION);
}

/** Sends the spans still buffered and stops (at shutdown). */
export async function stopTracing(): Promise<void> {
  const p = provider;
  if (p === null) return;
  provider = null;
  tracer = null;
  await p.shutdown();
  // unregistered, so a later server in this process can start tracing again
  api.trace.disable();
  api.propagation.disable();
  api.context.disable();
}

const end = (span: Span, err?: unknown): void => {
  if (err !== undefined) {
    span.recordException(err as Error);
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: (err as Error).message });
  }
  span.end();
};

/**
 * Runs `fn` inside a span named `name` (a child of the active span); just runs it when tracing
 * is off. Works for sync and async `fn`; an exception marks the span as failed.
 */
export function traced<T>(name: string, fn: () => T, attributes?: Attributes | (() => Attributes)): T {
  if (tracer === null) return fn();
  const attrs = typeof attributes === 'function' ? attributes() : attributes;
  return tracer.startActiveSpan(name, { attributes: attrs }, (span) => {
    let result: T;
    try {
      result = fn();
    } catch (err) {
      end(span, err);
      throw err;
    }
    if (result instanceof Promise) {
      return result.then(
        (value) => (end(span), value),
        (err: unknown) => {
          end(span, err);
          throw err;
        },
      ) as T;
    }
    end(span);
    return result;
  });
}

/** The request span: continues the caller's trace (`traceparent`) and runs the request in it. */
export async function tracedRequest(
  method: string,
  path: string,
  header: (name: string) => string | undefined,
  handle: () => Promise<void>,
  result: () => { status: number; route: string },
): Promise<void> {
  if (tracer === null) return handle();
  const parent = api.propagation.extract(api.context.active(), undefined, { get: (_carrier, key) => header(key), keys: () => [] });
  const span = tracer.startSpan(`${method} ${path}`, { kind: api.SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': path } }, parent);
  try {
    await api.context.with(api.trace.setSpan(parent, span), handle);
  } catch (err) {
    end(span, err);
    throw err;
  }
  const { status, route } = result();
  span.updateName(`${method} ${route}`);
  span.setAttributes({ 'http.response.status_code': status, 'http.route': route });
  if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
  span.end();
}

/** `fn` bound to the active trace context, for work that runs later (shadow copies). */
export function bindTraceContext<F extends (...args: never[]) => unknown>(fn: F): F {
  return tracer === null ? fn : api.context.bind(api.context.active(), fn);
}

/** Adds `traceparent` (and `tracestate`) of the active span to outgoing request headers. */
export function withTraceContext<H extends Record<string, unknown>>(headers: H): H {
  if (tracer !== null) api.propagation.inject(api.context.active(), headers);
  return headers;
}

/** The predict span's attributes: where the request went, which version answered, how many rows. */
export function predictAttributes(endpoint: string, variant: string, identity: { name: string; version: string | null }, input: ModelInput): Attributes {
  const first = input.kind === 'frame' ? null : input.kind === 'tensor' ? input.tensor : Object.values(input.tensors)[0];
  return {
    'flowgate.endpoint': endpoint,
    'flowgate.variant': variant,
    'flowgate.model': identity.name,
    'flowgate.version': identity.version ?? '',
    'flowgate.rows': input.kind === 'frame' ? input.rows : (first?.shape[0] ?? 0),
  };
}
