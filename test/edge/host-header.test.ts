import t from 'tap';
import { ManualClock } from '../../src/shared/clock';
import { rawRequest, startEdgeInProcess, startUpstream } from './edge-harness';

t.test('the edge answers duplicate or invalid Host headers with 400 on every path, and never asks the origin', async (t) => {
  const up = await startUpstream(t, { '/hls/a.ts': { body: 'segment', headers: { 'cache-control': 'max-age=60' } } });
  const { url } = await startEdgeInProcess(t, { ORIGINS: up.url }, new ManualClock());
  const port = Number(new URL(url).port);
  const bad = [
    'GET /hls/a.ts HTTP/1.1\r\nHost: edge\r\nHost: other\r\n\r\n',
    'GET /hls/a.ts HTTP/1.1\r\nHost: edge\r\nHost: edge\r\n\r\n',
    'GET /hls/a.ts HTTP/1.1\r\nHost: edge\r\nRange: bytes=0-1\r\nhost: other\r\n\r\n',
    'GET /hls/a.ts HTTP/1.1\r\nHost: a b\r\n\r\n',
    'GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n',
  ];
  for (const raw of bad) t.match(await rawRequest(port, raw), /^HTTP\/1\.1 400/, JSON.stringify(raw.split('\r\n').slice(1, -2)));
  t.equal(up.total(), 0, 'the origin saw none of them');
  t.match(await rawRequest(port, 'GET /hls/a.ts HTTP/1.1\r\nHost: edge\r\n\r\n'), /^HTTP\/1\.1 200/);
  // Now cached: the fast path answers plain hits, and still hands these to the full path.
  for (const raw of bad.slice(0, 2)) t.match(await rawRequest(port, raw), /^HTTP\/1\.1 400/, 'cached object, duplicate Host');
  t.match(await rawRequest(port, 'GET /hls/a.ts HTTP/1.1\r\nHost: a b\r\n\r\n'), /^HTTP\/1\.1 400/, 'cached object, invalid Host');
  t.equal(up.total(), 1);
});
