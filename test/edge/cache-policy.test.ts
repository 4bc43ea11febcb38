import t from 'tap';
import { ManualClock } from '../../src/shared/clock';
import {
  ageSeconds,
  decideStorage,
  discardAt,
  freshnessOf,
  kindOf,
  usableOnError,
  PLAYLIST_STALE_LIMIT_MS,
  type CachePolicy,
  type ObjectKind,
} from '../../src/edge/cache-policy';

const policy: CachePolicy = {
  playlistTtlMs: 3000,
  playlistTtlMaxMs: 10_000,
  segmentTtlMs: 900_000,
  segmentTtlMaxMs: 86_400_000,
  otherTtlMs: 3000,
  errorTtlMs: 2000,
  staleIfErrorMs: 600_000,
  staleWhileRevalidateMs: 5000,
};

/** The decision for an answer with this status, Cache-Control and upstream Age, received at 0. */
function decide(kind: ObjectKind, status: number, cacheControl: string | undefined, age: number, p: CachePolicy = policy) {
  return decideStorage(kind, { status, headers: { 'cache-control': cacheControl }, upstreamAgeSeconds: age, receivedAt: 0 }, p);
}

function entryAt(clock: ManualClock, d: ReturnType<typeof decideStorage>) {
  const storedAt = clock.now();
  return { storedAt, expiresAt: storedAt + d.ttlMs, staleIfErrorMs: d.staleIfErrorMs, staleWhileRevalidateMs: d.staleWhileRevalidateMs };
}

t.test('kind is decided by the extension, ignoring the query', async (t) => {
  t.equal(kindOf('/hls/test.m3u8'), 'playlist');
  t.equal(kindOf('/hls/test_720p.M3U8?x=1'), 'playlist');
  t.equal(kindOf('/dash/a.mpd'), 'playlist');
  t.equal(kindOf('/hls/test-12.ts'), 'segment');
  t.equal(kindOf('/hls/init.mp4'), 'segment');
  t.equal(kindOf('/hls/chunk.m4s?token=a.m3u8'), 'segment');
  t.equal(kindOf('/api/streams'), 'other');
  t.equal(kindOf('/dir.m3u8/file'), 'other');
  t.equal(kindOf('/x.json'), 'other');
});

t.test('playlists and segments get their own default TTLs', async (t) => {
  const p = decide('playlist', 200, undefined, 0, policy);
  t.same([p.store, p.ttlMs, p.reason], [true, 3000, 'default']);
  t.equal(p.staleIfErrorMs, 0, 'a playlist is never served stale on error');
  t.equal(p.staleWhileRevalidateMs, PLAYLIST_STALE_LIMIT_MS, 'playlist background refresh window capped at 1 s');
  const s = decide('segment', 200, undefined, 0, policy);
  t.same([s.store, s.ttlMs, s.staleIfErrorMs, s.staleWhileRevalidateMs], [true, 900_000, 600_000, 5000]);
  const o = decide('other', 200, undefined, 0, policy);
  t.same([o.store, o.ttlMs, o.staleIfErrorMs], [true, 3000, 0]);
});

t.test('origin max-age and s-maxage win, within the caps and minus upstream Age', async (t) => {
  t.equal(decide('playlist', 200, 'max-age=1', 0, policy).ttlMs, 1000);
  t.equal(decide('playlist', 200, 'max-age=2, s-maxage=5', 0, policy).ttlMs, 5000);
  const capped = decide('playlist', 200, 'max-age=3600', 0, policy);
  t.same([capped.ttlMs, capped.reason], [10_000, 'max-age capped']);
  t.equal(decide('segment', 200, 'max-age=60', 20, policy).ttlMs, 40_000, 'Age already spent upstream is subtracted');
  t.equal(decide('segment', 200, 'max-age=60', 60, policy).store, false, 'already expired upstream');
  t.equal(decide('segment', 200, 'max-age=0', 0, policy).store, false);
});

