/**
 * The protocols the scorer speaks, each as a codec: how a body becomes a model's input and
 * how the model's output becomes a response body. A codec knows nothing of HTTP, routing,
 * leases, deadlines or metrics (the scorer owns those), so MLflow's scoring protocol,
 * the Open Inference Protocol and `flowgate predict` run the one pipeline.
 */
import type { ModelInput, ModelOutput } from '../model/data.js';
import type { RequestFormat } from '../protocol/content-type.js';
import { formatOutput } from '../protocol/json-output.js';
import { parseJsonBody } from '../protocol/json-request.js';
import { parseJsonLenient } from '../protocol/lenient-json.js';
import { parseJsonBytes } from '../protocol/json-bytes.js';
import { decodeScoringRequest, scoringResponseBody } from '../protocol/scoring-request.js';
import { parseV2InferRequest, v2ModelInput, type V2InferRequest } from '../protocol/v2-request.js';
import { selectOutputs, v2Outputs, writeV2Response } from '../protocol/v2-response.js';
import { MlflowError } from '../errors.js';
import type { LoadedVersion } from './loaded-version.js';
import { predictAttributes, traced } from '../tracing.js';

export interface DecodedRequest {
  input: ModelInput;
  /** raw params, enforced by the version against its params schema */
  params: unknown;
}

/** What a response names besides the output: the endpoint (the V2 model name) and the version that answered. */
export interface EncodeContext {
  endpoint: string;
  version: LoadedVersion;
}

/**
 * One protocol. `parse` runs once per request before any version is chosen (its errors are
 * the request's fault); `decode` runs against each version that answers it (the primary and
 * every shadow, which may have another signature); `encode` writes the response body.
 */
export interface Codec<Parsed, Decoded extends DecodedRequest = DecodedRequest> {
  /** its key in CODECS (a replica thread finds it by name) */
  readonly name: CodecName;
  /** `wantDoc`: routing needs the parsed JSON document (a sticky key in the body). */
  parse(body: string, wantDoc: boolean): Parsed;
  /** `parse` straight from the body's bytes (on a replica thread: no whole-body string, and interruptible), with the same result and errors. */
  parseBytes?(body: Uint8Array): Parsed;
  /** The parsed JSON document for routing, when there is one. */
  routingDoc(parsed: Parsed): unknown;
  decode(parsed: Parsed, version: LoadedVersion): Decoded;
  /** `predictions`: formatOutput(output), when the scorer already wrote it. */
  encode(parsed: Parsed, decoded: Decoded, output: ModelOutput, context: EncodeContext, predictions?: string): string;
}

// ---- MLflow's scoring protocol (/invocations, flowgate predict) ---------------------

interface ScoringBody {
  format: RequestFormat;
  text: string;
  /** the body parsed as JSON, when routing needed it first */
  doc: unknown;
}

type ScoringDecoded = DecodedRequest & { unwrapped: boolean };

function scoringCodec(format: RequestFormat): Codec<ScoringBody, ScoringDecoded> {
  return {
    name: format,
    parse(text, wantDoc) {
      let doc: unknown;
      if (wantDoc && format === 'json') {
        try {
          doc = parseJsonBody(text);
        } catch {
          doc = undefined; // decoding reports it with MLflow's message
        }
      }
      return { format, text, doc };
    },
    parseBytes(bytes) {
      if (format === 'json') {
        try {
          // the document is all decoding reads then: no text is kept
          return { format, text: '', doc: parseJsonBytes(bytes) };
        } catch {
          // not JSON: decoding reports it with MLflow's message, which quotes the text
        }
      }
      return { format, text: utf8(bytes), doc: undefined };
    },
    routingDoc: (body) => body.doc,
    decode: (body, version) => decodeScoringRequest(body.format, body.text, version.mlmodel, body.doc),
    encode: (_body, decoded, output, _context, predictions) => scoringResponseBody(decoded, predictions ?? formatOutput(output)),
  };
}

export const SCORING_CODECS: Record<RequestFormat, Codec<ScoringBody, ScoringDecoded>> = {
  json: scoringCodec('json'),
  csv: scoringCodec('csv'),
};

// ---- Open Inference Protocol V2 --------------------------------------------------

interface V2Body {
  request: V2InferRequest;
  doc: unknown;
}

function v2Body(parse: () => unknown): V2Body {
  let doc: unknown;
  try {
    doc = parse();
  } catch (err) {
    throw new MlflowError('BAD_REQUEST', `The body is not valid JSON: ${(err as Error).message}`);
  }
  return { request: parseV2InferRequest(doc), doc };
}

export const V2_CODEC: Codec<V2Body> = {
  name: 'v2',
  parse: (text) => v2Body(() => parseJsonLenient(text)),
  parseBytes: (bytes) => v2Body(() => parseJsonBytes(bytes)),
  routingDoc: (body) => body.doc,
  decode: (body, version) => ({ input: v2ModelInput(body.request.inputs, version.inputSchema), params: body.request.parameters }),
  encode(body, _decoded, output, { endpoint, version }) {
    const outputs = selectOutputs(v2Outputs(output, version.signature?.outputs ?? null), body.request.outputs);
    if (outputs.some((o) => body.request.binaryOutput(o.name))) {
      throw new MlflowError('BAD_REQUEST', 'Binary tensor data is not supported: ask for the outputs as JSON (no binary_data_output / binary_data).');
    }
    return writeV2Response({ modelName: endpoint, modelVersion: version.identity.version, id: body.request.id }, outputs);
  },
};

export type CodecName = RequestFormat | 'v2';

/** A body's bytes as text. */
export function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

export const CODECS: Record<CodecName, Codec<any, DecodedRequest>> = { ...SCORING_CODECS, v2: V2_CODEC };

export interface PipelineResult {
  /** the response body: text, or its UTF-8 bytes (a large answer from a replica thread, transferred) */
  body: string | Uint8Array;
  /** formatOutput(output), when asked for (to compare with shadows) */
  predictions: string | null;
}

/** decode → predict (enforcement included) → encode on one version: the model-side pipeline. */
export async function runPipeline<P, D extends DecodedRequest>(
  codec: Codec<P, D>,
  parsed: P,
  version: LoadedVersion,
  endpoint: string,
  wantPredictions: boolean,
  variant = '',
): Promise<PipelineResult> {
  const decoded = traced('decode', () => codec.decode(parsed, version));
  const output = await traced('predict', () => version.predict(decoded.input, decoded.params), () => predictAttributes(endpoint, variant, version.identity, decoded.input));
  return traced('encode', () => {
    const predictions = wantPredictions ? formatOutput(output) : null;
    return { body: codec.encode(parsed, decoded, output, { endpoint, version }, predictions ?? undefined), predictions };
  });
}
