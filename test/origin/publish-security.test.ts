import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { publish, startOrigin, waitFor } from './origin-harness';

t.test('a second publisher on a live name is refused; the first keeps going', async (t) => {
  const origin = await startOrigin(t);
  publish(t, origin.rtmp('dup'), { size: '320x180' });
  await waitFor('first publish live', async () => ((await fetch(origin.url('/hls/dup.m3u8'))).ok ? true : undefined));
  const second = publish(t, origin.rtmp('dup'), { size: '320x180' });
  await waitFor('second publisher refused', () => (second.proc.exitCode !== null ? true : undefined), 20_000);
  t.not(second.proc.exitCode, 0);
  t.match(origin.log(), /already has a publisher/);
  const stat = await (await fetch(origin.url('/stat?format=json'))).json();
  t.equal(stat.streams.length, 1);
});

t.test('per-stream keys and the on_publish webhook decide who may publish', async (t) => {
  const calls: string[] = [];
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      calls.push(`${req.url} ${body}`);
      const name = new URLSearchParams(body).get('name');
      res.statusCode = req.url === '/done' || name === 'allowed' ? 200 : 403;
      res.end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => hook.close(() => r())));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
  const origin = await startOrigin(t, { PUBLISH_KEYS: 'allowed=k3y', ON_PUBLISH: `${hookUrl}/publish`, ON_PUBLISH_DONE: `${hookUrl}/done` });

  const nokey = publish(t, origin.rtmp('allowed'), { size: '320x180' });
  await waitFor('keyless publish refused', () => (nokey.proc.exitCode !== null ? true : undefined), 20_000);
  const denied = publish(t, origin.rtmp('denied'), { size: '320x180' });
  await waitFor('webhook-refused publish ends', () => (denied.proc.exitCode !== null ? true : undefined), 20_000);
  t.match(origin.log(), /on_publish answered 403/);

  const ok = publish(t, `${origin.rtmp('allowed')}?key=k3y`, { size: '320x180' });
  await waitFor('keyed publish live', async () => ((await fetch(origin.url('/hls/allowed.m3u8'))).ok ? true : undefined));
  t.ok(calls.some((c) => c.startsWith('/publish') && c.includes('call=publish') && c.includes('name=allowed')));
  await ok.stop();
  await waitFor('on_publish_done called', () => (calls.some((c) => c.startsWith('/done') && c.includes('name=allowed')) ? true : undefined));
  t.pass('on_publish_done received');
});

t.test('/control drops a publisher only with the token', async (t) => {
  const origin = await startOrigin(t, { CONTROL_TOKEN: 'tok' });
  const pub = publish(t, origin.rtmp('cam'), { size: '320x180' });
  await waitFor('live', async () => ((await fetch(origin.url('/hls/cam.m3u8'))).ok ? true : undefined));
  const denied = await fetch(origin.url('/control/drop/publisher?app=live&name=cam'), { method: 'POST' });
  t.equal(denied.status, 401);
  t.equal((await denied.json()).code, 'SC_ERR_UNAUTHORIZED');
  const res = await fetch(origin.url('/control/drop/publisher?app=live&name=cam'), { method: 'POST', headers: { authorization: 'Bearer tok' } });
  t.equal(res.status, 200);
  await waitFor('publisher gone', () => (pub.proc.exitCode !== null ? true : undefined), 20_000);
  const html = await (await fetch(origin.url('/stat'))).text();
  t.match(html, /<h1>Live streams<\/h1>/);
});

t.test('with ORIGIN_SECRET set, only requests carrying it reach /hls', async (t) => {
  const origin = await startOrigin(t, { ORIGIN_SECRET: 'edge-only', ORIGIN_SECRET_HEADER: 'x-origin-verify' });
  const bare = await fetch(origin.url('/hls/nothing.m3u8'));
  t.equal(bare.status, 403);
  t.equal((await bare.json()).code, 'SC_ERR_FORBIDDEN');
  const wrong = await fetch(origin.url('/hls/nothing.m3u8'), { headers: { 'x-origin-verify': 'guess' } });
  t.equal(wrong.status, 403);
  const right = await fetch(origin.url('/hls/nothing.m3u8'), { headers: { 'x-origin-verify': 'edge-only' } });
  t.equal(right.status, 404, 'past the check, a missing playlist is a plain 404');
  t.ok((await fetch(origin.url('/healthz'))).ok, '/healthz stays open for the load balancer');
});
