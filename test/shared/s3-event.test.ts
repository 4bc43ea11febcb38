import t from 'tap';
import { isScError } from '../../src/shared/errors';
import { buildS3PutEvent, decodeS3EventKey, encodeS3EventKey, parseS3Event } from '../../src/shared/s3-event';

// Shape of the sample in the S3 user guide ("Event message structure"), with a key S3 encoded.
const AWS_SAMPLE = `{
  "Records": [
    {
      "eventVersion": "2.1",
      "eventSource": "aws:s3",
      "awsRegion": "us-west-2",
      "eventTime": "2024-03-01T12:34:56.789Z",
      "eventName": "ObjectCreated:Put",
      "userIdentity": { "principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE" },
      "requestParameters": { "sourceIPAddress": "172.16.0.1" },
      "responseElements": {
        "x-amz-request-id": "C3D13FE58DE4C810",
        "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"
      },
      "s3": {
        "s3SchemaVersion": "1.0",
        "configurationId": "ingress-mp4",
        "bucket": {
          "name": "spherecast-ingress-123456789012",
          "ownerIdentity": { "principalId": "A3NL1KOZZKExample" },
          "arn": "arn:aws:s3:::spherecast-ingress-123456789012"
        },
        "object": {
          "key": "recordings/my+360+stream-1709296496.mp4",
          "size": 104857600,
          "eTag": "6b5c8e5f3f0c4d1a9e0b2c3d4e5f6a7b-13",
          "versionId": "096fKKXTRTtl3on89fVO.nfljtsv6qko",
          "sequencer": "0055AED6DCD90281E5"
        }
      }
    }
  ]
}`;

t.test('parses a real-looking AWS ObjectCreated:Put notification, decoding + as space', async (t) => {
  const ev = parseS3Event(AWS_SAMPLE);
  t.equal(ev.kind, 'objects');
  if (ev.kind !== 'objects') return;
  t.equal(ev.objects.length, 1);
  t.match(ev.objects[0], {
    bucket: 'spherecast-ingress-123456789012',
    key: 'recordings/my 360 stream-1709296496.mp4',
    size: 104857600,
    eventName: 'ObjectCreated:Put',
    etag: '6b5c8e5f3f0c4d1a9e0b2c3d4e5f6a7b-13',
  });
});

t.test('builds exactly the S3 notification body for ObjectCreated:Put', async (t) => {
  const body = buildS3PutEvent({ bucket: 'ingress', key: 'live/cam one/cam one-1700000000.mp4', size: 1234, etag: '"0123456789abcdef0123456789abcdef"', time: Date.UTC(2024, 0, 2, 3, 4, 5, 678) });
  const doc = JSON.parse(body);
  t.equal(doc.Records.length, 1);
  const r = doc.Records[0];
  t.equal(r.eventVersion, '2.1');
  t.equal(r.eventSource, 'aws:s3');
  t.equal(r.awsRegion, 'us-east-1');
  t.equal(r.eventTime, '2024-01-02T03:04:05.678Z');
  t.equal(r.eventName, 'ObjectCreated:Put');
  t.equal(r.s3.s3SchemaVersion, '1.0');
  t.type(r.s3.configurationId, 'string');
  t.same(r.s3.bucket.name, 'ingress');
  t.equal(r.s3.bucket.arn, 'arn:aws:s3:::ingress');
  t.equal(r.s3.object.key, 'live/cam+one/cam+one-1700000000.mp4');
  t.equal(r.s3.object.size, 1234);
  t.equal(r.s3.object.eTag, '0123456789abcdef0123456789abcdef', 'ETag without quotes, as S3 sends it');
  t.match(r.s3.object.sequencer, /^[0-9A-F]{18}$/);
});

t.test('sequencers of later events sort after earlier ones', async (t) => {
  const seq = (time: number): string => JSON.parse(buildS3PutEvent({ bucket: 'b', key: 'k', size: 1, time })).Records[0].s3.object.sequencer;
  t.ok(seq(1_700_000_000_001) > seq(1_700_000_000_000));
});

t.test('keys are encoded like S3: space as +, literal + as %2B, unicode as UTF-8 escapes, / kept', async (t) => {
  t.equal(encodeS3EventKey('a b+c/ü ñ 雪.mp4'), 'a+b%2Bc/%C3%BC+%C3%B1+%E9%9B%AA.mp4');
  t.equal(encodeS3EventKey('100%/x&y=z?.mp4'), '100%25/x%26y%3Dz%3F.mp4');
  t.equal(decodeS3EventKey('a+b%2Bc/%C3%BC+%C3%B1+%E9%9B%AA.mp4'), 'a b+c/ü ñ 雪.mp4');
});

