/**
 * Artifact URIs (spec §5.2) → where the bytes are. Only the schemes flowgate can read are
 * accepted; every other MLflow scheme gets a clear "not supported" error instead of a guess.
 */
import { isAbsolute, resolve } from 'node:path';
import { MlflowError } from '../errors.js';

export type ArtifactLocation =
  /** A directory on this machine: used in place, never copied. */
  | { kind: 'local'; path: string }
  /** The tracking server's artifact proxy; `path` is relative to its artifact root. */
  | { kind: 'mlflow-artifacts'; serverUrl: string; path: string }
  /** A run's artifacts through the tracking server's run-artifact endpoints. */
  | { kind: 'run-artifacts'; serverUrl: string; runId: string; path: string }
  | { kind: 's3'; bucket: string; prefix: string };

const UNSUPPORTED = ['gs', 'r2', 'wasbs', 'abfss', 'ftp', 'sftp', 'dbfs', 'hdfs', 'viewfs', 'uc-volumes'];

/** Stored URIs may or may not be percent-encoded (requests re-quotes them); decode when it is valid. */
function decodeLenient(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function scheme(uri: string): string | null {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri);
  return match === null || match[1]!.length === 1 ? null : match[1]!.toLowerCase();
}

/** `file:` URI or plain path → absolute local path (MLflow's local_file_uri_to_path, relative to cwd). */
export function fileUriToPath(uri: string, cwd: string): string {
  let path = uri;
  if (scheme(uri) === 'file') {
    const rest = uri.slice('file:'.length);
    if (rest.startsWith('//')) {
      const slash = rest.indexOf('/', 2);
      const host = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
      if (host !== '' && host !== 'localhost') {
        throw new MlflowError('INVALID_PARAMETER_VALUE', `file: URI ${uri} names another host (${host}); only local files can be read.`);
      }
      path = slash < 0 ? '/' : rest.slice(slash);
    } else {
      path = rest;
    }
    path = decodeLenient(path);
  }
  return isAbsolute(path) ? resolve(path) : resolve(cwd, path);
}

/** `http(s)://host:port/prefix` without a trailing slash; user info is refused so that it never lands in logs. */
export function serverBaseUrl(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid tracking server URI: ${uri}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      'Credentials in the tracking URI are not supported; set MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN.',
    );
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

function mlflowArtifactsLocation(uri: string, trackingUri: string | null): ArtifactLocation {
  const trackingScheme = trackingUri === null ? null : scheme(trackingUri);
  if (trackingUri === null || (trackingScheme !== 'http' && trackingScheme !== 'https')) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `When an mlflow-artifacts URI was supplied, the tracking URI must be a valid http or https URI, but it was ` +
        `currently set to ${trackingUri ?? '(none)'}. Perhaps you forgot to set the tracking URI to the running MLflow ` +
        `server: set MLFLOW_TRACKING_URI (or --tracking-uri) to it, e.g. http://localhost:5000. (artifact URI: ${uri})`,
    );
  }
  const tracking = new URL(serverBaseUrl(trackingUri));
  let rest = uri.slice('mlflow-artifacts:'.length);
  let host = tracking.host;
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const netloc = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    if (/^[0-9.]+$/.test(netloc)) {
      throw new MlflowError('INVALID_PARAMETER_VALUE', `The mlflow-artifacts uri was supplied with a port number: ${netloc}, but no host was defined.`);
    }
    if (netloc !== '') host = netloc;
    rest = slash < 0 ? '' : rest.slice(slash);
  }
  const serverUrl = `${tracking.protocol}//${host}${tracking.pathname.replace(/\/+$/, '')}`;
  return { kind: 'mlflow-artifacts', serverUrl, path: decodeLenient(rest).replace(/^\/+|\/+$/g, '') };
}

/** An http(s) artifact URI is the proxy endpoint spelled out (HttpArtifactRepository). */
function httpLocation(uri: string): ArtifactLocation {
  const marker = '/api/2.0/mlflow-artifacts/artifacts';
  const base = serverBaseUrl(uri);
  const at = base.indexOf(marker);
  if (at < 0) {
    throw new MlflowError(
      'NOT_IMPLEMENTED',
      `Artifact URI ${base} is a plain HTTP location; flowgate reads http(s) artifacts only through an MLflow ` +
        `artifact proxy (${marker}/...).`,
    );
  }
  const path = decodeLenient(base.slice(at + marker.length)).replace(/^\/+|\/+$/g, '');
  return { kind: 'mlflow-artifacts', serverUrl: base.slice(0, at), path };
}

function s3Location(uri: string): ArtifactLocation {
  const rest = uri.slice(uri.indexOf(':') + 1);
  const match = /^\/\/([^/]+)\/?(.*)$/.exec(rest);
  if (match === null || match[1] === '') {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Not an S3 URI: ${uri}. Expected s3://bucket/path.`);
  }
  return { kind: 's3', bucket: match[1]!, prefix: match[2]!.replace(/\/+$/, '') };
}

/**
 * Where an artifact URI points. `runs:/` URIs reach here only with a tracking server:
 * local tracking stores turn them into paths before (src/registry).
 */
export function parseArtifactUri(uri: string, trackingUri: string | null, cwd: string): ArtifactLocation {
  const s = scheme(uri);
  if (s === null || s === 'file') return { kind: 'local', path: fileUriToPath(uri, cwd) };
  if (s === 'mlflow-artifacts') return mlflowArtifactsLocation(uri, trackingUri);
  if (s === 'http' || s === 'https') return httpLocation(uri);
  if (s === 's3') return s3Location(uri);
  if (s === 'runs') {
    const trackingScheme = trackingUri === null ? null : scheme(trackingUri);
    const match = /^runs:\/+([^/]+)\/?(.*)$/i.exec(uri);
    if (match === null || trackingUri === null || (trackingScheme !== 'http' && trackingScheme !== 'https')) {
      throw new MlflowError('INVALID_PARAMETER_VALUE', `Cannot read ${uri}: runs:/ artifacts are read through an http(s) tracking server here.`);
    }
    return { kind: 'run-artifacts', serverUrl: serverBaseUrl(trackingUri), runId: match[1]!, path: match[2]!.replace(/\/+$/, '') };
  }
  if (UNSUPPORTED.includes(s)) {
    throw new MlflowError(
      'NOT_IMPLEMENTED',
      `Artifact store scheme '${s}:' (${uri}) is not supported by flowgate; supported: local paths, file:, s3:, ` +
        `mlflow-artifacts: and runs: (through a tracking server).`,
    );
  }
  throw new MlflowError('INVALID_PARAMETER_VALUE', `Unknown artifact URI scheme '${s}:' in ${uri}.`);
}

/** Joins a relative path onto an artifact URI or path, as posixpath.join does for MLflow URIs. */
export function joinArtifactUri(base: string, path: string): string {
  if (path === '') return base;
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
