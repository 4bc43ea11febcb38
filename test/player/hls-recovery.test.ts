import t from 'tap';
import { decideRecovery, MAX_MEDIA_RECOVERIES, MAX_NETWORK_RETRIES, retryDelayMs, type RecoveryState } from '../../src/player/hls-recovery';

const fresh: RecoveryState = { live: false, hasPlayed: false, networkRetries: 0, mediaRecoveries: 0 };
const manifest404 = { type: 'networkError', details: 'manifestLoadError', fatal: true, httpStatus: 404 };
const manifestDown = { type: 'networkError', details: 'manifestLoadError', fatal: true, httpStatus: 0 };
const fragError = { type: 'networkError', details: 'fragLoadError', fatal: true, httpStatus: 503 };
const mediaError = { type: 'mediaError', details: 'bufferAppendError', fatal: true };

t.test('non-fatal errors are left to hls.js', async (t) => {
  t.same(decideRecovery({ ...fragError, fatal: false }, fresh), { kind: 'ignore' });
});

t.test('backoff doubles from 1 s and is capped', async (t) => {
  t.same([0, 1, 2, 3, 4, 5].map((n) => retryDelayMs(n)), [1000, 2000, 4000, 8000, 8000, 8000]);
  t.equal(retryDelayMs(10, 4000), 4000);
  t.equal(retryDelayMs(1000), 8000, 'no overflow for large attempt counts');
});

t.test('a 404 playlist is "not found" for an ordinary link', async (t) => {
  const a = decideRecovery(manifest404, fresh);
  t.equal(a.kind, 'fail');
  if (a.kind === 'fail') {
    t.equal(a.message.title, 'Stream not found');
    t.match(a.message.detail, /HTTP 404.*live=1/);
  }
});

t.test('a 404 playlist of a live link means "waiting for the stream to start", retried for ever', async (t) => {
  const a = decideRecovery(manifest404, { ...fresh, live: true, networkRetries: 50 });
  t.equal(a.kind, 'reload');
  if (a.kind === 'reload') {
    t.equal(a.message.kind, 'waiting');
    t.match(a.message.title, /waiting for the stream to start/i);
    t.equal(a.delayMs, 4000, 'live polling is capped at 4 s');
  }
});

t.test('an unreachable server is retried with backoff, then given up for VOD', async (t) => {
  const first = decideRecovery(manifestDown, fresh);
  t.match(first, { kind: 'reload', delayMs: 1000, message: { kind: 'retrying' } });
  const third = decideRecovery(manifestDown, { ...fresh, networkRetries: 2 });
  t.match(third, { kind: 'reload', delayMs: 4000 });
  const last = decideRecovery(manifestDown, { ...fresh, networkRetries: MAX_NETWORK_RETRIES });
  t.match(last, { kind: 'fail', message: { title: 'Network error' } });
  t.match(last.kind === 'fail' ? last.message.detail : '', /could not be reached/);
});

t.test('other 4xx on the playlist fail at once; 5xx are retried', async (t) => {
  t.match(decideRecovery({ ...manifest404, httpStatus: 403 }, fresh), { kind: 'fail', message: { detail: /HTTP 403/ } });
  t.match(decideRecovery({ ...manifest404, httpStatus: 502 }, fresh), { kind: 'reload' });
});

t.test('a fragment that fails to load restarts loading (VOD) or reconnects (live)', async (t) => {
  t.match(decideRecovery(fragError, { ...fresh, hasPlayed: true }), { kind: 'restart-load', delayMs: 1000 });
  t.match(decideRecovery(fragError, { ...fresh, hasPlayed: true, live: true }), {
    kind: 'reload',
    message: { title: /interrupted/ },
  });
  t.match(decideRecovery(fragError, { ...fresh, hasPlayed: true, live: true, networkRetries: 100 }), { kind: 'reload' }, 'live never gives up');
});

t.test('media errors: recoverMediaError, then with swapAudioCodec, then give up', async (t) => {
  t.same(decideRecovery(mediaError, fresh), { kind: 'recover-media', swapAudioCodec: false });
  t.same(decideRecovery(mediaError, { ...fresh, mediaRecoveries: 1 }), { kind: 'recover-media', swapAudioCodec: true });
  t.match(decideRecovery(mediaError, { ...fresh, mediaRecoveries: MAX_MEDIA_RECOVERIES }), { kind: 'fail', message: { title: /cannot be decoded/ } });
  t.match(decideRecovery({ type: 'muxError', details: 'fragParsingError', fatal: true }, fresh), { kind: 'recover-media' });
});

t.test('something that is not a playlist, and unknown fatal errors, fail with a message', async (t) => {
  t.match(decideRecovery({ type: 'networkError', details: 'manifestParsingError', fatal: true, httpStatus: 200 }, fresh), {
    kind: 'fail',
    message: { title: 'Not an HLS playlist' },
  });
  t.match(decideRecovery({ type: 'otherError', details: 'internalException', fatal: true }, fresh), {
    kind: 'fail',
    message: { detail: /otherError: internalException/ },
  });
});
