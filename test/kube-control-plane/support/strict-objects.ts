// Creating arbitrary objects through @kubernetes/client-node's KubernetesObjectApi with server-side
// field validation Strict. In 2.0.1 `create(spec, pretty, dryRun, fieldManager, options)` has no
// fieldValidation parameter, and it serializes the body through its typed models, which silently drop
// fields the models do not know (so an unknown field in the chart would never reach the server).
// A promise middleware on the client's own configuration fixes both: it adds ?fieldValidation=Strict
// to every POST and replaces the serialized body by the manifest exactly as rendered.
import { createConfiguration, KubeConfig, KubernetesObjectApi, ServerConfiguration, type KubernetesObject, type RequestContext, type ResponseContext } from '@kubernetes/client-node';

function key(object: { apiVersion?: string; kind?: string; metadata?: { namespace?: string; name?: string } }): string {
  return `${object.apiVersion ?? ''}|${object.kind ?? ''}|${object.metadata?.namespace ?? ''}|${object.metadata?.name ?? ''}`;
}

export interface StrictObjects {
  /** POST with fieldValidation=Strict, the body byte-for-byte the given manifest; dryRun 'All' to persist nothing. */
  create(manifest: KubernetesObject & Record<string, unknown>, dryRun?: 'All'): Promise<KubernetesObject>;
  /** The api client itself (discovery of a kind's resource goes through it). */
  readonly client: KubernetesObjectApi;
}

export function strictObjects(kubeconfig: KubeConfig): StrictObjects {
  const cluster = kubeconfig.getCurrentCluster();
  if (cluster === null) throw new Error('kubeconfig has no current cluster');
  const raw = new Map<string, string>();
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kubeconfig },
    promiseMiddleware: [
      {
        pre: (context: RequestContext): Promise<RequestContext> => {
          if (context.getHttpMethod() === 'POST') {
            context.setQueryParam('fieldValidation', 'Strict');
            const body = context.getBody();
            if (typeof body === 'string') {
              const original = raw.get(key(JSON.parse(body) as KubernetesObject));
              if (original === undefined) throw new Error(`strictObjects: no raw manifest registered for ${body.slice(0, 200)}`);
              context.setBody(original);
            }
          }
          return Promise.resolve(context);
        },
        post: (context: ResponseContext): Promise<ResponseContext> => Promise.resolve(context),
      },
    ],
  });
  const client = new KubernetesObjectApi(configuration);
  return {
    client,
    async create(manifest, dryRun) {
      const id = key(manifest);
      raw.set(id, JSON.stringify(manifest));
      try {
        return await client.create(manifest, undefined, dryRun);
      } finally {
        raw.delete(id);
      }
    },
  };
}

/** A client-node ApiException's status code and the API server's message. */
export function apiError(error: unknown): { code: number; message: string } {
  const failure = error as { code?: number; body?: unknown; message?: string };
  let message = failure.message ?? String(error);
  const body = typeof failure.body === 'string' ? safeParse(failure.body) : failure.body;
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') message = (body as { message: string }).message;
  return { code: typeof failure.code === 'number' ? failure.code : 0, message };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
