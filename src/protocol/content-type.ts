/**
 * The scoring server's Content-Type rules (spec §1.3): mime type compared case-sensitively,
 * the only parameter allowed is charset=utf-8; checked in MLflow's order.
 */
/** MLflow's note on its 2.0 protocol change, appended to several of its errors. */
export const SCORING_PROTOCOL_CHANGED =
  "IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0. If you are seeing this error, you are likely using an outdated scoring request format. To resolve the error, either update your request format or adjust your MLflow Model's requirements file to specify an older version of MLflow (for example, change the 'mlflow' requirement specifier to 'mlflow==1.30.0'). If you are making a request using the MLflow client (e.g. via `mlflow.pyfunc.spark_udf()`), upgrade your MLflow client to a version >= 2.0 in order to use the new request format. For more information about the updated MLflow Model scoring protocol in MLflow 2.0, see https://mlflow.org/docs/latest/models.html#deploy-mlflow-models.";

export type RequestFormat = 'json' | 'csv';

export class UnsupportedContentType extends Error {}

export function requestFormat(header: string | undefined): RequestFormat {
  if (header === undefined || header.trim() === '') {
    // MLflow crashes here with a 500; a clear 415 serves the client better.
    throw new UnsupportedContentType(
      "Missing Content-Type header. This predictor only supports the following content types: Types: ['text/csv', 'application/json'].",
    );
  }
  const [mime = '', ...rest] = header.split(';').map((p) => p.trim());
  const params = new Map<string, string>();
  for (const part of rest) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    params.set(eq < 0 ? part : part.slice(0, eq).trim(), eq < 0 ? '' : part.slice(eq + 1).trim());
  }
  const charset = (params.get('charset') ?? 'utf-8').toLowerCase();
  if (charset !== 'utf-8') throw new UnsupportedContentType('The scoring server only supports UTF-8');
  params.delete('charset');
  if (params.size > 0) {
    throw new UnsupportedContentType(
      `Unrecognized content type parameters: ${[...params.keys()].join(', ')}. ${SCORING_PROTOCOL_CHANGED}`,
    );
  }
  if (mime === 'application/json') return 'json';
  if (mime === 'text/csv') return 'csv';
  throw new UnsupportedContentType(
    `This predictor only supports the following content types: Types: ['text/csv', 'application/json']. Got '${header}'.`,
  );
}
