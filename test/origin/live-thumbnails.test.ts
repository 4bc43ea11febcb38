// Live thumbnails through the real origin: a stereo 360 stream whose left eye shows a straight line (made by v360
// from a flat view) gets /hls/<name>.jpg, a rectilinear view in which the line is straight again, renewed while
// the stream goes on, and named with the layout and start time in /stat.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOrigin, waitFor } from './origin-harness';
import { THUMBNAIL_SIZE } from '../../src/shared/layout/thumbnail-filter';
import { FLAT, LINE, fitLine, greyPixels, writeLineFrame } from '../fixtures/line-frames';

const dir = mkdtempSync(join(tmpdir(), 'sc-live-thumb-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const frame = join(dir, 'tb.png');
writeLineFrame(frame, { projection: 'equirect', stereo: 'top-bottom' }, { width: 1024, height: 1024 });

/** Publishes the still frame as a live stream (15 fps, 1 s GOP) with a tone. */
function publishFrame(t: { teardown(fn: () => unknown): void }, url: string): void {
  const proc = spawn('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-re',
    '-loop', '1', '-framerate', '15', '-i', frame,
    '-f', 'lavfi', '-i', 'aevalsrc=sin(400*2*PI*t)',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '15', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-f', 'flv', url,
  ], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  });
}

async function thumbnail(url: string, notEtag?: string): Promise<{ body: Buffer; etag: string; type: string | null }> {
  return waitFor(`thumbnail ${url}`, async () => {
    const r = await fetch(url);
    if (!r.ok) return undefined;
    const etag = r.headers.get('etag') ?? '';
    if (notEtag !== undefined && etag === notEtag) return undefined;
    return { body: Buffer.from(await r.arrayBuffer()), etag, type: r.headers.get('content-type') };
  }, 45_000, 500);
}

for (const format of ['fmp4', 'ts'] as const) {
  t.test(`HLS_FORMAT=${format}: a rectilinear thumbnail of the left eye, renewed while live`, async (t) => {
    const origin = await startOrigin(t, { RECORD: 'off', HLS_FRAGMENT: '1', HLS_FORMAT: format, THUMBNAIL_INTERVAL: '1' });
    publishFrame(t, origin.rtmp('vr?projection=equirect&stereo=tb'));
    const first = await thumbnail(origin.url('/hls/vr.jpg'));
    t.equal(first.type, 'image/jpeg');
    const jpg = join(dir, `${format}.jpg`);
    writeFileSync(jpg, first.body);
    const fit = fitLine(greyPixels(jpg, THUMBNAIL_SIZE), THUMBNAIL_SIZE);
    t.ok(fit.columns > THUMBNAIL_SIZE.width * 0.9, `the line crosses the picture (${fit.columns} columns)`);
    t.ok(fit.maxResidual < 2.5, `straight: at most ${fit.maxResidual.toFixed(2)} px off`);
    t.ok(Math.abs(fit.slope - LINE.slope) < 0.015, `slope ${fit.slope.toFixed(4)} as in the flat view`);
    t.ok(Math.abs(fit.intercept - (LINE.offset * THUMBNAIL_SIZE.width) / FLAT.width) < 4, `intercept ${fit.intercept.toFixed(1)} as in the flat view`);

    const again = await thumbnail(origin.url('/hls/vr.jpg'), first.etag);
    t.not(again.etag, first.etag, 'renewed from a newer segment');

    const stat = (await (await fetch(origin.url('/stat?format=json'))).json()) as { streams: Array<Record<string, unknown>> };
    const vr = stat.streams.find((s) => s.name === 'vr');
    t.match(vr, { thumbnail: /^\/hls\/vr\.jpg\?t=\d+$/, layout: { projection: 'equirect', stereo: 'top-bottom' } });
    t.ok(!Number.isNaN(Date.parse(String(vr?.startedAt))), `startedAt ${String(vr?.startedAt)}`);
  });
}

t.test('thumbnails are made only while wanted: none before a request for /stat or a thumbnail, then at once', async (t) => {
  const origin = await startOrigin(t, { RECORD: 'off', HLS_FRAGMENT: '1', THUMBNAIL_INTERVAL: '1', THUMBNAIL_IDLE: '60' });
  publishFrame(t, origin.rtmp('idle?projection=equirect&stereo=tb'));
  // Segments are listed (read from disk, so no request here counts as wanting thumbnails) over several intervals.
  const playlist = join(origin.mediaDir, 'hls', 'idle_1280', 'index.m3u8');
  await waitFor('3 segments on disk', () => ((existsSync(playlist) ? readFileSync(playlist, 'utf8') : '').match(/#EXTINF/g)?.length ?? 0) >= 3 || undefined, 45_000);
  t.notOk(existsSync(join(origin.mediaDir, 'hls', 'idle.jpg')), 'no thumbnail made while nobody asked for one');
  const stat = await fetch(origin.url('/stat?format=json'));
  t.equal(stat.status, 200);
  const made = await thumbnail(origin.url('/hls/idle.jpg'));
  t.equal(made.type, 'image/jpeg', 'made once /stat was asked for');
});
