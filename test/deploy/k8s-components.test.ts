/**
 * k8s/components (Prometheus Operator objects, autoscaling on requests in flight, the KServe runtime) and the
 * overlays that use them: rendered with `kubectl kustomize`, every object checked offline against its
 * official schema (kubernetes-types for Kubernetes kinds, the CRDs' own OpenAPI schemas in crd-schemas/
 * for custom resources), the checks shown to reject broken objects, and every metric the alerts and the
 * autoscaler read shown to exist in flowgate's /metrics.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { serveConfig } from '../../src/config.js';
import { crdSchema, crdSchemaFiles, customResourceErrors } from './crd-schema.js';
import { kubernetesTypeErrors, type K8sObject } from './k8s-schema.js';
import { flowgateMetricNames, promqlMetrics } from './promql.js';

const repo = join(import.meta.dirname, '..', '..');
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
if (!hasKubectl) console.warn('test/deploy/k8s-components: kubectl not found, skipping the rendered-manifest tests');

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are untyped YAML */
function render(dir: string): any[] {
  const out = execFileSync('kubectl', ['kustomize', join(repo, dir)], { encoding: 'utf8' });
  return parseAllDocuments(out, { uniqueKeys: true }).map((doc) => doc.toJS());
}

function readObject(file: string): any {
  return parse(readFileSync(join(repo, file), 'utf8'));
}

/** Schema errors of every object: CRD schemas for custom resources, kubernetes-types for the rest. */
function schemaErrors(objects: any[]): string[] {
  const custom = objects.filter((o) => crdSchema(o.apiVersion, o.kind) !== undefined);
  const builtin = objects.filter((o) => crdSchema(o.apiVersion, o.kind) === undefined);
  return [...custom.flatMap(customResourceErrors), ...kubernetesTypeErrors(builtin as K8sObject[])];
}

