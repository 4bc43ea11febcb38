import t from 'tap';
import { renderStatPage } from '../../src/origin/stat-page';

t.test('the stat page shows each stream and escapes what publishers control', async (t) => {
  const html = renderStatPage([{ name: 'cam<1>', master: '/hls/cam.m3u8', publisher: '10.0.0.1:5000', startedAt: '1970-01-01T00:00:00.000Z', uptimeSeconds: 12, bitrateKbps: 660, clients: 3, video: { codec: 'avc1.64001f', width: 1280, height: 720, frameRate: 30 }, audio: { codec: 'mp4a.40.2', sampleRate: 48000, channels: 2 }, unsupported: [], layout: { projection: 'equirect', stereo: 'top-bottom' } }], new Date(0));
  t.match(html, '1280x720 @ 30.00 fps');
  t.match(html, /<th>Layout<\/th>/);
  t.match(html, /equirect/);
  t.match(html, 'cam&#60;1&#62;');
  t.notMatch(html, '<1>');
  t.match(renderStatPage([], new Date(0)), 'No live streams');
});

t.test('the stat page shows a stream\'s live ladder: state, lag, renditions, why it stopped', async (t) => {
  const base = { name: 'cam', master: '/hls/cam.m3u8', publisher: '10.0.0.1:5000', startedAt: '1970-01-01T00:00:00.000Z', uptimeSeconds: 12, bitrateKbps: 660, clients: 0, unsupported: [] };
  const running = renderStatPage([{ ...base, ladder: { state: 'running', lagSeconds: 0.25, renditions: [{ name: '320p', width: 640, height: 320, bitrate: 500_000, listed: true }, { name: '160p', width: 320, height: 160, bitrate: 200_000, listed: false }] } }], new Date(0));
  t.match(running, /<th>Ladder<\/th>/);
  t.match(running, 'running (0.3 s behind): 640x320, 320x160 (not listed)');
  const failed = renderStatPage([{ ...base, ladder: { state: 'failed', lagSeconds: 0, reason: 'ffmpeg killed by <SIGKILL>', renditions: [] } }], new Date(0));
  t.match(failed, 'failed &mdash; ffmpeg killed by &#60;SIGKILL&#62;');
});
