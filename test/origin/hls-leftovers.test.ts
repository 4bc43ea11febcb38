import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMediaPlaylist } from '../../src/shared/hls-playlist';
import { ffmpegChildren, publish, startOrigin, waitFor } from './origin-harness';

t.test('after SIGKILL of the origin and its packager, the next start finishes the live playlist with ENDLIST and keeps its segments', async (t) => {
  const mediaDir = mkdtempSync(join(tmpdir(), 'sc-hls-crash-'));
  t.teardown(() => rmSync(mediaDir, { recursive: true, force: true }));
  const env = { HLS_FORMAT: 'ts', MEDIA_DIR: mediaDir, RECORD: 'off', HLS_FRAGMENT: '1', HLS_PLAYLIST_LENGTH: '3' };
  const first = await startOrigin(t, env);
  const pub = publish(t, first.rtmp('crash'), { size: '320x180' });
  await waitFor('a sliding live window', async () => {
    const p = parseMediaPlaylist(await (await fetch(first.url('/hls/crash_1280/index.m3u8'))).text());
    return p.mediaSequence >= 2 ? p : undefined;
  }, 30_000);
  // The packager would write ENDLIST itself if it outlived the origin: it dies too, as in a power loss or OOM kill.
  const packagers = ffmpegChildren(first.proc.pid!);
  t.ok(packagers.length >= 1, 'the packager ffmpeg runs');
  for (const pid of packagers) process.kill(pid, 'SIGKILL');
  first.proc.kill('SIGKILL');
  await first.stop();
  pub.proc.kill('SIGKILL');
  const dir = join(mediaDir, 'hls', 'crash_1280');
  const left = parseMediaPlaylist(readFileSync(join(dir, 'index.m3u8'), 'utf8'));
  t.notOk(left.endList, 'the crash left a live playlist (no ENDLIST)');

  const second = await startOrigin(t, env);
  const res = await fetch(second.url('/hls/crash_1280/index.m3u8'));
  t.equal(res.status, 200);
  const finished = parseMediaPlaylist(await res.text());
  t.ok(finished.endList, 'served with #EXT-X-ENDLIST after the restart');
  t.same(finished.segments, left.segments, 'the same segments, for players finishing the stream');
  for (const s of finished.segments) t.equal((await fetch(second.url(`/hls/crash_1280/${s.uri}`), { method: 'HEAD' })).status, 200, `${s.uri} still served`);
  t.match(second.log(), /finished with #EXT-X-ENDLIST/);

  // Segments that had already left the playlist when the origin died are deleted after their retention.
  const listed = new Set(finished.segments.map((s) => s.uri));
  await waitFor('only the listed segments left on disk', () => {
    const ts = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    return ts.every((f) => listed.has(f)) ? true : undefined;
  }, 30_000);
  t.ok(finished.segments.every((s) => existsSync(join(dir, s.uri))), 'the listed ones stay');

  // A new publish of the name continues the numbering and goes live again.
  publish(t, second.rtmp('crash'), { size: '320x180', seconds: 30 });
  const live = await waitFor('the republished stream', async () => {
    const p = parseMediaPlaylist(await (await fetch(second.url('/hls/crash_1280/index.m3u8'))).text());
    return !p.endList ? p : undefined;
  }, 30_000);
  t.ok(live.mediaSequence >= left.mediaSequence + left.segments.length, `numbering continues at ${live.mediaSequence}`);
});