describe('CRD schemas kept in the repository', () => {
  it('name their source and version, for ServiceMonitor, PrometheusRule, ClusterServingRuntime and InferenceService', () => {
    const files = crdSchemaFiles();
    expect(files.map((f) => `${f.group}/${f.kind}`).sort()).toEqual([
      'monitoring.coreos.com/PrometheusRule',
      'monitoring.coreos.com/ServiceMonitor',
      'serving.kserve.io/ClusterServingRuntime',
      'serving.kserve.io/InferenceService',
    ]);
    for (const f of files) {
      expect(f.source).toMatch(/^https:\/\/github\.com\/(prometheus-operator\/prometheus-operator|kserve\/kserve)\/blob\/[0-9a-f]{40}\//);
      expect(f.version).toMatch(/v\d+\.\d+/);
    }
  });
});

describe.skipIf(!hasKubectl)('examples/k8s-production: the base with the servicemonitor and hpa-custom components', () => {
  const objects = hasKubectl ? render('examples/k8s-production') : [];
  const of = (kind: string): any => objects.find((o) => o.kind === kind);
  let exposed: Set<string>;
  beforeAll(async () => {
    exposed = await flowgateMetricNames();
  }, 120_000);

  it('renders the base objects plus a ServiceMonitor, a PrometheusRule and the admin Service', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'PrometheusRule', 'Service', 'Service', 'ServiceMonitor'].sort(),
    );
  });

  it('admin-port: the admin routes listen on FLOWGATE_ADMIN_PORT, which the flowgate Service does not expose', () => {
    const env = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('flowgate-config')).data;
    const adminPort = serveConfig({}, env).adminPort;
    expect(adminPort).toBe(9090);
    const container = of('Deployment').spec.template.spec.containers[0];
    expect(container.ports).toContainEqual({ name: 'admin', containerPort: adminPort, protocol: 'TCP' });
    const services = objects.filter((o) => o.kind === 'Service');
    const main = services.find((o) => o.metadata.name === 'flowgate');
    expect(main.spec.ports.map((p: any) => p.targetPort)).toEqual(['http']);
    const admin = services.find((o) => o.metadata.name === 'flowgate-admin');
    expect(admin.spec.ports).toEqual([{ name: 'admin', port: adminPort, targetPort: 'admin', protocol: 'TCP' }]);
    expect(admin.spec.selector).toEqual(main.spec.selector);
  });

  it('every object matches its schema (Kubernetes 1.30 types; prometheus-operator CRDs)', () => {
    expect(schemaErrors(objects)).toEqual([]);
  });

  it('the CRD check rejects misspelled fields, wrong types, bad enums and missing required fields', () => {
    const monitor = structuredClone(of('ServiceMonitor'));
    monitor.spec.endpoints[0].intervall = '15s';
    monitor.spec.endpoints[0].scheme = 'ftp';
    monitor.spec.selector.matchLabels = ['app'];
    const errors = customResourceErrors(monitor).join('\n');
    expect(errors).toContain('unknown field "intervall"');
    expect(errors).toContain('scheme: must be one of');
    expect(errors).toContain('matchLabels: must be object, not array');
    const rule = structuredClone(of('PrometheusRule'));
    delete rule.spec.groups[0].rules[0].expr;
    rule.spec.groups[0].rules[1].for = 10;
    const ruleErrors = customResourceErrors(rule).join('\n');
    expect(ruleErrors).toContain('missing required field expr');
    expect(ruleErrors).toContain('for: must be string, not integer');
  });

  it('the ServiceMonitor selects the Services and scrapes the admin port at /metrics, which only flowgate-admin has', () => {
    const monitor = of('ServiceMonitor');
    const services = objects.filter((o) => o.kind === 'Service');
    for (const service of services) for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) expect(service.metadata.labels[k]).toBe(v);
    expect(monitor.spec.endpoints[0].port).toBe('admin');
    expect(services.filter((service) => service.spec.ports.some((p: any) => p.name === 'admin')).map((service) => service.metadata.name)).toEqual(['flowgate-admin']);
    expect(monitor.spec.endpoints[0].path).toBe('/metrics');
    // scraped once: no annotation-based scraping beside the ServiceMonitor
    expect(of('Deployment').spec.template.metadata.annotations).toBeUndefined();
  });

  it('alerts on error rate, p99, reload failures, registry poll errors, shadow disagreement, internal errors and refusals, from metrics flowgate exposes', () => {
    const rules = of('PrometheusRule').spec.groups.flatMap((g: any) => g.rules);
    expect(rules.map((r: any) => r.alert)).toEqual([
      'FlowgateHighErrorRate',
      'FlowgateHighLatencyP99',
      'FlowgateModelReloadFailures',
      'FlowgateRegistryPollErrors',
      'FlowgateShadowDisagreement',
      'FlowgateInternalErrors',
      'FlowgateOverloaded',
      'FlowgateClientsRefused',
    ]);
    for (const rule of rules) {
      const used = promqlMetrics(rule.expr);
      expect(used.length, rule.alert).toBeGreaterThan(0);
      expect(used.filter((m) => !exposed.has(m)), rule.alert).toEqual([]);
    }
  });

  it('the metric check finds a metric flowgate does not expose', () => {
    expect(promqlMetrics('sum by (endpoint) (rate(flowgate_endpoint_requests_totl{code=~"5.."}[5m])) / 2').filter((m) => !exposed.has(m))).toEqual([
      'flowgate_endpoint_requests_totl',
    ]);
  });

  it('autoscales on CPU and on requests in flight per pod, which flowgate exposes and the adapter rule serves', () => {
    const metrics = of('HorizontalPodAutoscaler').spec.metrics;
    expect(metrics.map((m: any) => m.type)).toEqual(['Resource', 'Pods']);
    const name = metrics[1].pods.metric.name;
    expect(exposed.has(name)).toBe(true);
    const adapter = readObject('k8s/components/hpa-custom/prometheus-adapter-rules.yaml');
    expect(kubernetesTypeErrors([adapter])).toEqual([]);
    const rule = parse(adapter.data['config.yaml']).rules[0];
    expect(promqlMetrics(rule.seriesQuery)).toEqual([name]);
    expect(rule.name.as).toBe(name);
  });
});

