// The real origin's LL-HLS (real ffmpeg publish) behind the real edge with two workers: 500
// concurrent blocking reloads for the next part, then 500 requests for the hinted part, each make
// one request to the origin, and every viewer gets a correct answer.
import t from 'tap';
import { listedUris } from '../fixtures/ll-playlist-rules';
import { publish, startOrigin, waitFor } from '../origin/origin-harness';
import { client, sleep, startEdgeProcess } from './edge-harness';

t.test('500 viewers waiting for the next part of a real LL stream: one origin request each for the playlist and the part', async (t) => {
  const origin = await startOrigin(t, { HLS_FRAGMENT: '1', HLS_PLAYLIST_LENGTH: '8', RECORD: 'off' });
  publish(t, origin.rtmp('ll'), { size: '320x180', gop: 30 });
  const edge = await startEdgeProcess(t, { ORIGINS: origin.url(''), WORKERS: '2' });
  for (let i = 0; i < 200 && !edge.output().includes('"msg":"workers listening"'); i++) await sleep(50);
  const get = client(t);
  const variant = '/hls/ll_1280/index.m3u8';
  await waitFor('an LL playlist through the edge', async () => {
    const r = await get(edge.url + variant);
    return r.status === 200 && (r.body.toString().match(/#EXTINF/g) ?? []).length >= 2 ? true : undefined;
  }, 40_000);
  const upstream = async (): Promise<number> => JSON.parse((await get(`${edge.url}/server-status`)).body.toString()).origins[0].requests;

  // The next part, as the origin itself hints it now.
  const live = await (await fetch(origin.url(variant))).text();
  const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="(\d+)\.(\d+)\.m4s"/.exec(live)!;
  const [msn, part] = [Number(hint[1]), Number(hint[2])];
  const before = await upstream();
  const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => get(`${edge.url}${variant}?_HLS_msn=${msn}&_HLS_part=${part}&v=${i}`)));
  t.equal((await upstream()) - before, 1, 'one origin request for 500 blocking reloads');
  const lists = answers.filter((a) => a.status === 200 && listedUris(a.body.toString()).parts.includes(`${msn}.${part}.m4s`));
  t.equal(lists.length, 500, 'every viewer got a playlist listing the part');
  t.equal(new Set(answers.map((a) => a.body.toString())).size, 1, 'the same playlist for all');
  t.ok(answers.every((a) => a.headers['cache-control'] === 'max-age=6' && a.headers.age !== undefined));

  // The part the answer hints next, asked by 500 viewers before it exists.
  const next = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(answers[0]!.body.toString())![1]!;
  const partPath = `/hls/ll_1280/${next}`;
  const mid = await upstream();
  const parts = await Promise.all(Array.from({ length: 500 }, () => get(edge.url + partPath)));
  t.equal((await upstream()) - mid, 1, 'one origin request for 500 requests of the hinted part');
  const direct = Buffer.from(await (await fetch(origin.url(partPath))).arrayBuffer());
  t.equal(direct.toString('latin1', 4, 8), 'moof');
  t.equal(parts.filter((p) => p.status === 200 && p.body.equals(direct)).length, 500, 'every viewer got the whole part');
});
