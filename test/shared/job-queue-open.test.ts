import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/shared/clock';
import { openJobQueue } from '../../src/shared/job-queue-open';
import { LocalJobQueue } from '../../src/shared/job-queue-local';
import { SqsJobQueue } from '../../src/shared/job-queue-sqs';
import { createLogger } from '../../src/shared/logger';

const log = createLogger({ level: 'silent', name: 'test' });

t.test('file:/// URLs and plain paths open a local queue that honours clock and maxReceiveCount', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-qopen-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const clock = new ManualClock(Date.now());
  const q = openJobQueue(`file://${dir}/queue`, { log, clock, maxReceiveCount: 1 });
  t.teardown(() => q.close());
  t.ok(q instanceof LocalJobQueue);
  t.equal(q.location, `file://${dir}/queue`);
  await q.send('x');
  await q.receive({ visibilitySeconds: 10 });
  clock.advance(11_000);
  t.same(await q.receive(), [], 'dead-lettered after one receive: options reached the queue');
  const p = openJobQueue(join(dir, 'plain'), { log });
  t.teardown(() => p.close());
  t.ok(p instanceof LocalJobQueue);
});

t.test('SQS queue URLs and other http(s) URLs open an SQS queue', async (t) => {
  const aws = openJobQueue('https://sqs.eu-west-1.amazonaws.com/123456789012/spherecast-jobs', { log });
  t.teardown(() => aws.close());
  t.ok(aws instanceof SqsJobQueue);
  t.equal(aws.location, 'https://sqs.eu-west-1.amazonaws.com/123456789012/spherecast-jobs');
  const local = openJobQueue('http://127.0.0.1:9324/000000000000/jobs', { log });
  t.teardown(() => local.close());
  t.ok(local instanceof SqsJobQueue);
});

t.test('anything else is SC_ERR_CONFIG naming the URL', async (t) => {
  for (const url of ['', 'amqp://broker/jobs', 'https://sqs.us-east-1.amazonaws.com', 'https://user:pw@sqs.us-east-1.amazonaws.com/1/q', 'file://remote/x']) {
    t.throws(() => openJobQueue(url, { log }), { code: 'SC_ERR_CONFIG' }, JSON.stringify(url));
  }
});
