import t from 'tap';
import { seededRandom } from '../../src/loadtest/think-time';
import { isScError } from '../../src/shared/errors';
import { buildS3PutEvent } from '../../src/shared/s3-event';
import { fleetMessageBody, MAX_CHUNKS, MAX_FLEET_MESSAGE_BYTES, parseFleetMessage } from '../../src/transcoder/fleet-message';

const source = { bucket: 'spherecast-ingress', key: 'recordings/talk-1.mp4', size: 123456, etag: '0123456789abcdef0123456789abcdef' };
const job = 'a'.repeat(32);

const refused = (body: string): string => {
  try {
    parseFleetMessage(body);
  } catch (err) {
    if (isScError(err) && err.code === 'SC_ERR_BAD_MESSAGE') return err.message;
    throw err;
  }
  return 'accepted';
};

t.test('each task round-trips through its body', async (t) => {
  for (const m of [{ task: 'chunk' as const, job, source, index: 3 }, { task: 'audio' as const, job, source }, { task: 'stitch' as const, job, source }]) {
    const parsed = parseFleetMessage(fleetMessageBody(m));
    t.same(parsed, { type: 'spherecast.fleet', version: 1, ...m }, m.task);
  }
  const noEtag = { bucket: 'b', key: 'k.mp4', size: 0 };
  t.same(parseFleetMessage(fleetMessageBody({ task: 'audio', job, source: noEtag }))?.source, noEtag, 'the ETag is optional');
});

t.test('an S3 event, or anything not claiming to be a fleet message, is not one (undefined, read as an S3 event)', async (t) => {
  t.equal(parseFleetMessage(buildS3PutEvent({ bucket: 'b', key: 'k.mp4', size: 1 })), undefined);
  for (const body of ['', 'not json', '[]', 'null', '{"type":"other"}', '{"Records":[]}']) t.equal(parseFleetMessage(body), undefined, JSON.stringify(body));
});

t.test('a message claiming to be a fleet message is refused with the reason unless every field is valid', async (t) => {
  const base = JSON.parse(fleetMessageBody({ task: 'chunk', job, source, index: 0 }));
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['version', { ...base, version: 2 }, /version 2/],
    ['task', { ...base, task: 'delete' }, /task is not/],
    ['job id', { ...base, job: '../../x' }, /job is not 32 hex/],
    ['job id case', { ...base, job: 'A'.repeat(32) }, /job is not 32 hex/],
    ['extra field', { ...base, cmd: 'rm -rf' }, /unknown field "cmd"/],
    ['negative index', { ...base, index: -1 }, /index is not an integer/],
    ['fractional index', { ...base, index: 1.5 }, /index is not an integer/],
    ['index past the cap', { ...base, index: MAX_CHUNKS }, /index is not an integer/],
    ['missing index', { ...base, index: undefined }, /index is not an integer/],
    ['index on a stitch', { ...base, task: 'stitch', index: 0 }, /a stitch message has no index/],
    ['source not an object', { ...base, source: 'x' }, /source is not an object/],
    ['bucket', { ...base, source: { ...source, bucket: 'a/b' } }, /source.bucket/],
    ['key climbing out', { ...base, source: { ...source, key: '../etc/passwd' } }, /source.key: must not contain a "\.\." segment/],
    ['absolute key', { ...base, source: { ...source, key: '/etc/passwd' } }, /source.key: must be relative/],
    ['key too long', { ...base, source: { ...source, key: 'k'.repeat(1025) } }, /source.key: must be at most 1024 bytes/],
    ['size', { ...base, source: { ...source, size: -1 } }, /source.size/],
    ['size not an integer', { ...base, source: { ...source, size: 2 ** 60 } }, /source.size/],
    ['etag', { ...base, source: { ...source, etag: 'zz' } }, /source.etag/],
    ['extra source field', { ...base, source: { ...source, url: 'http://x' } }, /unknown source field "url"/],
  ];
  for (const [what, doc, why] of cases) t.match(refused(JSON.stringify(doc)), why, what);
  const padded = JSON.stringify({ ...base, source: { ...source, key: `${'k/'.repeat(500)}x.mp4` } }).replace('{', `{${' '.repeat(MAX_FLEET_MESSAGE_BYTES)}`);
  t.match(refused(padded), /over the 4096-byte limit/, 'a body over the size limit is refused before its fields are read');
});

t.test('fuzz: 20000 seeded mutations of valid bodies never throw anything but SC_ERR_BAD_MESSAGE, and what is accepted is valid', async (t) => {
  const random = seededRandom(20261126);
  const valid = [
    fleetMessageBody({ task: 'chunk', job, source, index: 7 }),
    fleetMessageBody({ task: 'audio', job, source }),
    fleetMessageBody({ task: 'stitch', job, source }),
  ];
  const pieces = ['"', '{', '}', '[', ']', ',', ':', '0', '-1', '1e9', 'null', 'true', '"..', '/', '\\u0000', 'chunk', 'stitch', '"index"', '"job"', ' '];
  let accepted = 0;
  let refusedCount = 0;
  for (let i = 0; i < 20_000; i++) {
    let body = valid[Math.floor(random() * valid.length)];
    const edits = 1 + Math.floor(random() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * body.length);
      const cut = Math.floor(random() * 4);
      body = body.slice(0, at) + pieces[Math.floor(random() * pieces.length)] + body.slice(at + cut);
    }
    let parsed;
    try {
      parsed = parseFleetMessage(body);
    } catch (err) {
      if (!(isScError(err) && err.code === 'SC_ERR_BAD_MESSAGE')) throw err;
      refusedCount++;
      continue;
    }
    if (!parsed) continue;
    accepted++;
    // Whatever gets through names a plain key and a well-formed job.
    if (!/^[0-9a-f]{32}$/.test(parsed.job) || parsed.source.key.split('/').includes('..') || (parsed.task === 'chunk' && !(parsed.index! >= 0 && parsed.index! < MAX_CHUNKS))) {
      t.fail(`accepted an invalid message: ${body}`);
    }
  }
  t.ok(refusedCount > 1000, `${refusedCount} refused`);
  t.ok(accepted > 100, `${accepted} still valid after mutation, all checked`);
});
