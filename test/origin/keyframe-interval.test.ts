import t from 'tap';
import { KeyframeInterval } from '../../src/origin/keyframe-interval';
import { publish, startOrigin, waitFor } from './origin-harness';

t.test('the first keyframe interval longer than HLS_FRAGMENT is reported, once', async (t) => {
  const k = new KeyframeInterval(2);
  t.equal(k.keyframe(1000), undefined, 'the first keyframe has no interval yet');
  t.equal(k.keyframe(3000), undefined, 'exactly 2 s');
  t.equal(k.keyframe(5002), undefined, '2.002 s (60 frames at 29.97 fps) is "every 2 s"');
  t.equal(k.keyframe(4000), undefined, 'a timestamp going back says nothing');
  t.equal(k.keyframe(12_333), 8.333, 'OBS default: 250 frames at 30 fps');
  t.equal(k.keyframe(20_666), undefined, 'reported once per stream');
});

t.test('a publisher with 3 s keyframes and HLS_FRAGMENT 1 gets one warning naming stream and interval; a 1 s GOP none', async (t) => {
  const origin = await startOrigin(t, { HLS_FRAGMENT: '1', RECORD: 'off' });
  const slow = publish(t, origin.rtmp('slowgop'), { size: '320x180', gop: 90, seconds: 8 });
  const steady = publish(t, origin.rtmp('steadygop'), { size: '320x180', gop: 30, seconds: 8 });
  await waitFor('both publishers done', () => (slow.proc.exitCode !== null && steady.proc.exitCode !== null ? true : undefined), 30_000);
  await origin.stop();
  const warnings = origin.log().split('\n').filter((l) => l.includes('SC_ERR_KEYFRAME_INTERVAL')).map((l) => JSON.parse(l));
  t.equal(warnings.length, 1, 'one warning in 8 s of 3 s keyframes');
  t.equal(warnings[0].stream, 'slowgop');
  t.ok(Math.abs(warnings[0].keyframeIntervalSeconds - 3) < 0.1, `measured ${warnings[0].keyframeIntervalSeconds} s`);
  t.equal(warnings[0].level, 40, 'logged as a warning');
  t.match(warnings[0].msg, /Keyframe Interval/);
});
