// What the transcoder checks about a source before ffmpeg touches it: its container (from real
// files ffmpeg writes, hostile look-alikes and seeded fuzz), its size and its time limit; and
// how keys become asset names.
import t from 'tap';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../src/loadtest/think-time';
import { isScError } from '../../src/shared/errors';
import { jobTimeLimitSeconds } from '../../src/transcoder/job-time-limit';
import { assetName } from '../../src/transcoder/source-key';
import { detectSourceContainer, sniffContainer, SNIFF_BYTES } from '../../src/transcoder/source-container';
import { DEFAULT_MAX_PIXEL_RATE, sourceLimitViolation } from '../../src/transcoder/source-limits';
import { tempDir } from './harness';

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((res, rej) => execFile('ffmpeg', ['-v', 'error', '-y', ...args], (err, _o, stderr) => (err ? rej(new Error(stderr)) : res())));
}

t.test('real files of every allowed container are recognised; avi, playlists, lists and text are not', async (t) => {
  const dir = tempDir(t, 'sniff');
  const input = ['-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=5', '-f', 'lavfi', '-i', 'sine', '-t', '1'];
  const cases: Array<[string, string[], string | undefined]> = [
    ['a.mp4', ['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac'], 'mov'],
    ['a.mov', ['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac'], 'mov'],
    ['frag.mp4', ['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-movflags', 'frag_keyframe+empty_moov'], 'mov'],
    ['a.3gp', ['-c:v', 'mpeg4', '-ac', '1', '-ar', '8000', '-c:a', 'aac', '-s', '176x144'], 'mov'],
    ['a.mkv', ['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac'], 'matroska'],
    ['a.webm', ['-c:v', 'libvpx', '-deadline', 'realtime', '-c:a', 'libopus'], 'matroska'],
    ['a.ts', ['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac'], 'mpegts'],
    ['a.m2ts', ['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-mpegts_m2ts_mode', '1', '-f', 'mpegts'], 'mpegts'],
    ['a.flv', ['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac'], 'flv'],
    ['a.avi', ['-c:v', 'mpeg4', '-c:a', 'mp3'], undefined],
    ['a.mpg', ['-c:v', 'mpeg2video', '-c:a', 'mp2'], undefined],
  ];
  for (const [name, args, demuxer] of cases) {
    const file = join(dir, name);
    await ffmpeg([...input, ...args, file]);
    t.equal(sniffContainer(readFileSync(file).subarray(0, SNIFF_BYTES))?.demuxer, demuxer, `${name}: ${demuxer ?? 'refused'}`);
  }
  for (const [text, why] of [
    ['#EXTM3U\n#EXTINF:10,\n/etc/private.mp4\n', /an HLS playlist/],
    ['\ufeff#EXTM3U\n', /./],
    ['ffconcat version 1.0\nfile /x.mp4\n', /a concat list/],
    ['<?xml version="1.0"?><MPD>', /XML/],
    ['hello\n', /a text file/],
  ] as const) {
    const file = join(dir, 'x.mp4');
    writeFileSync(file, text);
    t.equal(sniffContainer(Buffer.from(text)), undefined, `${JSON.stringify(text.slice(0, 12))} refused`);
    const err = await detectSourceContainer(file, 'x.mp4').catch((e) => e);
    t.ok(isScError(err, 'SC_ERR_MEDIA_REFUSED'), 'as SC_ERR_MEDIA_REFUSED');
    t.match(err.message, why);
  }
});

t.test('a FIFO or a folder is refused without blocking on it; a zero-byte file is unreadable media', async (t) => {
  const dir = tempDir(t, 'special');
  const fifo = join(dir, 'pipe.mp4');
  execFileSync('mkfifo', [fifo]);
  const err = await detectSourceContainer(fifo, 'pipe.mp4').catch((e) => e);
  t.ok(isScError(err, 'SC_ERR_MEDIA_REFUSED'));
  t.match(err.message, /not a regular file/);
  t.ok(isScError(await detectSourceContainer(dir, 'dir').catch((e) => e), 'SC_ERR_MEDIA_REFUSED'));
  writeFileSync(join(dir, 'empty.mp4'), '');
  const empty = await detectSourceContainer(join(dir, 'empty.mp4'), 'empty.mp4').catch((e) => e);
  t.ok(isScError(empty, 'SC_ERR_MEDIA'));
  t.match(empty.message, /zero-byte/);
});

