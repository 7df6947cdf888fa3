import type { Pipeline } from '../catalog.js';
import { parseCatalog } from '../catalog.loader.js';

/**
 * The catalog unit specs share: one entry of each kind the specs launch, with the Kubernetes
 * placement fields set on `sql` so a manifest spec can see them carried over.
 */
export const SPEC_CATALOG = parseCatalog(
  `
pipelines:
  - name: sql
    kind: sql
    description: DuckDB SQL.
    defaults: { timeoutSeconds: 3600, maxAttempts: 3 }
    resources:
      requests: { cpu: 500m, memory: 512Mi }
      limits: { memory: 2Gi }
    nodeSelector: { pool: etl }
    tolerations:
      - { key: dedicated, operator: Equal, value: etl, effect: NoSchedule }
  - name: sleep
    kind: sleep
    description: Sleep.
  - name: shout
    kind: container
    description: Upper-cases a word.
    image: docker.io/library/busybox:1.36
    command: [sh, -c, 'echo "$0" | tr a-z A-Z']
    args: ['{{params.word}}', '--times={{params.times}}']
    paramsSchema: { type: object }
`,
  'spec',
);

/** The spec catalog's entry called `name`; throws when there is none (a typo in a spec). */
export function specPipeline(name: string): Pipeline {
  const found = SPEC_CATALOG.get(name);
  if (found === undefined) throw new Error(`no pipeline ${name} in the spec catalog`);
  return found;
}
