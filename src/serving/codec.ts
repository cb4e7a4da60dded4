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
import { asBuffer, utf8 } from '../protocol/bytes.js';
import { parseJsonBytes } from '../protocol/json-bytes.js';
import { decodeScoringRequest, scoringResponseBody } from '../protocol/scoring-request.js';
import { decodeV2InferBody, parseV2InferRequest, v2ModelInput, type V2InferRequest } from '../protocol/v2-request.js';
import { encodeV2Response, selectOutputs, v2Outputs } from '../protocol/v2-response.js';
import { MlflowError } from '../errors.js';
import type { LoadedVersion } from './loaded-version.js';
import { predictAttributes, traced } from '../tracing.js';

export interface DecodedRequest {
  input: ModelInput;
  /** raw params, enforced by the version against its params schema */
  params: unknown;
}

/**
 * A request body: its bytes as the HTTP layer read them, or text (`flowgate predict`, tests).
 * Bytes carry `binary` for V2's binary tensor data extension: their first `headerLength`
 * (Inference-Header-Content-Length, as sent) are the JSON header, the rest the tensors'
 * bytes, bounded by --max-elements. Plain data, so a replica thread gets it as it is (the
 * bytes' buffer transferred, not copied).
 */
export type RequestPayload = string | BytesPayload;

export interface BytesPayload {
  bytes: Uint8Array;
  binary?: { headerLength: string; maxElements: number } | undefined;
}

/**
 * A response body: text, or bytes (a large answer from a replica thread, transferred, or a
 * body with binary tensor data). `headerLength`: the bytes are V2's JSON header of that
 * length followed by binary tensor data; without it they are the UTF-8 of a JSON body.
 */
export type ResponsePayload = string | { bytes: Uint8Array; headerLength?: number | undefined };

/** The size that decides where the pipeline runs (inline or on a replica thread): bytes as read, characters for text. */
export function payloadSize(payload: RequestPayload): number {
  return typeof payload === 'string' ? payload.length : payload.bytes.byteLength;
}

function payloadText(payload: RequestPayload): string {
  return typeof payload === 'string' ? payload : utf8(payload.bytes);
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
export interface Codec<Parsed, Decoded extends DecodedRequest = DecodedRequest, Encoded extends ResponsePayload = ResponsePayload> {
  /** its key in CODECS (a replica thread finds it by name) */
  readonly name: CodecName;
  /** `wantDoc`: routing needs the parsed JSON document (a sticky key in the body). */
  parse(body: RequestPayload, wantDoc: boolean): Parsed;
  /**
   * `parse` straight from a body's bytes (no `binary`) with a byte-level JSON reader (on a
   * replica thread: no whole-body string, and interruptible), with the same result and errors.
   */
  parseBytes?(body: Uint8Array): Parsed;
  /** The parsed JSON document for routing, when there is one. */
  routingDoc(parsed: Parsed): unknown;
  decode(parsed: Parsed, version: LoadedVersion): Decoded;
  /** `predictions`: formatOutput(output), when the scorer already wrote it. */
  encode(parsed: Parsed, decoded: Decoded, output: ModelOutput, context: EncodeContext, predictions?: string): Encoded;
}

// ---- MLflow's scoring protocol (/invocations, flowgate predict) ---------------------

interface ScoringBody {
  format: RequestFormat;
  text: string;
  /** the body parsed as JSON, when routing needed it first */
  doc: unknown;
}

type ScoringDecoded = DecodedRequest & { unwrapped: boolean };

function scoringCodec(format: RequestFormat): Codec<ScoringBody, ScoringDecoded, string> {
  return {
    name: format,
    parse(payload, wantDoc) {
      const text = payloadText(payload);
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

export const SCORING_CODECS: Record<RequestFormat, Codec<ScoringBody, ScoringDecoded, string>> = {
  json: scoringCodec('json'),
  csv: scoringCodec('csv'),
};

// ---- Open Inference Protocol V2 --------------------------------------------------

interface V2Body {
  request: V2InferRequest;
  doc: unknown;
}


export const V2_CODEC: Codec<V2Body> = {
  name: 'v2',
  parse(payload) {
    if (typeof payload === 'string') return decodeV2InferBody(payload);
    return decodeV2InferBody(asBuffer(payload.bytes), payload.binary?.headerLength, payload.binary?.maxElements);
  },
  parseBytes(bytes) {
    let doc: unknown;
    try {
      doc = parseJsonBytes(bytes);
    } catch (err) {
      throw new MlflowError('BAD_REQUEST', `The body is not valid JSON: ${(err as Error).message}`);
    }
    return { request: parseV2InferRequest(doc), doc };
  },
  routingDoc: (body) => body.doc,
  decode: (body, version) => ({ input: v2ModelInput(body.request.inputs, version.inputSchema), params: body.request.parameters }),
  encode(body, _decoded, output, { endpoint, version }) {
    const outputs = selectOutputs(v2Outputs(output, version.signature?.outputs ?? null), body.request.outputs);
    const head = { modelName: endpoint, modelVersion: version.identity.version, id: body.request.id };
    const { body: encoded, headerLength } = encodeV2Response(head, outputs, body.request.binaryOutput);
    return headerLength === null ? (encoded as string) : { bytes: encoded as Buffer, headerLength };
  },
};

export type CodecName = RequestFormat | 'v2';

export const CODECS: Record<CodecName, Codec<any, DecodedRequest>> = { ...SCORING_CODECS, v2: V2_CODEC };

export interface PipelineResult<Encoded extends ResponsePayload = ResponsePayload> {
  body: Encoded;
  /** formatOutput(output), when asked for (to compare with shadows) */
  predictions: string | null;
}

/** decode → predict (enforcement included) → encode on one version: the model-side pipeline. */
export async function runPipeline<P, D extends DecodedRequest, E extends ResponsePayload>(
  codec: Codec<P, D, E>,
  parsed: P,
  version: LoadedVersion,
  endpoint: string,
  wantPredictions: boolean,
  variant = '',
  /** performance.now() past which nobody waits for the answer (a batcher drops it unrun) */
  deadline = Infinity,
): Promise<PipelineResult<E>> {
  const decoded = traced('decode', () => codec.decode(parsed, version));
  const output = await traced('predict', () => version.predict(decoded.input, decoded.params, deadline), () => predictAttributes(endpoint, variant, version.identity, decoded.input));
  return traced('encode', () => {
    const predictions = wantPredictions ? formatOutput(output) : null;
    return { body: codec.encode(parsed, decoded, output, { endpoint, version }, predictions ?? undefined), predictions };
  });
}
