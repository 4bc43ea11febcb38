/**
 * RFC 9112 3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1
 * request message that lacks a Host header field and to any request message that contains more
 * than one Host header field line or a Host header field with an invalid field value." Node's
 * parser refuses a missing Host (requireHostHeader) but keeps the first of several and any value;
 * the origin and the edge both answer the rest with this.
 */

/** `Host = uri-host [ ":" port ]` (RFC 3986 3.2.2): an IP literal or a reg-name / IPv4 address; empty is allowed. */
const HOST_VALUE = /^(?:\[[0-9A-Za-z:._~!$&'()*+,;=-]+\]|(?:[0-9A-Za-z._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})*)(?::[0-9]*)?$/;

/** Whether a Host field value is well-formed (surrounding whitespace is not part of the value). */
export function validHostValue(value: string): boolean {
  return HOST_VALUE.test(value.trim());
}

/** Why a request's Host field lines are unacceptable, or undefined; `rawHeaders` as node:http gives them. */
export function hostHeaderProblem(rawHeaders: readonly string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== 'host') continue;
    if (value !== undefined) return 'more than one Host header';
    value = rawHeaders[i + 1]!;
  }
  if (value !== undefined && !validHostValue(value)) return 'invalid Host header';
  return undefined;
}
