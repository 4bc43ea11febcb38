import t from 'tap';
import { bufferAhead, formatBitrate, formatClock, formatSeconds, formatStats, formatViewport } from '../../src/player/stats-format';

t.test('bitrates read as kbit/s or Mbit/s', async (t) => {
  t.equal(formatBitrate(840_400), '840 kbit/s');
  t.equal(formatBitrate(2_500_000), '2.5 Mbit/s');
  t.equal(formatBitrate(12_000_000), '12 Mbit/s');
  t.equal(formatBitrate(undefined), '–');
  t.equal(formatBitrate(Number.NaN), '–');
});

t.test('seconds and clock times', async (t) => {
  t.equal(formatSeconds(3.14159), '3.1 s');
  t.equal(formatSeconds(undefined), '–');
  t.equal(formatSeconds(-1), '–');
  t.equal(formatClock(65), '1:05');
  t.equal(formatClock(3723), '1:02:03');
  t.equal(formatClock(Number.NaN), '0:00');
});

t.test('live streams show latency; VOD does not', async (t) => {
  const base = { engine: 'hls.js', width: 640, height: 320, bufferSeconds: 4.25, levelBitrate: 840_400 };
  const live = Object.fromEntries(formatStats({ ...base, live: true, latencySeconds: 6.5 }));
  t.match(live, { Resolution: '640×320', Bitrate: '840 kbit/s', Buffer: '4.3 s', Latency: '6.5 s', Engine: 'hls.js' });
  const vod = Object.fromEntries(formatStats({ ...base, live: false }));
  t.notOk('Latency' in vod);
  t.equal(Object.fromEntries(formatStats({ ...base, width: 0, height: 0, live: false })).Resolution, '–');
});

t.test('buffer ahead is measured in the range holding the play position', async (t) => {
  const ranges: Array<[number, number]> = [[0, 4], [10, 20]];
  t.equal(bufferAhead(ranges, 1), 3);
  t.equal(bufferAhead(ranges, 12), 8);
  t.equal(bufferAhead(ranges, 6), 0, 'in a gap nothing is buffered');
  t.equal(bufferAhead([[0.05, 2]], 0), 2, 'tolerates a play position just before the first range');
});

t.test('viewport renditions: the yaw on screen, and the one on its way while the view turns', async (t) => {
  t.equal(formatViewport({ activeYaw: 90, chosenYaw: 90, count: 4 }), 'yaw 90° (of 4)');
  t.equal(formatViewport({ activeYaw: 90, chosenYaw: 180, count: 4 }), 'yaw 90° → 180° (of 4)');
  t.equal(formatViewport({ activeYaw: 51.43, chosenYaw: 51.43, count: 7 }), 'yaw 51.4° (of 7)');
  t.equal(formatViewport({ count: 8 }), 'yaw – (of 8)', 'before the first level is on screen');
  const rows = Object.fromEntries(formatStats({ engine: 'hls.js', width: 640, height: 320, bufferSeconds: 1, live: false, viewport: { activeYaw: 0, chosenYaw: 0, count: 8 } }));
  t.equal(rows.Viewport, 'yaw 0° (of 8)');
  t.notOk('Viewport' in Object.fromEntries(formatStats({ engine: 'hls.js', width: 640, height: 320, bufferSeconds: 1, live: false })), 'no row without viewport renditions');
});
