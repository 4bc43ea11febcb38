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

t.test('Expires minus Date is the lifetime without max-age; a past, invalid or repeated Expires is stale', async (t) => {
  const date = 'Thu, 26 Nov 2026 12:00:00 GMT';
  const at = (headers: Record<string, string | string[]>, status = 200, age = 0) => decideStorage('segment', { status, headers: { date, ...headers }, upstreamAgeSeconds: age, receivedAt: 0 }, policy);
  t.same([at({ expires: 'Thu, 26 Nov 2026 12:00:30 GMT' }).ttlMs, at({ expires: 'Thu, 26 Nov 2026 12:00:30 GMT' }).reason], [30_000, 'expires']);
  t.equal(at({ expires: 'Thu, 26 Nov 2026 12:00:30 GMT' }, 200, 10).ttlMs, 20_000, 'minus the Age spent upstream');
  for (const expires of ['Thu, 26 Nov 2026 11:59:00 GMT', '0', 'soon', ['Thu, 26 Nov 2026 12:00:30 GMT', 'Thu, 26 Nov 2026 12:00:30 GMT']]) {
    t.equal(at({ expires }).store, false, JSON.stringify(expires));
  }
  t.equal(at({ expires: '0', 'cache-control': 'max-age=60' }).ttlMs, 60_000, 'max-age overrides Expires');
  t.equal(at({ expires: '0', 'cache-control': 's-maxage=60' }).ttlMs, 60_000, 's-maxage overrides Expires');
  t.equal(at({ expires: '0', 'cache-control': 'max-age=-1' }).store, false, 'an invalid max-age still overrides Expires, and is stale');
  const noDate = decideStorage('segment', { status: 200, headers: { expires: new Date(70_000).toUTCString() }, upstreamAgeSeconds: 0, receivedAt: 10_000 }, policy);
  t.equal(noDate.ttlMs, 60_000, 'without a Date, the time it was received');
});

t.test('invalid max-age is stale; Vary: * is never stored; 404 keeps the shorter of its max-age and ERROR_TTL', async (t) => {
  for (const cc of ['max-age=-1', 'max-age=x', 'max-age=10, max-age=11', 's-maxage=1.5']) t.equal(decide('segment', 200, cc, 0).store, false, cc);
  const vary = (v: string | string[]) => decideStorage('segment', { status: 200, headers: { vary: v, 'cache-control': 'max-age=60' }, upstreamAgeSeconds: 0, receivedAt: 0 }, policy);
  t.same([vary('*').store, vary('*').reason], [false, 'vary *']);
  t.equal(vary(['Origin', ' * ']).store, false);
  t.equal(vary('Accept-Encoding').store, true);
  t.equal(decide('segment', 404, 'max-age=0', 0).store, false);
  t.equal(decide('segment', 404, 'max-age=1', 0).ttlMs, 1000);
  t.equal(decide('segment', 404, 'max-age=100', 0).ttlMs, 2000);
  t.equal(decide('segment', 410, 'max-age=x', 0).store, false);
});
