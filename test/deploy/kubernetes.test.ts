// The Kubernetes manifests under config/kubernetes/, checked three ways: every object against the
// Kubernetes OpenAPI schema (kubernetes-models' validators, generated from the official spec, and
// the Prometheus Operator's CRD schema for the ServiceMonitor); every embedded fieldlab.yaml by
// Fieldlab's own validator; and the operational promises the README makes about them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { loadConfigText } from '../../src/config/load.js';
import { EXIT_WRITE_MS } from '../../src/telemetry/logger.js';

const DIR = 'config/kubernetes';

/** One validating class per apiVersion/kind the manifests may use; anything else fails the test. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Service': Service,
  'v1/Secret': Secret,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

// Manifests are arbitrary YAML; the schema check is what types them.
type Obj = any;

interface Manifest {
  readonly file: string;
  readonly docs: Obj[];
}

function load(file: string): Manifest {
  const docs = parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
    expect(d.errors, `${file}: YAML errors`).toEqual([]);
    return d.toJS();
  });
  return { file, docs };
}

/** Throws the schema validator's message when `obj` is not a valid object of its kind. */
function validate(obj: Obj): void {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) throw new Error(`no schema for ${obj.apiVersion}/${obj.kind}`);
  new Model(obj as never).validate();
}

const manifests = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map(load);
const fieldlabContainers = manifests.flatMap(({ file, docs }) =>
  docs
    .filter((d) => d.kind === 'Deployment')
    .flatMap((d) =>
      (d.spec.template.spec.containers as Obj[])
        .filter((c) => c.name === 'fieldlab')
        .map((container) => ({ file, deployment: d, container })),
    ),
);

/** The fieldlab.yaml a container runs: the ConfigMap behind the volume its --config path is in. */
function configOf(file: string, deployment: Obj, container: Obj): { text: string; mount: Obj } {
  const path: string = container.args[container.args.indexOf('--config') + 1];
  const mount = (container.volumeMounts as Obj[]).find((m) => path.startsWith(`${m.mountPath}/`));
  expect(mount, `${file}: --config ${path} is not inside a volume mount`).toBeDefined();
  const volume = (deployment.spec.template.spec.volumes as Obj[]).find((v) => v.name === mount.name);
  const cm = manifests.find((m) => m.file === file)!.docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === volume.configMap.name);
  const text = cm.data[path.slice(mount.mountPath.length + 1)];
  expect(text, `${file}: ConfigMap ${volume.configMap.name} has no ${path}`).toBeTypeOf('string');
  return { text, mount };
}

const ENV = {
  FIELDLAB_ADMIN_READ_TOKEN: 'read-secret',
  FIELDLAB_ADMIN_WRITE_TOKEN: 'write-secret',
  FIELDLAB_STORE: 'postgres://fieldlab@postgres.db.svc:5432/fieldlab',
};

