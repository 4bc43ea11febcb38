import t from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { SpotInterruptionMonitor, looksLikeEc2 } from '../../src/shared/spot-interruption';
import { client, sleep, startEdgeProcess, startUpstream } from './edge-harness';

interface FakeImds {
  url: string;
  notice: string | null;
  tokenRequests: number;
  unauthorized: number;
}

/** Instance metadata as IMDSv2 serves it: PUT a token, then GET with it; 404 until a notice is set. */
async function startFakeImds(t: { teardown(fn: () => unknown): void }): Promise<FakeImds> {
  const state: FakeImds = { url: '', notice: null, tokenRequests: 0, unauthorized: 0 };
  const server: Server = createServer((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      state.tokenRequests++;
      if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('token-1');
      return;
    }
    if (req.method === 'GET' && req.url === '/latest/meta-data/spot/instance-action') {
      if (req.headers['x-aws-ec2-metadata-token'] !== 'token-1') {
        state.unauthorized++;
        res.writeHead(401).end();
        return;
      }
      if (state.notice === null) res.writeHead(404).end('Not Found');
      else res.writeHead(200, { 'content-type': 'text/plain' }).end(state.notice);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return state;
}

t.test('pollOnce: no notice, then the notice, with an IMDSv2 token', async (t) => {
  const imds = await startFakeImds(t);
  const monitor = new SpotInterruptionMonitor({ baseUrl: imds.url, intervalMs: 1000, log: pino({ level: 'silent' }), onNotice: () => undefined });
  t.equal(await monitor.pollOnce(), undefined);
  imds.notice = JSON.stringify({ action: 'terminate', time: '2030-01-01T00:02:00Z' });
  t.same(await monitor.pollOnce(), { action: 'terminate', time: '2030-01-01T00:02:00Z' });
  t.equal(imds.tokenRequests, 1, 'the token is reused');
  t.equal(imds.unauthorized, 0);
});

t.test('a malformed notice is an error, not a crash', async (t) => {
  const imds = await startFakeImds(t);
  imds.notice = 'not json';
  const monitor = new SpotInterruptionMonitor({ baseUrl: imds.url, intervalMs: 1000, log: pino({ level: 'silent' }), onNotice: () => undefined });
  await t.rejects(monitor.pollOnce(), /not JSON/);
});

t.test('the poller reports a notice once', async (t) => {
  const imds = await startFakeImds(t);
  const notices: unknown[] = [];
  const monitor = new SpotInterruptionMonitor({ baseUrl: imds.url, intervalMs: 20, log: pino({ level: 'silent' }), onNotice: (n) => notices.push(n) });
  monitor.start();
  t.teardown(() => monitor.stop());
  await sleep(100);
  t.equal(notices.length, 0);
  imds.notice = JSON.stringify({ action: 'stop', time: '2030-01-01T00:02:00Z' });
  for (let i = 0; i < 100 && notices.length === 0; i++) await sleep(20);
  await sleep(100);
  t.same(notices, [{ action: 'stop', time: '2030-01-01T00:02:00Z' }]);
});

t.test('EC2 is recognised from DMI or hypervisor files', async (t) => {
  const files = (map: Record<string, string>) => (p: string) => {
    if (p in map) return map[p];
    throw new Error('ENOENT');
  };
  t.equal(looksLikeEc2(files({})), false);
  t.equal(looksLikeEc2(files({ '/sys/class/dmi/id/sys_vendor': 'QEMU\n' })), false);
  t.equal(looksLikeEc2(files({ '/sys/class/dmi/id/board_asset_tag': 'i-0123456789abcdef0\n' })), true);
  t.equal(looksLikeEc2(files({ '/sys/class/dmi/id/sys_vendor': 'Amazon EC2\n' })), true);
  t.equal(looksLikeEc2(files({ '/sys/hypervisor/uuid': 'ec2e1916-9099-7caf-fd21-012345abcdef\n' })), true);
});

t.test('a Spot notice drains the running edge: /healthz fails, then it exits cleanly', async (t) => {
  const imds = await startFakeImds(t);
  const up = await startUpstream(t, {});
  const edge = await startEdgeProcess(t, { ORIGINS: up.url, SPOT_MONITOR: 'on', IMDS_URL: imds.url, SPOT_POLL_INTERVAL: '0.05', DRAIN_DELAY: '1' });
  const get = client(t);
  t.equal((await get(`${edge.url}/healthz`)).status, 200);
  imds.notice = JSON.stringify({ action: 'terminate', time: '2030-01-01T00:02:00Z' });
  let health = 200;
  for (let i = 0; i < 100 && health === 200; i++) {
    await sleep(20);
    health = (await get(`${edge.url}/healthz`)).status;
  }
  t.equal(health, 503);
  t.equal(await edge.exited, 0);
  t.match(edge.output(), /Spot interruption notice/);
});
