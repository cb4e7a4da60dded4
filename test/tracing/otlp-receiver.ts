/**
 * An OTLP/HTTP trace receiver for tests, on 127.0.0.1: it decodes what an exporter POSTs to
 * /v1/traces with the official OpenTelemetry protobuf definitions (opentelemetry-proto/, see
 * SOURCE.md) through protobufjs, and keeps the spans with their resource attributes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import protobuf from 'protobufjs';

const PROTO_DIR = join(import.meta.dirname, 'opentelemetry-proto');

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
  return root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', { keepCase: false });
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** SPAN_KIND_SERVER, SPAN_KIND_INTERNAL, ... */
  kind: string;
  attributes: Record<string, string | number | boolean>;
  status: { code?: string; message?: string };
  resource: Record<string, string | number | boolean>;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  /** content types of the export requests received */
  contentTypes: string[];
  close(): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf objects */
function attributes(list: any[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.doubleValue ?? value.boolValue;
  }
  return out;
}

const hex = (b: Uint8Array | undefined) => (b === undefined ? '' : Buffer.from(b).toString('hex'));

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const root = loadRoot();
  const request = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  const response = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      contentTypes.push(req.headers['content-type'] ?? '');
      const decoded = request.toObject(request.decode(Buffer.concat(chunks)), { enums: String, longs: String, defaults: false }) as any;
      for (const resourceSpans of decoded.resourceSpans ?? []) {
        const resource = attributes(resourceSpans.resource?.attributes);
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
          for (const s of scopeSpans.spans ?? []) {
            spans.push({
              traceId: hex(s.traceId),
              spanId: hex(s.spanId),
              parentSpanId: hex(s.parentSpanId),
              name: s.name,
              kind: s.kind,
              attributes: attributes(s.attributes),
              status: s.status ?? {},
              resource,
            });
          }
        }
      }
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end(Buffer.from(response.encode(response.create({})).finish()));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    contentTypes,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
