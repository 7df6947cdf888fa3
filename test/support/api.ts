/** A thin HTTP client for the tests: JSON in, `{status, headers, body}` out, nothing hidden. */
export interface ApiResponse<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

export class Api {
  readonly base: string;
  private readonly key: string | undefined;

  constructor(base: string, key?: string) {
    this.base = base;
    this.key = key;
  }

  as(key: string | undefined): Api {
    return new Api(this.base, key);
  }

  async request<T = any>(method: string, path: string, init: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...(this.key === undefined ? {} : { authorization: `Bearer ${this.key}` }) };
    let body: string | undefined = init.rawBody;
    if (init.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.body);
    }
    const response = await fetch(`${this.base}${path}`, { method, headers: { ...headers, ...init.headers }, body: body ?? null });
    const text = await response.text();
    let parsed: unknown = text;
    if (/^application\/(problem\+)?json\b/.test(response.headers.get('content-type') ?? '')) parsed = text === '' ? undefined : JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  get<T = any>(path: string, headers?: Record<string, string>): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, headers === undefined ? {} : { headers });
  }

  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, { ...(body === undefined ? {} : { body }), ...(headers === undefined ? {} : { headers }) });
  }
}