t.test('build then parse round-trips awkward keys', async (t) => {
  for (const key of ['plain.mp4', 'with space.mp4', 'plus+sign.mp4', 'pct%20literal.mp4', 'deep/ä/ö/ü 😀.mp4', "q'uote(1)*!~.mp4"]) {
    const ev = parseS3Event(buildS3PutEvent({ bucket: 'ingress', key, size: 7, etag: 'e' }));
    t.same(ev, { kind: 'objects', objects: [{ bucket: 'ingress', key, size: 7, eventName: 'ObjectCreated:Put', etag: 'e', eventTime: (ev as any).objects[0].eventTime }] }, key);
  }
});

t.test('the s3:TestEvent S3 sends when notifications are configured', async (t) => {
  const body = JSON.stringify({
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Time: '2024-03-01T12:00:00.000Z',
    Bucket: 'spherecast-ingress',
    RequestId: '5582815E1AEA5ADF',
    HostId: '8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE',
  });
  t.same(parseS3Event(body), { kind: 'test' });
});

t.test('an S3 -> SNS -> SQS body is unwrapped', async (t) => {
  const body = JSON.stringify({ Type: 'Notification', MessageId: 'x', TopicArn: 'arn:aws:sns:us-east-1:1:t', Message: AWS_SAMPLE });
  const ev = parseS3Event(body);
  t.equal(ev.kind, 'objects');
  t.equal((ev as any).objects[0].key, 'recordings/my 360 stream-1709296496.mp4');
});

t.test('records that are not ObjectCreated are skipped, not errors', async (t) => {
  const doc = JSON.parse(AWS_SAMPLE);
  doc.Records[0].eventName = 'ObjectRemoved:Delete';
  delete doc.Records[0].s3.object.size;
  t.same(parseS3Event(JSON.stringify(doc)), { kind: 'objects', objects: [] });
});

t.test('every record of a multi-record body is returned', async (t) => {
  const a = JSON.parse(buildS3PutEvent({ bucket: 'b', key: 'one.mp4', size: 1 })).Records[0];
  const b = JSON.parse(buildS3PutEvent({ bucket: 'b', key: 'two words.mp4', size: 2 })).Records[0];
  const ev = parseS3Event(JSON.stringify({ Records: [a, b] }));
  t.same((ev as any).objects.map((o: any) => o.key), ['one.mp4', 'two words.mp4']);
});

t.test('malformed bodies throw SC_ERR_BAD_MESSAGE with the reason', async (t) => {
  const good = (): any => JSON.parse(AWS_SAMPLE);
  const mutate = (f: (d: any) => void): string => {
    const d = good();
    f(d);
    return JSON.stringify(d);
  };
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', 'hello {', /not JSON/],
    ['empty string', '', /not JSON/],
    ['JSON array', '[1,2]', /not a JSON object/],
    ['JSON null', 'null', /not a JSON object/],
    ['no Records', '{"foo":1}', /no Records/],
    ['empty Records', '{"Records":[]}', /Records is empty/],
    ['record not an object', '{"Records":[42]}', /Records\[0\] is not an object/],
    ['other event source', mutate((d) => (d.Records[0].eventSource = 'aws:sqs')), /eventSource/],
    ['no eventName', mutate((d) => delete d.Records[0].eventName), /eventName is missing/],
    ['no s3', mutate((d) => delete d.Records[0].s3), /s3 is missing/],
    ['no bucket name', mutate((d) => delete d.Records[0].s3.bucket.name), /bucket\.name is missing/],
    ['no key', mutate((d) => delete d.Records[0].s3.object.key), /object\.key is missing/],
    ['size not a number', mutate((d) => (d.Records[0].s3.object.size = '12')), /object\.size/],
    ['negative size', mutate((d) => (d.Records[0].s3.object.size = -1)), /object\.size/],
    ['bad escape in key', mutate((d) => (d.Records[0].s3.object.key = 'a%E0%A4%A.mp4')), /invalid %-escape/],
  ];
  for (const [name, body, reason] of cases) {
    try {
      parseS3Event(body);
      t.fail(`${name}: accepted`);
    } catch (err) {
      t.ok(isScError(err, 'SC_ERR_BAD_MESSAGE'), `${name}: SC_ERR_BAD_MESSAGE`);
      t.match((err as Error).message, reason, `${name}: says why`);
    }
  }
});
