/** One Server-Sent Event as a client sees it. */
export interface SseEvent {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: string;
}

export interface SseConnection {
  readonly status: number;
  /** Resolves with the next event, or `undefined` when the server ended the stream. */
  next(timeoutMs?: number): Promise<SseEvent | undefined>;
  readonly comments: string[];
  close(): void;
}

/** Opens an SSE stream with fetch and parses frames as they arrive (no EventSource in Node). */
export async function openSse(url: string, headers: Record<string, string>): Promise<SseConnection> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  const queue: SseEvent[] = [];
  const comments: string[] = [];
  let buffer = '';
  let ended = false;

  const pump = async (): Promise<void> => {
    if (reader === undefined) {
      ended = true;
      return;
    }
    const { value, done } = await reader.read();
    if (done) {
      ended = true;
      return;
    }
    buffer += decoder.decode(value, { stream: true });
    let boundary: number;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const fields: Record<string, string> = {};
      for (const line of frame.split('\n')) {
        if (line.startsWith(':')) comments.push(line.slice(1).trim());
        const colon = line.indexOf(':');
        if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
      }
      if (fields['data'] !== undefined) queue.push({ event: fields['event'] ?? 'message', id: fields['id'], data: fields['data'] });
    }
  };

  return {
    status: response.status,
    comments,
    close: () => abort.abort(),
    async next(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length === 0 && !ended) {
        if (Date.now() > deadline) throw new Error('no SSE event in time');
        await Promise.race([pump(), new Promise((resolve) => setTimeout(resolve, Math.max(1, deadline - Date.now())))]);
      }
      return queue.shift();
    },
  };
}
