import { ApiException } from '@kubernetes/client-node';
import { KubernetesApiError, KubernetesErrorKind, fromHttpStatus, toKubernetesError } from './kubernetes-errors.js';

function status(code: number, reason: string, message = `${reason} happened`): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code });
}

describe('toKubernetesError', () => {
  it.each([
    [new ApiException(409, 'Unknown API Status Code!', status(409, 'AlreadyExists'), {}), KubernetesErrorKind.AlreadyExists],
    [new ApiException(409, 'Unknown API Status Code!', status(409, 'Conflict'), {}), KubernetesErrorKind.Conflict],
    [new ApiException(409, 'Unknown API Status Code!', 'not json', {}), KubernetesErrorKind.Conflict],
    [new ApiException(404, 'Unknown API Status Code!', status(404, 'NotFound'), {}), KubernetesErrorKind.NotFound],
    [new ApiException(410, 'Unknown API Status Code!', status(410, 'Expired'), {}), KubernetesErrorKind.Gone],
    [new ApiException(400, 'Unknown API Status Code!', status(400, 'BadRequest'), {}), KubernetesErrorKind.BadRequest],
    [new ApiException(403, 'Unknown API Status Code!', status(403, 'Forbidden'), {}), KubernetesErrorKind.Other],
    [Object.assign(new Error('Gone'), { statusCode: 410 }), KubernetesErrorKind.Gone],
    [Object.assign(new Error('aborted'), { code: 'ECONNRESET' }), KubernetesErrorKind.Other],
    ['a string', KubernetesErrorKind.Other],
  ])('%# → %s', (error, kind) => {
    expect(toKubernetesError(error, 'create Job ferry-x').kind).toBe(kind);
  });

  it('keeps the server’s reason and message, the action, and the cause', () => {
    const cause = new ApiException(403, 'Unknown API Status Code!', status(403, 'Forbidden', 'jobs.batch is forbidden: User "x" cannot create'), {});
    const error = toKubernetesError(cause, 'create Job ferry-x');
    expect(error).toBeInstanceOf(KubernetesApiError);
    expect(error).toMatchObject({ kind: 'Other', status: 403, reason: 'Forbidden', message: 'create Job ferry-x: HTTP 403 jobs.batch is forbidden: User "x" cannot create' });
    expect(error.cause).toBe(cause);
    expect(toKubernetesError(error, 'again')).toBe(error);
  });
});

describe('fromHttpStatus', () => {
  it('reads a Status body, or says what it can of another body', () => {
    expect(fromHttpStatus(404, status(404, 'NotFound', 'pods "p" not found'), 'log of pod p')).toMatchObject({ kind: 'NotFound', reason: 'NotFound', message: 'log of pod p: HTTP 404 pods "p" not found' });
    expect(fromHttpStatus(502, '<html>bad gateway</html>', 'log of pod p')).toMatchObject({ kind: 'Other', message: 'log of pod p: HTTP 502 <html>bad gateway</html>' });
    expect(fromHttpStatus(500, '', 'x')).toMatchObject({ kind: 'Other', message: 'x: HTTP 500' });
  });
});
