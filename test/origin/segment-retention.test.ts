import t from 'tap';
import { parseMediaPlaylist } from '../../src/shared/hls-playlist';
import { SegmentRetention } from '../../src/origin/segment-retention';
import { publish, startOrigin, waitFor, type Origin } from './origin-harness';

t.test('a segment may go its duration plus the longest playlist it was in after it left (plus the slack)', async (t) => {
  const r = new SegmentRetention(1);
  t.same(r.observe([{ uri: '0.ts', duration: 2 }, { uri: '1.ts', duration: 2 }], 0), []);
  // The playlist grows to 6 s while 0.ts is in it: that is its longest playlist.
  t.same(r.observe([{ uri: '0.ts', duration: 2 }, { uri: '1.ts', duration: 2 }, { uri: '2.ts', duration: 2 }], 1000), []);
  t.same(r.observe([{ uri: '1.ts', duration: 2 }, { uri: '2.ts', duration: 2 }, { uri: '3.ts', duration: 1.5 }], 2000), [{ uri: '0.ts', deleteAtMs: 2000 + (2 + 6 + 1) * 1000 }]);
  // Several may leave at once (e.g. a restart of the window); the longest playlist of 1.ts was 6 s.
  t.same(r.observe([{ uri: '9.ts', duration: 2 }], 5000).map((x) => x.uri).sort(), ['1.ts', '2.ts', '3.ts']);
  t.same(r.observe([{ uri: '9.ts', duration: 2 }], 6000), [], 'each segment retires once');
  t.equal(r.size, 1);
  // A playlist left by an earlier publish was longer while live than its final version.
  const seeded = new SegmentRetention(0);
  seeded.observe([{ uri: '7.ts', duration: 0.4 }], 0, 6.5);
  t.same(seeded.observe([{ uri: '8.ts', duration: 2 }], 1000), [{ uri: '7.ts', deleteAtMs: 1000 + (0.4 + 6.5) * 1000 }]);
});

/** What a player sees: when each segment left the playlist and whether it could still be fetched. */
class RetentionProbe {
  private readonly listed = new Map<string, { duration: number; longest: number }>();
  readonly left = new Map<string, { at: number; duration: number; longest: number; lastOk: number; first404?: number; okAfterDeadline: boolean; notFoundBeforeDeadline: boolean }>();

  constructor(private readonly origin: Origin, private readonly variant: string) {}

  async poll(): Promise<void> {
    const seenAt = Date.now();
    const r = await fetch(this.origin.url(`/hls/${this.variant}/index.m3u8`));
    if (!r.ok) return;
    const p = parseMediaPlaylist(await r.text());
    const total = p.segments.reduce((s, x) => s + x.duration, 0);
    const now = new Set(p.segments.map((s) => s.uri));
    for (const [uri, s] of this.listed) {
      // The moment this probe saw it gone is no earlier than its removal, so the check is, if anything, stricter.
      if (!now.has(uri)) {
        this.listed.delete(uri);
        this.left.set(uri, { at: seenAt, ...s, lastOk: seenAt, okAfterDeadline: false, notFoundBeforeDeadline: false });
      }
    }
    for (const s of p.segments) {
      const l = this.listed.get(s.uri);
      if (l) l.longest = Math.max(l.longest, total);
      else this.listed.set(s.uri, { duration: s.duration, longest: total });
    }
    await Promise.all([...this.left].filter(([, l]) => l.first404 === undefined).map(async ([uri, l]) => {
      const asked = Date.now();
      const res = await fetch(this.origin.url(`/hls/${this.variant}/${uri}`), { method: 'HEAD' });
      const deadline = l.at + (l.duration + l.longest) * 1000;
      if (res.status === 200) {
        l.lastOk = asked;
        if (asked >= deadline) l.okAfterDeadline = true;
      } else {
        l.first404 = asked;
        if (asked < deadline) l.notFoundBeforeDeadline = true;
      }
    }));
  }

  /** Fetched after its deadline, or found deleted. */
  decided(uri: string): boolean {
    const l = this.left.get(uri);
    return !!l && (l.okAfterDeadline || l.first404 !== undefined);
  }

  get allGone(): boolean {
    return [...this.left.values()].every((l) => l.first404 !== undefined);
  }
}

t.test('segments stay fetchable their duration plus the playlist duration after leaving the playlist (RFC 8216 6.2.2), also across a republish', async (t) => {
  const origin = await startOrigin(t, { HLS_FORMAT: 'ts', HLS_FRAGMENT: '1', HLS_PLAYLIST_LENGTH: '3', RECORD: 'off' });
  const probe = new RetentionProbe(origin, 'keep_1280');
  const pollUntil = async (what: string, done: () => boolean, timeoutMs: number) =>
    waitFor(what, async () => {
      await probe.poll();
      return done() ? true : undefined;
    }, timeoutMs, 100);

  const first = publish(t, origin.rtmp('keep'), { seconds: 9, size: '320x180' });
  await pollUntil('four segments leave the live playlist', () => probe.left.size >= 4, 40_000);
  await first.stop();
  const live = [...probe.left.keys()];
  await pollUntil('each segment that left fetched after its deadline, or found deleted', () => live.every((u) => probe.decided(u)), 40_000);

  // A new publish of the same name replaces the finished playlist: its segments leave it then.
  const ended = parseMediaPlaylist(await (await fetch(origin.url('/hls/keep_1280/index.m3u8'))).text());
  t.ok(ended.endList, 'the first publish ended with ENDLIST');
  const second = publish(t, origin.rtmp('keep'), { seconds: 4, size: '320x180' });
  await pollUntil('the finished playlist\'s segments leave it', () => ended.segments.every((s) => probe.decided(s.uri)), 40_000);
  await second.stop();
  await pollUntil('every segment that left fetched after its deadline or deleted', () => [...probe.left.keys()].every((u) => probe.decided(u)), 40_000);

  for (const [uri, l] of probe.left) {
    const required = l.duration + l.longest;
    t.notOk(l.notFoundBeforeDeadline, `${uri} was not deleted before ${required.toFixed(1)} s after leaving`);
    t.ok(l.okAfterDeadline, `${uri} was still fetched at ${required.toFixed(1)} s after leaving`);
  }
  t.ok(probe.left.size >= 4 + ended.segments.length);
  // And they do go: the disk does not fill up.
  await pollUntil('every segment that left deleted at last', () => probe.allGone, 30_000);
  const figures = [...probe.left].map(([uri, l]) => `${uri}: ${((l.lastOk - l.at) / 1000).toFixed(1)}-${((l.first404! - l.at) / 1000).toFixed(1)} s (spec minimum ${(l.duration + l.longest).toFixed(1)} s)`);
  t.comment(`measured retention after leaving the playlist (last 200 - first 404): ${figures.join('; ')}`);
});
