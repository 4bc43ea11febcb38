import t from 'tap';
import { networkErrorKind, statusErrorKind } from '../../src/loadtest/error-kind';

t.test('HTTP statuses map to http_4xx / http_5xx; success and redirects are no error', async (t) => {
  t.equal(statusErrorKind(200), undefined);
  t.equal(statusErrorKind(206), undefined);
  t.equal(statusErrorKind(304), undefined);
  t.equal(statusErrorKind(404), 'http_4xx');
  t.equal(statusErrorKind(403), 'http_4xx');
  t.equal(statusErrorKind(502), 'http_5xx');
  t.equal(statusErrorKind(504), 'http_5xx');
  t.equal(statusErrorKind(101), 'http_other');
});

t.test('network failures are told apart by code, also inside undici\'s cause chain', async (t) => {
  const err = (code: string) => Object.assign(new Error(code), { code });
  t.equal(networkErrorKind(err('ECONNREFUSED')), 'connect');
  t.equal(networkErrorKind(err('UND_ERR_CONNECT_TIMEOUT')), 'connect');
  t.equal(networkErrorKind(err('CONNECT_TIMEOUT')), 'connect');
  t.equal(networkErrorKind(err('UND_ERR_HEADERS_TIMEOUT')), 'timeout');
  t.equal(networkErrorKind(err('UND_ERR_BODY_TIMEOUT')), 'timeout');
  t.equal(networkErrorKind(err('ECONNRESET')), 'reset');
  t.equal(networkErrorKind(err('UND_ERR_SOCKET')), 'reset');
  t.equal(networkErrorKind(Object.assign(new TypeError('fetch failed'), { cause: err('ECONNREFUSED') })), 'connect');
  t.equal(networkErrorKind(new Error('something else')), 'other');
  t.equal(networkErrorKind(undefined), 'other');
});
