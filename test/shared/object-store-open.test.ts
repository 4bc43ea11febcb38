import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/shared/logger';
import { LocalObjectStore } from '../../src/shared/object-store-local';
import { openObjectStore } from '../../src/shared/object-store-open';
import { S3ObjectStore } from '../../src/shared/object-store-s3';

const log = createLogger({ level: 'silent', name: 'test' });

t.test('file:/// URLs and plain paths open a local store', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-open-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = openObjectStore(`file://${dir}/my%20ingress`, { log });
  t.ok(a instanceof LocalObjectStore);
  t.equal(a.location, `file://${dir}/my ingress`);
  t.equal(a.bucket, 'my ingress');
  const b = openObjectStore(join(dir, 'egress'), { log });
  t.ok(b instanceof LocalObjectStore);
  t.equal(b.bucket, 'egress');
});

t.test('s3://bucket/prefix opens an S3 store', async (t) => {
  const s = openObjectStore('s3://spherecast-ingress/recordings/live', { log, region: 'eu-west-1' });
  t.teardown(() => s.close());
  t.ok(s instanceof S3ObjectStore);
  t.equal(s.bucket, 'spherecast-ingress');
  t.equal(s.location, 's3://spherecast-ingress/recordings/live');
  t.equal((s as S3ObjectStore).bucketKey('a.mp4'), 'recordings/live/a.mp4');
  const bare = openObjectStore('s3://egress', { log, s3Endpoint: 'http://127.0.0.1:9' });
  t.teardown(() => bare.close());
  t.equal(bare.location, 's3://egress');
  t.equal((bare as S3ObjectStore).bucketKey('a.mp4'), 'a.mp4');
});

t.test('anything else is SC_ERR_CONFIG naming the URL', async (t) => {
  for (const url of ['', 'ftp://host/x', 's3://', 's3://Bad_Bucket/x', 'http://example.com/bucket', 'file://remote-host/x']) {
    t.throws(() => openObjectStore(url, { log }), { code: 'SC_ERR_CONFIG', message: new RegExp(JSON.stringify(url).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')) }, JSON.stringify(url));
  }
});
