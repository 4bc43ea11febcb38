import t from 'tap';
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { FULL_READ_BYTES, ReadBatcher } from '../../src/origin/rtmp/read-batcher';

/** A real TCP pair on 127.0.0.1: the server side's data goes through `batcher`. */
async function pair(t: { teardown(fn: () => unknown): void }, batcher: ReadBatcher): Promise<{ client: Socket; server: Socket; received: Buffer[]; stoppedAfter: boolean[] }> {
  const received: Buffer[] = [];
  const stoppedAfter: boolean[] = [];
  let server!: Socket;
  const srv: Server = createServer((s) => {
    server = s;
    s.on('data', (d: Buffer) => {
      received.push(d);
      batcher.delivered(s, d.length);
      stoppedAfter.push(batcher.isStopped(s));
    });
    s.on('close', () => batcher.release(s));
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  client.setNoDelay(true);
  await once(srv, 'connection');
  t.teardown(() => {
    client.destroy();
    server.destroy();
    batcher.close();
    srv.close();
  });
  return { client, server, received, stoppedAfter };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

t.test('after a delivery nothing more is read until the batch; then everything buffered comes in one read, in order', async (t) => {
  // A batch far longer than the test, so only close() (what the timer would do) restarts the reads.
  const batcher = new ReadBatcher(600_000);
  const { client, received } = await pair(t, batcher);
  client.write('first');
  await until('the first write', () => (received.length === 1 ? true : undefined));
  for (let i = 0; i < 20; i++) client.write(`-${i}`);
  // Had the reads not stopped, these would have arrived long before (the check can only pass late, never fail early).
  await sleep(300);
  t.equal(received.length, 1, 'no read while stopped');
  batcher.close();
  const expected = `first${Array.from({ length: 20 }, (_, i) => `-${i}`).join('')}`;
  await until('the rest', () => (Buffer.concat(received).toString() === expected ? true : undefined));
  t.equal(received.length, 2, 'the 20 writes made while stopped came in one read');
});

t.test('the timer restarts every stopped socket; a peer that closes while stopped is noticed at the next batch', async (t) => {
  const batcher = new ReadBatcher(20);
  const a = await pair(t, batcher);
  const b = await pair(t, batcher);
  const total = 200;
  for (let i = 0; i < total; i++) {
    a.client.write(`a${i};`);
    b.client.write(`b${i};`);
    if (i % 10 === 0) await sleep(1);
  }
  const want = (p: string) => Array.from({ length: total }, (_, i) => `${p}${i};`).join('');
  await until('all of a and b', () => (Buffer.concat(a.received).toString() === want('a') && Buffer.concat(b.received).toString() === want('b') ? true : undefined));
  t.pass('every byte of both sockets arrived, in order');
  const closed = once(a.server, 'close');
  a.client.end();
  await closed;
  t.pass('the end of a stopped socket was read');
});

t.test('0 ms means no batching: reads are never stopped', async (t) => {
  const batcher = new ReadBatcher(0);
  const { client, received } = await pair(t, batcher);
  client.write('one');
  await until('one', () => (received.length === 1 ? true : undefined));
  client.write('two');
  await until('two, without any batch', () => (Buffer.concat(received).toString() === 'onetwo' ? true : undefined));
  t.pass();
});

t.test('a destroyed socket is released without a read', async (t) => {
  const batcher = new ReadBatcher(600_000);
  const { client, server, received } = await pair(t, batcher);
  client.write('x');
  await until('x', () => (received.length === 1 ? true : undefined));
  server.destroy();
  batcher.release(server);
  batcher.close();
  t.equal(received.length, 1);
  t.ok(server.destroyed);
});

t.test('a read that fills the read buffer leaves the socket reading: a fast publisher is not capped at one buffer per batch', async (t) => {
  // Restarted by hand below, so every stop is visible and none is undone by a timer.
  const batcher = new ReadBatcher(600_000);
  const { client, server, received, stoppedAfter } = await pair(t, batcher);
  client.write('x');
  await until('x', () => (received.length === 1 ? true : undefined));
  // Written while the socket is stopped: the kernel holds more than one read buffer when it restarts.
  const big = Buffer.alloc(1024 * 1024, 7);
  client.write(big);
  await sleep(50);
  await until('every byte', () => {
    batcher.release(server);
    return Buffer.concat(received).length === 1 + big.length ? true : undefined;
  });
  const full = received.map((d, i) => ({ len: d.length, stopped: stoppedAfter[i] }));
  t.ok(full.some((r) => r.len >= FULL_READ_BYTES), `at least one read filled the buffer (reads of ${[...new Set(full.map((r) => r.len))].join(', ')} bytes)`);
  t.same(full.filter((r) => r.len >= FULL_READ_BYTES && r.stopped), [], 'no full read stopped the socket');
  t.same(full.filter((r) => r.len < FULL_READ_BYTES && !r.stopped), [], 'every shorter read stopped it until the next batch');
});
