/**
 * The kustomize base in k8s/: rendered with `kubectl kustomize` (offline), type-checked against the
 * Kubernetes API types, and checked for what flowgate needs to run and be reachable.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { serveConfig } from '../../src/config.js';
import { kubernetesTypeErrors, type K8sObject } from './k8s-schema.js';

const repo = join(import.meta.dirname, '..', '..');
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
if (!hasKubectl) console.warn('test/deploy/k8s: kubectl not found, skipping the rendered-manifest tests');

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are untyped YAML */
function render(dir = 'k8s'): any[] {
  const out = execFileSync('kubectl', ['kustomize', join(repo, dir)], { encoding: 'utf8' });
  return parseAllDocuments(out, { uniqueKeys: true }).map((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0];
    return doc.toJS();
  });
}

function dockerfileValue(instruction: string): string {
  const line = readFileSync(join(repo, 'Dockerfile'), 'utf8')
    .split('\n')
    .findLast((l) => l.startsWith(`${instruction} `));
  if (line === undefined) throw new Error(`no ${instruction} in the Dockerfile`);
  return line.slice(instruction.length + 1).trim();
}

function subset(labels: Record<string, string>, of: Record<string, string>): boolean {
  return Object.entries(labels).every(([k, v]) => of[k] === v);
}

