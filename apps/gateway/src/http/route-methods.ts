/**
 * Which methods each route pattern has, collected from Fastify's `onRoute` as routes are added, so
 * a request that matches no route can be told apart: a known path with another method is a 405
 * with `Allow` (RFC 9110 §15.5.6), anything else a 404.
 */
export class RouteMethods {
  readonly #routes: Array<{ readonly pattern: RegExp; readonly methods: Set<string> }> = [];

  add(methods: string | readonly string[], url: string): void {
    const source = patternSource(url);
    let route = this.#routes.find((known) => known.pattern.source === source);
    if (route === undefined) {
      route = { pattern: new RegExp(source), methods: new Set() };
      this.#routes.push(route);
    }
    for (const method of typeof methods === 'string' ? [methods] : methods) route.methods.add(method.toUpperCase());
  }

  /** The methods of every route whose pattern matches `path` (no query string), sorted. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.#routes) if (route.pattern.test(path)) route.methods.forEach((method) => methods.add(method));
    return [...methods].sort();
  }
}

/** `/v1/jobs/:id/cancel` → `^/v1/jobs/[^/]+/cancel$`; a `*` matches the rest of the path. */
function patternSource(url: string): string {
  const parts = url.split('/').map((part) => {
    if (part.startsWith(':')) return '[^/]+';
    if (part === '*') return '.*';
    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return `^${parts.join('/')}$`;
}
