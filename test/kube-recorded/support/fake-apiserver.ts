import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { FakePodLogs } from './fake-pod-logs.ts';

export const FAKE_NAMESPACE = 'jobs';
export const FAKE_TOKEN = 'test-token';

export type Resource = 'jobs' | 'pods';
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
export type KubeObject = { metadata: { name: string; labels?: Record<string, string>; resourceVersion?: string; [key: string]: unknown }; [key: string]: unknown };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON, or the raw text, or undefined when there was none. */
  readonly body: unknown;
}

/** What the next watch request of a collection gets instead of a healthy stream. */
export type WatchFate = { readonly status: number } | 'gone' | 'silent';

interface Watcher {
  readonly response: ServerResponse;
  readonly selector: string | null;
  /** A stream that stays open and never says anything (a stuck watch). */
  readonly muted: boolean;
}

class Collection {
  readonly objects = new Map<string, KubeObject>();
  readonly history: { rv: number; type: WatchEventType; object: KubeObject }[] = [];
  readonly watchers = new Set<Watcher>();
  readonly fates: WatchFate[] = [];
  /** A watch from a resourceVersion older than this gets 410 Gone (etcd compacted it). */
  compactedBefore = 0;
}

/**
 * A recorded-exchange Kubernetes API server on 127.0.0.1: the exact paths client-node calls for
 * Jobs, pods and pod logs, answered the way the real server answers (Status bodies, 201/409/404,
 * newline-delimited watch events that resume from a resourceVersion, 410 after compaction), with
 * every request recorded. Tests push watch events and log lines and break connections at will.
 */
