import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bareEtag, digestFile, multipartEtagOf } from '../../src/shared/file-digest';

const md5 = (b: Buffer): Buffer => createHash('md5').update(b).digest();

t.test('multipart ETag is the MD5 of the binary part MD5s, then -N', async (t) => {
  const parts = [Buffer.from('hello '), Buffer.from('world')];
  const expected = createHash('md5').update(Buffer.concat(parts.map(md5))).digest('hex');
  t.equal(multipartEtagOf(parts.map(md5)), `${expected}-2`);
});

t.test('digestFile splits like lib-storage: full parts, shorter last, one part up to the part size', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-digest-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const partSize = 10;
  for (const size of [0, 1, 10, 11, 20, 25]) {
    const data = randomBytes(size);
    const file = join(dir, `f${size}`);
    writeFileSync(file, data);
    const d = await digestFile(file, partSize);
    const parts = [];
    for (let off = 0; off < size || parts.length === 0; off += partSize) parts.push(data.subarray(off, off + partSize));
    t.equal(d.size, size, `size ${size}`);
    t.equal(d.md5, md5(data).toString('hex'), `md5 ${size}`);
    t.equal(d.parts, parts.length, `parts ${size}`);
    t.equal(d.multipartEtag, parts.length === 1 ? d.md5 : multipartEtagOf(parts.map(md5)), `etag ${size}`);
  }
});

t.test('bareEtag strips quotes', async (t) => {
  t.equal(bareEtag('"abc"'), 'abc');
  t.equal(bareEtag('abc-2'), 'abc-2');
  t.equal(bareEtag(undefined), undefined);
});
