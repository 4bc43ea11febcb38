// A small counting LL-HLS origin for the edge tests (not a test file itself): a rendition whose
// next part the test publishes by hand, so a blocking reload or a hinted part is held exactly as
// long as the test wants, and every request it gets is counted by its raw target.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type Tap = { teardown(fn: () => unknown): void };

export interface LlOrigin {
  url: string;
  /** Requests per raw target (path and query as received). */
  count(target: string): number;
  /** Every raw target received, in order. */
  seen: string[];
  /** Requests the origin is holding right now. */
  holding(): number;
  /** Completes the hinted part: held requests for it are answered. */
  publishPart(): void;
  /** The body of part `msn.part`. */
  partBody(msn: number, part: number): Buffer;
  close(): Promise<void>;
}

const PARTS_PER_SEGMENT = 5;

/**
 * `/live/index.m3u8`: TARGETDURATION 1, parts of 0.2 s, segment `first` complete with its parts,
 * segment first+1 open with `open` complete parts and the next one hinted. Blocking reloads are
 * held until their part is published, or answered 503 (no-store) after `holdMs`; further ahead
 * than two segments, 400 (no-store) at once, as the real origin does.
 */
export async function startLlOrigin(t: Tap, opts: { holdMs?: number } = {}): Promise<LlOrigin> {
  const holdMs = opts.holdMs ?? 3000;
  const first = 5;
  let open = 2;
  const waiters = new Set<() => void>();
  const counts = new Map<string, number>();
  const seen: string[] = [];
  let holding = 0;

  const partBody = (msn: number, part: number) => Buffer.alloc(2000 + part, `part ${msn}.${part};`);
  const has = (msn: number, part: number | undefined) =>
    part === undefined ? msn <= first : msn < first + 1 || (msn === first + 1 && part < open);
  const playlist = (): string => {
    const lines = ['#EXTM3U', '#EXT-X-VERSION:9', '#EXT-X-TARGETDURATION:1', '#EXT-X-PART-INF:PART-TARGET=0.2', '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.6', `#EXT-X-MEDIA-SEQUENCE:${first}`, '#EXT-X-MAP:URI="init.mp4"'];
    for (let p = 0; p < PARTS_PER_SEGMENT; p++) lines.push(`#EXT-X-PART:DURATION=0.2,URI="${first}.${p}.m4s"${p === 0 ? ',INDEPENDENT=YES' : ''}`);
    lines.push('#EXTINF:1.0,', `${first}.m4s`);
    for (let p = 0; p < open; p++) lines.push(`#EXT-X-PART:DURATION=0.2,URI="${first + 1}.${p}.m4s"`);
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${first + 1}.${open}.m4s"`);
    return lines.join('\n') + '\n';
  };
  const hold = (ready: () => boolean): Promise<boolean> =>
    new Promise((resolve) => {
      if (ready()) return resolve(true);
      holding++;
      const check = () => {
        if (!ready()) return;
        done(true);
      };
      const timer = setTimeout(() => done(false), holdMs);
      const done = (ok: boolean) => {
        holding--;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(ok);
      };
      waiters.add(check);
    });
  const noStore = { 'content-type': 'application/json', 'cache-control': 'no-store' };

  const server: Server = createServer(async (req, res) => {
    const target = req.url ?? '';
    if (target === '/healthz') {
      res.end('ok\n');
      return;
    }
    seen.push(target);
    counts.set(target, (counts.get(target) ?? 0) + 1);
    const url = new URL(target, 'http://x');
    if (url.pathname === '/live/index.m3u8') {
      const msnText = url.searchParams.get('_HLS_msn');
      const partText = url.searchParams.get('_HLS_part');
      if (msnText === null) {
        res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=1' });
        res.end(playlist());
        return;
      }
      const msn = Number(msnText);
      const part = partText === null ? undefined : Number(partText);
      if (!Number.isInteger(msn) || msn > first + 2) {
        res.writeHead(400, noStore);
        res.end(JSON.stringify({ code: 'SC_ERR_HLS_DIRECTIVE' }));
        return;
      }
      if (!(await hold(() => has(msn, part)))) {
        res.writeHead(503, noStore);
        res.end(JSON.stringify({ code: 'SC_ERR_HLS_NOT_READY' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=6' });
      res.end(playlist());
      return;
    }
    const m = /^\/live\/(\d+)\.(\d+)\.m4s$/.exec(url.pathname);
    if (m) {
      const [msn, part] = [Number(m[1]), Number(m[2])];
      const hinted = msn === first + 1 && part === open;
      if (!has(msn, part) && !(hinted && (await hold(() => has(msn, part))))) {
        res.writeHead(404, noStore);
        res.end('{}');
        return;
      }
      res.writeHead(200, { 'content-type': 'video/iso.segment', 'cache-control': 'max-age=300' });
      res.end(partBody(msn, part));
      return;
    }
    res.writeHead(404, noStore);
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const origin: LlOrigin = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: (target) => counts.get(target) ?? 0,
    seen,
    holding: () => holding,
    publishPart: () => {
      open++;
      for (const w of [...waiters]) w();
    },
    partBody,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  let closed = false;
  t.teardown(async () => {
    if (closed) return;
    closed = true;
    await origin.close();
  });
  return origin;
}