describe.skipIf(!hasKubectl)('k8s/components/kserve: the ClusterServingRuntime', () => {
  const objects = hasKubectl ? render('k8s/components/kserve') : [];
  const runtime = objects.find((o) => o.kind === 'ClusterServingRuntime');
  const isvc = readObject('k8s/components/kserve/inferenceservice.example.yaml');
  /** KServe's own MLServer runtime, as KServe declares it (config/runtimes/kserve-mlserver.yaml). */
  const mlserver = {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'ClusterServingRuntime',
    metadata: { name: 'kserve-mlserver' },
    spec: {
      supportedModelFormats: [{ name: 'mlflow', version: '2', autoSelect: true, priority: 1 }],
      protocolVersions: ['v2'],
      containers: [{ name: 'kserve-container', image: 'mlserver:replace', env: [{ name: 'MLSERVER_HTTP_PORT', value: '8080' }] }],
    },
  };

  it('the runtime and the example InferenceService match KServe v0.20 CRD schemas (and so does MLServer’s declaration)', () => {
    expect(objects.map((o) => o.kind)).toEqual(['ClusterServingRuntime']);
    expect(schemaErrors([runtime, isvc, mlserver])).toEqual([]);
  });

  it('the CRD check rejects a missing required field, a misplaced field and wrong types', () => {
    const broken = structuredClone(runtime);
    delete broken.spec.containers[0].name;
    broken.spec.supportedModelFormats[1].autoSelect = 'yes';
    broken.spec.containers[0].arg = broken.spec.containers[0].args;
    broken.spec.supportedModelFormats[0].priority = 'high';
    const errors = customResourceErrors(broken).join('\n');
    expect(errors).toContain('containers[0]: missing required field name');
    expect(errors).toContain('autoSelect: must be boolean, not string');
    expect(errors).toContain('unknown field "arg"');
    expect(errors).toContain('priority: must be integer, not string');
    const badIsvc = structuredClone(isvc);
    badIsvc.spec.predictor.model.storageURI = badIsvc.spec.predictor.model.storageUri;
    expect(customResourceErrors(badIsvc).join('\n')).toContain('unknown field "storageURI"');
  });

  it('serves modelFormat mlflow with the flowgate image, V2 protocol, on the storage initializer path /mnt/models, port 8080', () => {
    expect(runtime.spec.supportedModelFormats.every((f: any) => f.name === 'mlflow' && f.autoSelect)).toBe(true);
    expect(runtime.spec.supportedModelFormats.map((f: any) => f.version)).toEqual(expect.arrayContaining(['1', '2']));
    expect(runtime.spec.protocolVersions).toEqual(['v2']);
    const container = runtime.spec.containers[0];
    expect(container.name).toBe('kserve-container');
    expect(container.image).toBe('flowgate:latest');
    expect(container.args).toEqual(['-m', '/mnt/models']);
    expect(runtime.spec.annotations['prometheus.kserve.io/path']).toBe('/metrics');
    // the container's flags and environment are ones `flowgate serve` takes
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
    expect(serveConfig({ modelUri: container.args[1] }, env).port).toBe(Number(runtime.spec.annotations['prometheus.kserve.io/port']));
    // priority over MLServer's mlflow entries where both runtimes are installed
    expect(Math.min(...runtime.spec.supportedModelFormats.map((f: any) => f.priority))).toBeGreaterThan(mlserver.spec.supportedModelFormats[0]!.priority);
    expect(isvc.spec.predictor.model).toMatchObject({ modelFormat: { name: 'mlflow' }, runtime: runtime.metadata.name, protocolVersion: 'v2' });
  });
});

describe.skipIf(!hasKubectl)('examples/k8s-ab-endpoints: an endpoints file from a ConfigMap', () => {
  const objects = hasKubectl ? render('examples/k8s-ab-endpoints') : [];
  const configMaps = objects.filter((o) => o.kind === 'ConfigMap');
  const deployment = objects.find((o) => o.kind === 'Deployment');

  it('matches the Kubernetes 1.30 API types', () => {
    expect(kubernetesTypeErrors(objects as K8sObject[])).toEqual([]);
  });

  it('mounts the endpoints ConfigMap as a directory where FLOWGATE_CONFIG points, so updates reach the pod', () => {
    const env = configMaps.find((c) => c.metadata.name.startsWith('flowgate-config')).data;
    const config = serveConfig({}, env);
    expect(config.configPath).toBe('/etc/flowgate/flowgate.yaml');
    expect(config.modelUri, 'the endpoints file wins over MODEL_URI').toBe('');
    const container = deployment.spec.template.spec.containers[0];
    const mount = container.volumeMounts.find((m: any) => m.mountPath === '/etc/flowgate');
    expect(mount.subPath, 'a subPath mount never sees ConfigMap updates').toBeUndefined();
    const volume = deployment.spec.template.spec.volumes.find((v: any) => v.name === mount.name);
    const endpoints = configMaps.find((c) => c.metadata.name === volume.configMap.name);
    expect(Object.keys(endpoints.data)).toEqual(['flowgate.yaml']);
    expect(endpoints.data['flowgate.yaml']).toBe(readFileSync(join(repo, 'examples/k8s-ab-endpoints/flowgate.yaml'), 'utf8'));
  });

  it('the endpoints file validates (flowgate validate) against the bundled example registry', () => {
    const result = spawnSync(process.execPath, [join(repo, 'dist/src/cli/main.js'), 'validate', join(repo, 'examples/k8s-ab-endpoints/flowgate.yaml'), '--resolve', '--tracking-uri', join(repo, 'examples/mlruns')], { encoding: 'utf8' });
    expect(result.stderr + result.stdout).not.toMatch(/problem/);
    expect(result.status).toBe(0);
  });
});
