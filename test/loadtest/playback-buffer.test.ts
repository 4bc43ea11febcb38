import t from 'tap';
import { PlaybackBuffer } from '../../src/loadtest/playback-buffer';

const T0 = 1_700_000_000_000;

t.test('segments that arrive while media is still buffered cause no stall', async (t) => {
  const b = new PlaybackBuffer();
  t.equal(b.append(2, T0), undefined, 'playback starts with the first segment');
  t.equal(b.append(2, T0 + 100), undefined);
  t.equal(b.ahead(T0 + 1000), 3);
  for (let i = 1; i <= 10; i++) t.equal(b.append(2, T0 + 100 + i * 2000), undefined, `segment ${i} on time`);
  t.equal(b.stalls, 0);
  t.equal(b.finish(T0 + 20_100), undefined, 'still buffered at the end');
});

t.test('a segment arriving after the buffer ran dry is a stall of the difference', async (t) => {
  const b = new PlaybackBuffer();
  b.append(2, T0);
  // 2 s of media, next segment only at 3.5 s: 1.5 s with nothing to play.
  const stall = b.append(2, T0 + 3500);
  t.same(stall, { at: T0 + 3500, ms: 1500 });
  t.equal(b.position(T0 + 3500), 2, 'playback resumes where it stopped');
  t.equal(b.append(2, T0 + 5000), undefined, 'then on time again (1.5 s into the new segment)');
  t.equal(b.stalls, 1);
  t.equal(b.stalledMs, 1500);
});

t.test('an empty buffer when the run ends is a stall in progress; nothing played is none', async (t) => {
  const b = new PlaybackBuffer();
  t.equal(b.finish(T0), undefined, 'never started');
  b.append(1, T0);
  t.same(b.finish(T0 + 4000), { at: T0 + 4000, ms: 3000 });
  t.equal(b.stalls, 1);
});