export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly logs = new FakePodLogs();
  readonly #collections: Record<Resource, Collection> = { jobs: new Collection(), pods: new Collection() };
  #resourceVersion = 100;

  readonly url: string;
  private readonly server: Server;

  private constructor(server: Server, url: string) {
    this.server = server;
    this.url = url;
  }

  static async start(): Promise<FakeApiServer> {
    const late: { fake?: FakeApiServer } = {};
    const server = createServer((request, response) => void late.fake?.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    late.fake = new FakeApiServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return late.fake;
  }

  kubeConfig(): KubeConfig {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'ferry-controller', token: FAKE_TOKEN }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'ferry-controller', namespace: FAKE_NAMESPACE }],
      currentContext: 'fake',
    });
    return kubeConfig;
  }

  async close(): Promise<void> {
    for (const collection of Object.values(this.#collections)) for (const watcher of collection.watchers) watcher.response.socket?.destroy();
    this.logs.closeAll();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Stores an object without telling any watcher (state a first list finds). */
  put(resource: Resource, object: KubeObject): void {
    object.metadata.resourceVersion = String(++this.#resourceVersion);
    this.#collections[resource].objects.set(object.metadata.name, object);
  }

  get(resource: Resource, name: string): KubeObject | undefined {
    return this.#collections[resource].objects.get(name);
  }

  /** Changes the store and sends the event to every open watch whose selector matches. */
  emit(resource: Resource, type: WatchEventType, object: KubeObject): void {
    const collection = this.#collections[resource];
    const rv = ++this.#resourceVersion;
    object.metadata.resourceVersion = String(rv);
    if (type === 'DELETED') collection.objects.delete(object.metadata.name);
    else if (type !== 'BOOKMARK') collection.objects.set(object.metadata.name, object);
    collection.history.push({ rv, type, object });
    for (const watcher of collection.watchers) send(watcher, type, object);
  }

  /** The fates of the next watch requests, in order (a 500, a 410 Gone event, a stream that says nothing). */
  planWatches(resource: Resource, ...fates: WatchFate[]): void {
    this.#collections[resource].fates.push(...fates);
  }

  /** Forgets history: a watch resuming from before now gets 410 Gone and must relist. */
  compact(resource: Resource): void {
    this.#collections[resource].compactedBefore = this.#resourceVersion;
  }

  /** Cuts every open watch connection of a collection. */
  dropWatches(resource: Resource): void {
    const collection = this.#collections[resource];
    for (const watcher of collection.watchers) watcher.response.socket?.destroy();
    collection.watchers.clear();
  }

  openWatches(resource: Resource): number {
    return this.#collections[resource].watchers.size;
  }

  requestsTo(method: string, path: string, filter: (request: RecordedRequest) => boolean = () => true): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && request.path === path && filter(request));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const text = await readBody(request);
    const body = text === '' ? undefined : parseJson(text);
    this.requests.push({ method: request.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: request.headers, body });
    if (request.headers.authorization !== `Bearer ${FAKE_TOKEN}`) return status(response, 401, 'Unauthorized', 'no valid token');
    const route = routeOf(url.pathname);
    if (route === undefined || route.namespace !== FAKE_NAMESPACE) return status(response, 404, 'NotFound', `the server could not find ${url.pathname}`);
    const collection = this.#collections[route.resource];
    if (route.log) {
      // As a real API server does: pods/log is served as JSON, YAML or protobuf, and refused for a
      // client that accepts only text/plain (found against v1.36.3).
      if (!/application\/json|\*\/\*/.test(request.headers.accept ?? '*/*')) {
        return status(response, 406, 'NotAcceptable', 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf');
      }
      return this.serveLog(route.name, url.searchParams, response);
    }
    if (route.name === undefined) {
      if (request.method === 'POST' && route.resource === 'jobs') return this.create(collection, body as KubeObject, response);
      if (request.method === 'GET' && url.searchParams.get('watch') === 'true') return this.watch(collection, url.searchParams, response);
      if (request.method === 'GET') return this.list(route.resource, collection, url.searchParams.get('labelSelector'), response);
    } else {
      const existing = collection.objects.get(route.name);
      if (existing === undefined) return status(response, 404, 'NotFound', `${route.resource} "${route.name}" not found`);
      if (request.method === 'GET') return json(response, 200, existing);
      if (request.method === 'DELETE') {
        this.emit(route.resource, 'DELETED', existing);
        return json(response, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name: route.name, kind: route.resource } });
      }
      if (request.method === 'PATCH') {
        if (request.headers['content-type'] !== 'application/merge-patch+json') return status(response, 415, 'UnsupportedMediaType', `unsupported patch type ${request.headers['content-type']}`);
        this.emit(route.resource, 'MODIFIED', mergePatch(existing, body) as KubeObject);
        return json(response, 200, collection.objects.get(route.name));
      }
    }
    return status(response, 405, 'MethodNotAllowed', `${request.method} is not allowed here`);
  }

  private create(collection: Collection, object: KubeObject, response: ServerResponse): void {
    const name = object.metadata.name;
    if (collection.objects.has(name)) return status(response, 409, 'AlreadyExists', `jobs.batch "${name}" already exists`);
    const stored = { ...object, metadata: { ...object.metadata, uid: `uid-${name}`, creationTimestamp: new Date().toISOString() }, status: {} };
    this.emit('jobs', 'ADDED', stored);
    json(response, 201, stored);
  }

  private list(resource: Resource, collection: Collection, selector: string | null, response: ServerResponse): void {
    const items = [...collection.objects.values()].filter((object) => matches(object, selector));
    const kind = resource === 'jobs' ? 'JobList' : 'PodList';
    json(response, 200, { kind, apiVersion: resource === 'jobs' ? 'batch/v1' : 'v1', metadata: { resourceVersion: String(this.#resourceVersion) }, items });
  }

  private watch(collection: Collection, query: URLSearchParams, response: ServerResponse): void {
    const fate = collection.fates.shift();
    if (typeof fate === 'object') return status(response, fate.status, 'InternalError', 'the watch failed');
    response.writeHead(200, { 'content-type': 'application/json' });
    const from = Number(query.get('resourceVersion') ?? '0');
    if (fate === 'gone' || from < collection.compactedBefore) {
      response.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: `too old resource version: ${from}` } })}\n`);
      return;
    }
    const watcher: Watcher = { response, selector: query.get('labelSelector'), muted: fate === 'silent' };
    // Flush the headers now: client-node's watch resolves only once they arrive.
    response.flushHeaders();
    for (const event of collection.history) if (event.rv > from) send(watcher, event.type, event.object);
    collection.watchers.add(watcher);
    response.once('close', () => collection.watchers.delete(watcher));
  }

  private serveLog(pod: string | undefined, query: URLSearchParams, response: ServerResponse): void {
    if (pod === undefined || (!this.#collections.pods.objects.has(pod) && !this.logs.has(pod))) return status(response, 404, 'NotFound', `pods "${pod}" not found`);
    if (this.logs.isNotReady(pod)) return status(response, 400, 'BadRequest', `container "job" in pod "${pod}" is waiting to start: ContainerCreating`);
    this.logs.serve(pod, query, response);
  }
}

function routeOf(path: string): { resource: Resource; namespace: string; name?: string; log?: boolean } | undefined {
  const jobs = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs(?:\/([^/]+))?$/.exec(path);
  if (jobs !== null) return { resource: 'jobs', namespace: jobs[1] ?? '', ...(jobs[2] === undefined ? {} : { name: jobs[2] }) };
  const pods = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+)(\/log)?)?$/.exec(path);
  if (pods !== null) return { resource: 'pods', namespace: pods[1] ?? '', ...(pods[2] === undefined ? {} : { name: pods[2] }), log: pods[3] !== undefined };
  return undefined;
}

function matches(object: KubeObject, selector: string | null): boolean {
  if (selector === null || selector === '') return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split(/==?/);
    return key !== undefined && object.metadata.labels?.[key] === value;
  });
}

function send(watcher: Watcher, type: WatchEventType, object: KubeObject): void {
  if (watcher.muted || (type !== 'BOOKMARK' && !matches(object, watcher.selector))) return;
  watcher.response.write(`${JSON.stringify({ type, object })}\n`);
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function status(response: ServerResponse, code: number, reason: string, message: string): void {
  json(response, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

function json(response: ServerResponse, code: number, body: unknown): void {
  response.writeHead(code, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
