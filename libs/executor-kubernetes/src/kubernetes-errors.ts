import { ApiException } from '@kubernetes/client-node';

/** What a failed Kubernetes API call means to Ferry; the only place an HTTP status is read. */
export const KubernetesErrorKind = {
  /** 409 with reason `AlreadyExists`: a create of a deterministic name that someone already made. */
  AlreadyExists: 'AlreadyExists',
  /** 404: a delete or patch of something gone, a log of a pod that vanished. */
  NotFound: 'NotFound',
  /** 410: a watch's resourceVersion is too old; relist. */
  Gone: 'Gone',
  /** 409 for any other reason (an update lost a race). */
  Conflict: 'Conflict',
  /** 400 on a pod's log: the container has not started yet (or is gone). */
  BadRequest: 'BadRequest',
  Other: 'Other',
} as const;
export type KubernetesErrorKind = (typeof KubernetesErrorKind)[keyof typeof KubernetesErrorKind];

/** A Kubernetes API failure with its kind, HTTP status and the server's own reason and message. */
export class KubernetesApiError extends Error {
  readonly kind: KubernetesErrorKind;
  readonly status: number | undefined;
  readonly reason: string | undefined;

  constructor(kind: KubernetesErrorKind, status: number | undefined, reason: string | undefined, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KubernetesApiError';
    this.kind = kind;
    this.status = status;
    this.reason = reason;
  }
}

/**
 * Reads any error a client-node call, watch or log request throws: `ApiException` (generated
 * clients; its body is the server's `Status` as text), a watch `Error` with `statusCode`, or our own.
 */
export function toKubernetesError(error: unknown, action: string): KubernetesApiError {
  if (error instanceof KubernetesApiError) return error;
  const status = statusOf(error);
  const body = error instanceof ApiException ? statusBody(error.body) : undefined;
  const reason = body?.reason;
  const detail = body?.message ?? (error instanceof Error ? error.message : String(error));
  return new KubernetesApiError(kindOf(status, reason), status, reason, `${action}: ${status === undefined ? '' : `HTTP ${status} `}${detail}`, { cause: error });
}

/** An HTTP response that was not a success, with the `Status` body the API server sent. */
export function fromHttpStatus(status: number, body: string, action: string): KubernetesApiError {
  const parsed = statusBody(body);
  const detail = parsed?.message ?? body.trim().slice(0, 512);
  return new KubernetesApiError(kindOf(status, parsed?.reason), status, parsed?.reason, `${action}: HTTP ${status}${detail === '' ? '' : ` ${detail}`}`);
}

function kindOf(status: number | undefined, reason: string | undefined): KubernetesErrorKind {
  switch (status) {
    case 404:
      return KubernetesErrorKind.NotFound;
    case 410:
      return KubernetesErrorKind.Gone;
    case 409:
      return reason === 'AlreadyExists' ? KubernetesErrorKind.AlreadyExists : KubernetesErrorKind.Conflict;
    case 400:
      return KubernetesErrorKind.BadRequest;
    default:
      return KubernetesErrorKind.Other;
  }
}

function statusOf(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  if (typeof error === 'object' && error !== null) {
    const { statusCode, code } = error as { statusCode?: unknown; code?: unknown };
    if (typeof statusCode === 'number') return statusCode;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/** The `Status` object an API error carries (text in client-node 2.x, sometimes already parsed). */
function statusBody(body: unknown): { reason?: string; message?: string } | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { reason, message } = value as { reason?: unknown; message?: unknown };
  return {
    ...(typeof reason === 'string' ? { reason } : {}),
    ...(typeof message === 'string' ? { message } : {}),
  };
}