describe.skipIf(!hasKubectl)('k8s/ kustomize base', () => {
  const objects = hasKubectl ? render() : [];
  const byKind = (kind: string): any => {
    const found = objects.filter((o) => o.kind === kind);
    expect(found, `exactly one ${kind}`).toHaveLength(1);
    return found[0];
  };

  it('renders a ConfigMap, Deployment, Service, HorizontalPodAutoscaler and PodDisruptionBudget', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service'].sort(),
    );
  });

  it('matches the Kubernetes 1.30 API types', () => {
    expect(kubernetesTypeErrors(objects as K8sObject[])).toEqual([]);
  });

  it('the type check rejects misspelled fields and wrong value types', () => {
    const deployment = structuredClone(byKind('Deployment'));
    const container = deployment.spec.template.spec.containers[0];
    container.readinesProbe = container.readinessProbe;
    deployment.spec.replicas = '2';
    const errors = kubernetesTypeErrors([deployment]).join('\n');
    expect(errors).toContain('readinesProbe');
    expect(errors).toContain("Type 'string' is not assignable to type 'number'");
  });

  it('selectors of the Deployment, Service and PodDisruptionBudget pick the pod template', () => {
    const deployment = byKind('Deployment');
    const podLabels = deployment.spec.template.metadata.labels;
    expect(subset(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(subset(byKind('Service').spec.selector, podLabels)).toBe(true);
    expect(subset(byKind('PodDisruptionBudget').spec.selector.matchLabels, podLabels)).toBe(true);
  });

  it('serves on the image port, probes /ping for readiness and /health for liveness', () => {
    const container = byKind('Deployment').spec.template.spec.containers[0];
    const exposed = Number(dockerfileValue('EXPOSE'));
    expect(container.ports).toEqual([{ name: 'http', containerPort: exposed, protocol: 'TCP' }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ping', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    // Liveness must not kill a pod that is still downloading its model: /health answers from the start.
    expect(container.startupProbe.httpGet.path).toBe('/health');
    expect(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold).toBeGreaterThanOrEqual(120);
  });

  it('drains within the grace period: shutdown delay + drain timeout < terminationGracePeriodSeconds, readiness drops inside the delay', () => {
    const config = serveConfig({}, byKind('ConfigMap').data);
    const pod = byKind('Deployment').spec.template.spec;
    const container = pod.containers[0];
    expect(config.shutdownDelaySeconds).toBe(serveConfig({ modelUri: 'x' }, {}).shutdownDelaySeconds);
    expect(config.drainTimeoutSeconds).toBe(serveConfig({ modelUri: 'x' }, {}).drainTimeoutSeconds);
    expect(config.shutdownDelaySeconds + config.drainTimeoutSeconds).toBeLessThan(pod.terminationGracePeriodSeconds);
    const { periodSeconds, failureThreshold, timeoutSeconds } = container.readinessProbe;
    expect(periodSeconds * failureThreshold + timeoutSeconds).toBeLessThanOrEqual(config.shutdownDelaySeconds);
    // the delay is flowgate's own: a preStop sleep would add to it and eat the drain's share of the grace
    expect(container.lifecycle?.preStop).toBeUndefined();
  });

  it('the Service maps port 80 to the container port', () => {
    expect(byKind('Service').spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
  });

  it('takes MODEL_URI and MLFLOW_TRACKING_URI from the ConfigMap and credentials from an optional Secret', () => {
    const configMap = byKind('ConfigMap');
    expect(Object.keys(configMap.data)).toEqual(expect.arrayContaining(['MODEL_URI', 'MLFLOW_TRACKING_URI']));
    const envFrom = byKind('Deployment').spec.template.spec.containers[0].envFrom;
    expect(envFrom).toContainEqual({ configMapRef: { name: configMap.metadata.name } });
    expect(envFrom).toContainEqual({ secretRef: { name: 'flowgate-credentials', optional: true } });
  });

  it('caps the download cache below the model-cache volume, so pruning runs before the pod is evicted', () => {
    const cap = serveConfig({ modelUri: 'x' }, byKind('ConfigMap').data).cacheMaxBytes;
    const volume = byKind('Deployment').spec.template.spec.volumes.find((v: { name: string }) => v.name === 'model-cache');
    const limit = /^(\d+)Gi$/.exec(volume.emptyDir.sizeLimit);
    expect(cap).not.toBeNull();
    expect(cap!).toBeLessThan(Number(limit![1]) * 2 ** 30);
  });

  it('runs as a non-root user with a read-only root and writable cache and /tmp', () => {
    const pod = byKind('Deployment').spec.template.spec;
    const container = pod.containers[0];
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    const cacheDir = /FLOWGATE_CACHE_DIR=(\S+)/.exec(readFileSync(join(repo, 'Dockerfile'), 'utf8'))?.[1];
    const mounts: string[] = container.volumeMounts.map((m: any) => m.mountPath);
    expect(mounts).toContain('/tmp');
    expect(mounts.some((m) => cacheDir === m || cacheDir?.startsWith(`${m}/`)), `a mount holds ${cacheDir}`).toBe(true);
    const emptyDirs = pod.volumes.filter((v: any) => v.emptyDir).map((v: any) => v.name);
    for (const mount of container.volumeMounts) expect(emptyDirs).toContain(mount.name);
  });

  it('sets CPU and memory requests and limits', () => {
    const { resources } = byKind('Deployment').spec.template.spec.containers[0];
    for (const kind of ['requests', 'limits']) {
      expect(Object.keys(resources[kind]).sort(), kind).toEqual(['cpu', 'memory']);
    }
  });

  it('annotates the pods for Prometheus to scrape /metrics on the container port', () => {
    const annotations = byKind('Deployment').spec.template.metadata.annotations;
    expect(annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': dockerfileValue('EXPOSE'),
      'prometheus.io/path': '/metrics',
    });
  });

  it('autoscales the Deployment on CPU, which every container requests', () => {
    const hpa = byKind('HorizontalPodAutoscaler');
    const deployment = byKind('Deployment');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThanOrEqual(hpa.spec.minReplicas);
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
    expect(deployment.spec.replicas, 'the HPA owns the replica count').toBeUndefined();
    expect(deployment.spec.template.spec.containers[0].resources.requests.cpu).toBeDefined();
  });
});

describe.skipIf(!hasKubectl)('examples/k8s-remote-registry overlay', () => {
  const objects = hasKubectl ? render('examples/k8s-remote-registry') : [];
  const of = (kind: string): any => objects.find((o) => o.kind === kind);

  it('points the base at a tracking server and an image, keeping the rest of the config', () => {
    const data = of('ConfigMap').data;
    expect(data.MODEL_URI).toBe('models:/fraud-detector@champion');
    expect(data.MLFLOW_TRACKING_URI).toMatch(/^http:\/\//);
    expect(data.FLOWGATE_POLL_INTERVAL).toBeDefined();
    const container = of('Deployment').spec.template.spec.containers[0];
    expect(container.image).toBe('registry.example.com/ml/flowgate:0.1.0');
    // The generated name carries a content hash, so a config change rolls the pods.
    expect(container.envFrom).toContainEqual({ configMapRef: { name: of('ConfigMap').metadata.name } });
    expect(of('ConfigMap').metadata.name).not.toBe(render().find((o) => o.kind === 'ConfigMap').metadata.name);
  });

  it('matches the Kubernetes 1.30 API types', () => {
    expect(kubernetesTypeErrors(objects as K8sObject[])).toEqual([]);
  });
});
