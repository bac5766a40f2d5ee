// Unknown fields in the manifests under config/kubernetes/. The OpenAPI validators in kubernetes.test.ts
// accept any extra key (the spec allows it), so `readinessProb:` or `securityContext.runAsUsr` would pass
// there and be silently dropped by the API server — the probe or the uid the README promises would be
// gone. kubectl's `--validate=strict` needs a cluster; instead every object is type-checked against the
// same generated models' TypeScript interfaces, whose excess-property check rejects a key the schema
// doesn't define at any depth (what kubeconform -strict does).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

const DIR = 'config/kubernetes';

/** apiVersion/kind → [module, interface] in kubernetes-models (and the Prometheus Operator's models). */
const TYPES: Record<string, [string, string]> = {
  'v1/ConfigMap': ['kubernetes-models/v1/ConfigMap', 'IConfigMap'],
  'v1/PersistentVolumeClaim': ['kubernetes-models/v1/PersistentVolumeClaim', 'IPersistentVolumeClaim'],
  'v1/Service': ['kubernetes-models/v1/Service', 'IService'],
  'v1/Secret': ['kubernetes-models/v1/Secret', 'ISecret'],
  'apps/v1/Deployment': ['kubernetes-models/apps/v1/Deployment', 'IDeployment'],
  'policy/v1/PodDisruptionBudget': ['kubernetes-models/policy/v1/PodDisruptionBudget', 'IPodDisruptionBudget'],
  'monitoring.coreos.com/v1/ServiceMonitor': [
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
    'IServiceMonitor',
  ],
};

interface Doc {
  readonly where: string;
  readonly obj: Record<string, unknown>;
}

/**
 * The type errors for `docs` as `where: message` lines, from one in-memory program (the source is
 * never written: the host serves it, and resolves the models from this repo's node_modules).
 */
function typeErrors(docs: readonly Doc[]): string[] {
  const file = resolve('test/deploy/__manifests__.ts');
  const imports = new Set<string>();
  const lines = docs.map((d, i) => {
    const type = TYPES[`${d.obj.apiVersion}/${d.obj.kind}`];
    if (!type) return `const d${i}: never = ${JSON.stringify(d.obj)};`;
    imports.add(`import type { ${type[1]} } from '${type[0]}';`);
    return `const d${i}: ${type[1]} = ${JSON.stringify(d.obj)};`;
  });
  const text = `${[...imports].join('\n')}\n${lines.join('\n')}\nexport {};\n`;
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const base = { fileExists: host.fileExists, readFile: host.readFile, getSourceFile: host.getSourceFile };
  host.fileExists = (f) => f === file || base.fileExists(f);
  host.readFile = (f) => (f === file ? text : base.readFile(f));
  host.getSourceFile = (f, lang, ...rest) => (f === file ? ts.createSourceFile(f, text, lang, true) : base.getSourceFile(f, lang, ...rest));
  const program = ts.createProgram([file], options, host);
  const offset = imports.size; // line index of d0
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const doc = docs[line - offset];
    return `${doc?.where ?? '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

const docs: Doc[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
      const obj = d.toJS() as Record<string, unknown>;
      return { where: `${file} ${obj.kind} ${(obj.metadata as { name?: string } | undefined)?.name}`, obj };
    }),
  );

describe('config/kubernetes manifests, strictly', () => {
  it('define only fields the Kubernetes schema knows, at every depth', () => {
    expect(docs.length).toBeGreaterThan(8);
    expect(typeErrors(docs)).toEqual([]);
  }, 60_000);

  it('the strict check catches a misspelt field anywhere (so passing means something)', () => {
    const deployment = docs.find((d) => d.obj.kind === 'Deployment')!;
    const typo = (edit: (o: any) => void): Doc => {
      const obj = structuredClone(deployment.obj) as any;
      edit(obj);
      return { where: 'typo', obj };
    };
    const errors = typeErrors([
      typo((o) => (o.spec.template.spec.containers[0].readinessProb = o.spec.template.spec.containers[0].readinessProbe)),
      typo((o) => (o.spec.template.spec.containers[0].securityContext.runAsUsr = 1000)),
      typo((o) => (o.spec.replica = 2)),
      typo((o) => (o.metadata.labelz = {})),
    ]);
    expect(errors).toHaveLength(4);
    for (const [i, field] of ['readinessProb', 'runAsUsr', 'replica', 'labelz'].entries()) expect(errors[i]).toContain(field);
  }, 60_000);
});
