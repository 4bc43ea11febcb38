/**
 * The kind of a failed request, as the report counts them. HTTP statuses become http_4xx/http_5xx; network
 * failures are told apart by the error codes Node, undici and the load test's own connections give them.
 */
export type ErrorKind = 'http_4xx' | 'http_5xx' | 'http_other' | 'timeout' | 'connect' | 'reset' | 'parse' | 'other';

export const ERROR_KINDS: readonly ErrorKind[] = ['http_4xx', 'http_5xx', 'http_other', 'timeout', 'connect', 'reset', 'parse', 'other'];

export function statusErrorKind(status: number): ErrorKind | undefined {
  if (status >= 200 && status < 400) return undefined;
  if (status >= 400 && status < 500) return 'http_4xx';
  if (status >= 500 && status < 600) return 'http_5xx';
  return 'http_other';
}

const CONNECT = new Set(['ECONNREFUSED', 'CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH']);

export function networkErrorKind(err: unknown): ErrorKind {
  let e: any = err;
  // undici wraps the socket error in `cause`; look a few levels down for a known code.
  for (let depth = 0; e && depth < 4; depth++, e = e.cause) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (CONNECT.has(code)) return 'connect';
    if (TIMEOUT.has(code) || e.name === 'TimeoutError') return 'timeout';
    if (RESET.has(code)) return 'reset';
  }
  return 'other';
}