describe('config/kubernetes manifests', () => {
  it('has the edge, sidecar, fleet and ServiceMonitor examples', () => {
    expect(manifests.map((m) => m.file).sort()).toEqual(['edge.yaml', 'fleet.yaml', 'servicemonitor.yaml', 'sidecar.yaml']);
    expect(fieldlabContainers.map((c) => c.file).sort()).toEqual(['edge.yaml', 'fleet.yaml', 'sidecar.yaml']);
  });

  for (const { file, docs } of manifests) {
    it(`${file}: every object passes its Kubernetes schema`, () => {
      for (const doc of docs) expect(() => validate(doc), `${file}: ${doc.kind} ${doc.metadata?.name}`).not.toThrow();
    });
  }

  it('the schema check rejects broken objects (so a passing check means something)', () => {
    const deployment = structuredClone(fieldlabContainers[0]!.deployment);
    const broken = [
      (d: Obj) => (d.spec.replicas = 'two'),
      (d: Obj) => delete d.spec.selector,
      (d: Obj) => (d.spec.template.spec.containers[0].ports[0].containerPort = '8080'),
      (d: Obj) => (d.spec.template.spec.containers[0].securityContext.runAsUser = 'node'),
      (d: Obj) => delete d.spec.template.spec.containers[0].name,
    ];
    for (const breakIt of broken) {
      const copy = structuredClone(deployment);
      breakIt(copy);
      expect(() => validate(copy)).toThrow();
    }
    expect(() => validate({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 'http' }] } })).toThrow(
      /port/,
    );
  });

  for (const { file, deployment, container } of fieldlabContainers) {
    describe(`${file}: the fieldlab container`, () => {
      const { text, mount } = configOf(file, deployment, container);
      const loaded = loadConfigText(text, `${file}#fieldlab.yaml`, ENV);
      const pod = deployment.spec.template.spec;

      it('runs a config that passes fieldlab validate', () => {
        expect(loaded.ok ? [] : loaded.errors).toEqual([]);
      });

      it('mounts the ConfigMap as a directory (no subPath), so hot reload sees edits', () => {
        expect(mount.subPath).toBeUndefined();
        expect(mount.readOnly).toBe(true);
      });

      it('runs as a numeric non-root user on a read-only root filesystem', () => {
        expect(pod.securityContext.runAsNonRoot).toBe(true);
        expect(pod.securityContext.runAsUser).toBeTypeOf('number');
        expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
        expect(container.securityContext).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
      });

      it('has a writable volume where a SQLite store lives', () => {
        if (!loaded.ok) return expect.fail('config invalid');
        const url = loaded.config.store.url;
        if (!url.startsWith('sqlite:')) return; // a PostgreSQL store writes nothing locally
        const path = url.slice('sqlite:'.length);
        const dataMount = (container.volumeMounts as Obj[]).find((m) => path.startsWith(`${m.mountPath}/`));
        expect(dataMount, `no volume holds ${path}`).toBeDefined();
        expect(dataMount.readOnly).not.toBe(true);
      });

      it('sets resource requests and a memory limit', () => {
        expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
        expect(container.resources.limits.memory).toEqual(expect.any(String));
      });

      it('probes health and readiness on the unauthenticated metrics listener, which the scrape targets too', () => {
        if (!loaded.ok) return expect.fail('config invalid');
        const metricsPort = loaded.config.metrics?.listen.port;
        expect(metricsPort).toBeGreaterThan(0);
        const portNumber = (name: string | number) =>
          typeof name === 'number' ? name : (container.ports as Obj[]).find((p) => p.name === name)?.containerPort;
        expect(portNumber(container.livenessProbe.httpGet.port)).toBe(metricsPort);
        expect(container.livenessProbe.httpGet.path).toBe('/healthz');
        expect(portNumber(container.readinessProbe.httpGet.port)).toBe(metricsPort);
        expect(container.readinessProbe.httpGet.path).toBe('/readyz');
        expect(portNumber(container.startupProbe.httpGet.port)).toBe(metricsPort);
        expect(deployment.spec.template.metadata.annotations['prometheus.io/port']).toBe(String(metricsPort));
        expect(loaded.config.listen.port).toBe(portNumber('http'));
      });

      it('gives the preStop wait and the whole drain room within the grace period', () => {
        if (!loaded.ok) return expect.fail('config invalid');
        const preStop = container.lifecycle.preStop.exec.command as string[];
        expect(preStop[0]).toBe('sleep');
        // After the drain, the log is settled and then flushed at exit, each for at most EXIT_WRITE_MS.
        const budget = Number(preStop[1]) * 1000 + loaded.config.drainDelay + loaded.config.drainTimeout + 2 * EXIT_WRITE_MS;
        expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(budget);
      });
    });
  }

  it('each Service targets container ports that exist, and selects its Deployment', () => {
    for (const { file, docs } of manifests) {
      for (const svc of docs.filter((d) => d.kind === 'Service')) {
        const deployment = docs.find(
          (d) => d.kind === 'Deployment' && Object.entries(svc.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
        );
        expect(deployment, `${file}: Service ${svc.metadata.name} selects no Deployment`).toBeDefined();
        const names = (deployment.spec.template.spec.containers as Obj[]).flatMap((c) => (c.ports ?? []).map((p: Obj) => p.name));
        for (const port of svc.spec.ports) expect(names, `${file}: ${svc.metadata.name}`).toContain(port.targetPort);
      }
    }
  });

  it('the ServiceMonitor scrapes the metrics port of every Fieldlab Service', () => {
    const sm = manifests.find((m) => m.file === 'servicemonitor.yaml')!.docs[0];
    const selected = (labels: Record<string, string>) =>
      (sm.spec.selector.matchExpressions as Obj[]).every((e) => e.operator === 'In' && e.values.includes(labels[e.key]));
    const services = manifests.flatMap((m) => m.docs.filter((d) => d.kind === 'Service'));
    expect(services.length).toBeGreaterThan(0);
    for (const svc of services) {
      expect(selected(svc.metadata.labels), svc.metadata.name).toBe(true);
      expect(svc.spec.ports.map((p: Obj) => p.name)).toContain(sm.spec.endpoints[0].port);
    }
  });
});