t.test('fuzz: 20000 seeded random and mutated heads never throw and only ever name an allowed demuxer', async (t) => {
  const random = seededRandom(12);
  const allowed = new Set(['mov', 'matroska', 'mpegts', 'flv']);
  const seeds = [
    Buffer.from('\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41'),
    Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01]),
    Buffer.from('FLV\x01\x05\0\0\0\x09\0\0\0\0'),
    Buffer.concat([Buffer.from([0x47]), Buffer.alloc(187), Buffer.from([0x47]), Buffer.alloc(187), Buffer.from([0x47]), Buffer.alloc(10)]),
    Buffer.from('#EXTM3U\n#EXT-X-TARGETDURATION:10\n'),
  ];
  let recognised = 0;
  for (let i = 0; i < 20_000; i++) {
    let head: Buffer;
    if (i % 2 === 0) {
      head = Buffer.from(Array.from({ length: Math.floor(random() * 600) }, () => Math.floor(random() * 256)));
    } else {
      head = Buffer.from(seeds[i % seeds.length]);
      for (let m = Math.floor(random() * 4); m > 0 && head.length > 0; m--) head[Math.floor(random() * head.length)] = Math.floor(random() * 256);
      head = head.subarray(0, Math.floor(random() * (head.length + 1)));
    }
    const c = sniffContainer(head);
    if (c) {
      recognised++;
      if (!allowed.has(c.demuxer)) t.fail(`unexpected demuxer ${c.demuxer}`);
    }
  }
  t.ok(recognised > 0 && recognised < 20_000, `${recognised} of 20000 recognised`);
});

t.test('size limits: width, height and pixel rate; 8K60 passes, 16000x16000 and 8K120 do not', async (t) => {
  const limits = { maxWidth: 8192, maxHeight: 8192, maxPixelRate: DEFAULT_MAX_PIXEL_RATE };
  t.equal(sourceLimitViolation({ width: 7680, height: 4320, fps: 60 }, limits), undefined);
  t.equal(sourceLimitViolation({ width: 5760, height: 2880, fps: 30 }, limits), undefined, '6K 360');
  t.match(sourceLimitViolation({ width: 16000, height: 16000, fps: 1 }, limits), /width 16000 is over MAX_SOURCE_WIDTH 8192/);
  t.match(sourceLimitViolation({ width: 64, height: 8200, fps: 1 }, limits), /height 8200 is over MAX_SOURCE_HEIGHT/);
  t.match(sourceLimitViolation({ width: 7680, height: 4320, fps: 120 }, limits), /over MAX_SOURCE_PIXEL_RATE/);
  t.match(sourceLimitViolation({ width: 1920, height: 1080, fps: 30000 }, limits), /over MAX_SOURCE_PIXEL_RATE/, 'a silly frame rate');
});

t.test('job time limit: max(floor, factor x duration); the floor when the duration is unknown', async (t) => {
  const limit = { minSeconds: 600, perSourceSecond: 10 };
  t.equal(jobTimeLimitSeconds(3600, limit), 36_000);
  t.equal(jobTimeLimitSeconds(12, limit), 600);
  t.equal(jobTimeLimitSeconds(undefined, limit), 600);
  t.equal(jobTimeLimitSeconds(Number.NaN, limit), 600);
  t.equal(jobTimeLimitSeconds(100, { minSeconds: 1, perSourceSecond: 0 }), 1);
});

t.test('asset names: the origin\'s plain keys keep their names; any other key gets slug~hash; distinct keys never share one', async (t) => {
  t.equal(assetName('test-1508866984.mp4'), 'test-1508866984');
  t.equal(assetName('good.mp4'), 'good');
  const sub = assetName('sub/good.mp4');
  t.match(sub, /^sub_good\.mp4~[0-9a-f]{16}$/);
  t.not(sub, assetName('good.mp4'));
  t.equal(assetName('sub/good.mp4'), sub, 'the same key always gives the same name');
  t.match(assetName('recordings/talk 1.mp4'), /^recordings_talk-1\.mp4~[0-9a-f]{16}$/);
  t.not(assetName('good.mov'), assetName('good.mp4'), 'another extension is another asset');
  t.not(assetName('a b.mp4'), assetName('a-b.mp4'), 'keys with one slug differ by the hash');
  t.not(assetName('a b.mp4'), assetName('a_b.mp4'));
  t.match(assetName('../../etc/x.mp4'), /^\.\._\.\._etc_x\.mp4~/, 'no path traversal: one folder name');
  t.ok(assetName(`${'x/'.repeat(400)}y.mp4`).length <= 80 + 17, 'long keys are cut');
  const random = seededRandom(7);
  const alphabet = 'ab/ ._-~%+é';
  const seen = new Map<string, string>();
  for (let i = 0; i < 5000; i++) {
    const key = `${Array.from({ length: 1 + Math.floor(random() * 8) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('')}.mp4`;
    if (key.startsWith('/') || key.includes('//')) continue;
    let name: string;
    try {
      name = assetName(key);
    } catch {
      continue;
    }
    if (name.includes('/') || name === '.' || name === '..') t.fail(`${JSON.stringify(key)} -> ${name} is not one folder name`);
    const other = seen.get(name);
    if (other !== undefined && other !== key) t.fail(`${JSON.stringify(key)} and ${JSON.stringify(other)} share ${name}`);
    seen.set(name, key);
  }
  t.ok(seen.size > 1000, `${seen.size} distinct keys, distinct names`);
});
