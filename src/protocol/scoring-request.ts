/**
 * A scoring request body of either format, decoded against a model's signature, and the
 * response body MLflow writes for its output — shared by /invocations and `flowgate predict`.
 */
import type { Signature } from '../model/signature.js';
import type { RequestFormat } from './content-type.js';
import { decodeCsvRequest } from './csv-request.js';
import { decodeJsonDocument, decodeJsonRequest, type ScoringRequest } from './json-request.js';

export interface ModelSignature {
  signature: Signature | null;
  /** MLmodel's is_signature_from_type_hint: such a signature is not enforced on input */
  signatureFromTypeHint: boolean;
}

/** `doc` is the body already parsed as JSON, when a caller had to read it first. */
export function decodeScoringRequest(format: RequestFormat, body: string, model: ModelSignature, doc?: unknown): ScoringRequest {
  if (format === 'csv') {
    const schema = model.signatureFromTypeHint ? null : (model.signature?.inputs ?? null);
    return { input: decodeCsvRequest(body, schema), params: null, unwrapped: false };
  }
  return doc === undefined ? decodeJsonRequest(body, model.signature) : decodeJsonDocument(doc, model.signature, body);
}

/** `{"predictions": ...}`, or the bare output for unified-LLM requests. */
export function scoringResponseBody(request: Pick<ScoringRequest, 'unwrapped'>, predictions: string): string {
  return request.unwrapped ? predictions : `{"predictions": ${predictions}}`;
}
