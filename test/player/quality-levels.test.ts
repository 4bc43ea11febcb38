import t from 'tap';
import { levelLabel, qualityButtonLabel, qualityChoices } from '../../src/player/quality-levels';

const levels = [
  { width: 320, height: 160, bitrate: 345_400 },
  { width: 1280, height: 720, bitrate: 2_500_000 },
  { width: 640, height: 360, bitrate: 900_000 },
];

t.test('labels show height and bitrate', async (t) => {
  t.equal(levelLabel(levels[1]), '720p · 2.5 Mbit/s');
  t.equal(levelLabel({ bitrate: 345_400 }), '345 kbit/s');
  t.equal(levelLabel({}), 'Unknown');
});

t.test('Auto first, then best to worst, keeping hls.js indices', async (t) => {
  t.same(
    qualityChoices(levels).map((c) => [c.index, c.label.split(' ')[0]]),
    [[-1, 'Auto'], [1, '720p'], [2, '360p'], [0, '160p']],
  );
});

t.test('the button says Auto with the level playing, or the chosen level', async (t) => {
  t.equal(qualityButtonLabel(levels, true, 2), 'Auto (360p)');
  t.equal(qualityButtonLabel(levels, true, -1), 'Auto');
  t.equal(qualityButtonLabel(levels, false, 0), '160p · 345 kbit/s');
});