t.test('no-store, no-cache and private are not kept', async (t) => {
  for (const cc of ['no-store', 'no-cache', 'private', 'max-age=60, no-store']) {
    t.equal(decide('segment', 200, cc, 0, policy).store, false, cc);
  }
});

t.test('errors: a 404 playlist never sticks, a 404 segment briefly, 5xx and others never', async (t) => {
  t.equal(decide('playlist', 404, undefined, 0, policy).store, false);
  t.equal(decide('playlist', 404, 'max-age=60', 0, policy).store, false);
  const seg = decide('segment', 404, undefined, 0, policy);
  t.same([seg.store, seg.ttlMs, seg.staleIfErrorMs, seg.staleWhileRevalidateMs], [true, 2000, 0, 0]);
  t.equal(decide('segment', 404, undefined, 0, { ...policy, errorTtlMs: 0 }).store, false);
  for (const status of [500, 502, 503, 504, 206, 301, 302, 204]) {
    t.equal(decide('segment', status, 'max-age=60', 0, policy).store, false, `status ${status}`);
  }
});

t.test('a playlist is fresh for its TTL, then refreshed, and never usable more than 1 s past it', async (t) => {
  const clock = new ManualClock();
  const e = entryAt(clock, decide('playlist', 200, undefined, 0, policy));
  clock.advance(2999);
  t.equal(freshnessOf(e, clock.now()), 'fresh');
  clock.advance(1);
  t.equal(freshnessOf(e, clock.now()), 'updating');
  clock.advance(PLAYLIST_STALE_LIMIT_MS - 1);
  t.equal(freshnessOf(e, clock.now()), 'updating');
  t.equal(usableOnError(e, clock.now()), true);
  clock.advance(1);
  t.equal(freshnessOf(e, clock.now()), 'expired');
  t.equal(usableOnError(e, clock.now()), false, 'no stale playlist beyond 1 s, even when origins fail');
  t.equal(discardAt(e), e.expiresAt + PLAYLIST_STALE_LIMIT_MS);
});

t.test('a segment stays usable on error for STALE_IF_ERROR past its TTL', async (t) => {
  const clock = new ManualClock();
  const e = entryAt(clock, decide('segment', 200, 'max-age=10', 0, { ...policy, staleWhileRevalidateMs: 0 }));
  clock.advance(10_000);
  t.equal(freshnessOf(e, clock.now()), 'expired');
  t.equal(usableOnError(e, clock.now()), true);
  clock.advance(600_000 - 1);
  t.equal(usableOnError(e, clock.now()), true);
  clock.advance(1);
  t.equal(usableOnError(e, clock.now()), false);
});

t.test('must-revalidate, proxy-revalidate and s-maxage: kept, but never served stale (RFC 9111 5.2.2)', async (t) => {
  for (const cc of ['max-age=10, must-revalidate', 'max-age=10, proxy-revalidate', 's-maxage=10']) {
    for (const kind of ['segment', 'playlist'] as const) {
      const d = decide(kind, 200, cc, 0, policy);
      t.same([d.store, d.ttlMs, d.staleIfErrorMs, d.staleWhileRevalidateMs], [true, 10_000, 0, 0], `${kind}: ${cc}`);
      const clock = new ManualClock();
      const e = entryAt(clock, d);
      clock.advance(10_000);
      t.same([freshnessOf(e, clock.now()), usableOnError(e, clock.now())], ['expired', false]);
    }
  }
});

t.test('Age counts whole seconds here plus the upstream age', async (t) => {
  const clock = new ManualClock();
  const stored = clock.now();
  clock.advance(2500);
  t.equal(ageSeconds(stored, 0, clock.now()), 2);
  t.equal(ageSeconds(stored, 7, clock.now()), 9);
  t.equal(ageSeconds(stored + 10, 0, stored), 0, 'never negative');
});
