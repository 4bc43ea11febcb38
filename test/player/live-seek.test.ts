import t from 'tap';
import { behindLive, DVR_MIN_SECONDS, dvrWindow } from '../../src/player/live-seek';

t.test('a seek bar only for a window longer than a plain live playlist', async (t) => {
  t.equal(dvrWindow([]), undefined);
  t.equal(dvrWindow([[100, 118]]), undefined, 'a 20 s live playlist: no seek bar');
  t.same(dvrWindow([[100, 100 + DVR_MIN_SECONDS]]), { start: 100, end: 100 + DVR_MIN_SECONDS });
  t.same(dvrWindow([[10, 30], [31, 70]]), { start: 10, end: 70 }, 'first start to last end');
  t.equal(dvrWindow([[0, Infinity]]), undefined);
});

t.test('behind live: more than ten seconds from the window end', async (t) => {
  const w = { start: 0, end: 60 };
  t.equal(behindLive(55, w), false);
  t.equal(behindLive(45, w), true);
  t.equal(behindLive(0, undefined), false, 'no DVR window: always live');
});
