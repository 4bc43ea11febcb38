// The instant VOD gives way to the ABR ladder: the real origin records and uploads the publish,
// the real transcoder makes its ladder, and the listing then drops the instant VOD.
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startWorkerProcess } from '../transcoder/harness';
import { listing, publishFor } from './instant-vod-harness';
import { startOrigin, waitFor } from './origin-harness';

t.test('the ladder the transcoder makes of the recording replaces the instant VOD in the listing', async (t) => {
  // The whole chain: the origin records and uploads to its local ingress and queue, the real
  // transcoder publishes the ladder into the egress folder the origin serves at /vod/.
  const origin = await startOrigin(t, { HLS_FRAGMENT: '1', RECORD: 'all', HLS_SEGMENT_MAX_AGE: '60' });
  await publishFor(t, origin, 'talk', 4);
  const [vod] = await waitFor('the instant VOD listed', async () => {
    const l = await listing(origin.url(''));
    return l.length ? l : undefined;
  });
  t.equal(vod!.name, 'talk');
  const worker = startWorkerProcess(t, {
    MEDIA_DIR: origin.mediaDir,
    LADDER: JSON.stringify([{ width: 320, height: 180, bitrate: '200k' }, { audio: '64k' }]),
    SEGMENT_SECONDS: '2',
    RECEIVE_WAIT: '1',
  });
  const done = await worker.waitFor((l) => l.msg === 'job done', 'the ladder of the recording', 120_000);
  const asset = String((done as { master?: unknown }).master ?? '').split('/')[0]!;
  t.match(asset, /^talk-\d+$/, `ladder ${asset}`);
  t.ok(existsSync(join(origin.mediaDir, 'egress', asset, 'MANIFEST.M3U8')));
  t.same(await listing(origin.url('')), [], 'replaced by its ladder: no longer listed');
  t.equal((await fetch(origin.url(vod!.master))).status, 200, 'still served to viewers already in it (its duration plus HLS_SEGMENT_MAX_AGE)');
  const ladders = await (await fetch(origin.url('/vod/index.json'))).json();
  t.same(ladders.assets.map((a: { name: string }) => a.name), [asset], 'the index now lists the ladder');
});
