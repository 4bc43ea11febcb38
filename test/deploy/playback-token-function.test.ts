// The CloudFront Function of deploy/spherecast.yaml (viewer request) that checks and strips playback
// tokens: its code, taken from the template as CloudFormation would deploy it, runs in a vm with
// node:crypto as its `crypto` module, against the vectors the TypeScript implementation passes.
import t from 'tap';
import * as nodeCrypto from 'node:crypto';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { evaluator, FAKE, resolvedProperties, STACK_CHOICES } from './fixtures/cfn-evaluate';
import { DEPLOY_DIR, loadTemplate } from './fixtures/cfn-template';
import { cloudFrontOrigin } from './fixtures/request-routing';
import { GATE_VECTORS, NOW, PREVIOUS, SECRET, TOKENS } from '../shared/playback/playback-vectors';
import { signToken } from '../../src/shared/playback/playback-token';

const tpl = loadTemplate(join(DEPLOY_DIR, 'spherecast.yaml'));
const PREVIOUS_ARN = `arn:aws:secretsmanager:${FAKE.region}:${FAKE.accountId}:secret:playback-2025-AbCdEf`;
const on = evaluator(tpl, { ...STACK_CHOICES, PlaybackTokens: 'on', PlaybackPreviousSecretArn: PREVIOUS_ARN });
const off = evaluator(tpl, STACK_CHOICES);
const GENERATED_ARN = `arn:aws:secretsmanager:${FAKE.region}:${FAKE.accountId}:secret:PlaybackSecret-AbCdEf`;

/** What CloudFormation does with the function's dynamic references at deploy time. */
function resolveSecrets(code: string): string {
  const values: Record<string, string> = { [GENERATED_ARN]: SECRET, [PREVIOUS_ARN]: PREVIOUS };
  return code.replace(/\{\{resolve:secretsmanager:([^}]+):SecretString\}\}/g, (_m, arn: string) => {
    if (!(arn in values)) throw new Error(`no such secret ${arn}`);
    return values[arn]!;
  });
}

type CfValue = { value: string; multiValue?: Array<{ value: string }> };
type CfRequest = { method: string; uri: string; querystring: Record<string, CfValue>; headers: Record<string, CfValue> };
type CfResponse = { statusCode: number; headers: Record<string, CfValue>; body?: { data: string } };

/** The deployed function's handler, its clock at `nowSeconds`. */
function deployedHandler(nowSeconds: number): (event: { request: CfRequest }) => CfRequest | CfResponse {
  const code = resolveSecrets(resolvedProperties(tpl, on, 'PlaybackTokenFunction')!.FunctionCode);
  const context = createContext({
    require: (name: string) => {
      if (name !== 'crypto') throw new Error(`CloudFront Functions have no module ${name}`);
      return nodeCrypto;
    },
  });
  runInContext(code, context, { filename: 'playback-token-function.js' });
  runInContext(`Date.now = function () { return ${nowSeconds * 1000}; };`, context);
  return runInContext('handler', context);
}

/** A viewer request event as CloudFront builds it from a target (query values as sent). */
function eventOf(target: string): { request: CfRequest } {
  const q = target.indexOf('?');
  const querystring: Record<string, CfValue> = {};
  if (q >= 0) {
    for (const pair of target.slice(q + 1).split('&')) {
      const eq = pair.indexOf('=');
      const name = eq >= 0 ? pair.slice(0, eq) : pair;
      const value = eq >= 0 ? pair.slice(eq + 1) : '';
      const seen = querystring[name];
      if (seen) seen.multiValue = [...(seen.multiValue ?? [{ value: seen.value }]), { value }];
      else querystring[name] = { value };
    }
  }
  return { request: { method: 'GET', uri: q >= 0 ? target.slice(0, q) : target, querystring, headers: { host: { value: 'd111.cloudfront.net' } } } };
}

function targetOf(r: CfRequest): string {
  const pairs = Object.entries(r.querystring).flatMap(([name, v]) => (v.multiValue ?? [{ value: v.value }]).map((m) => `${name}=${m.value}`));
  return pairs.length ? `${r.uri}?${pairs.join('&')}` : r.uri;
}

t.test('the function gives every shared vector the answer the edge and the origin give', async (t) => {
  const handler = deployedHandler(NOW);
  for (const v of GATE_VECTORS) {
    const out = handler(eventOf(v.target));
    if ('target' in v.expect) {
      t.ok(!('statusCode' in out), `${v.name}: passed on`);
      if (!('statusCode' in out)) t.equal(targetOf(out), v.expect.target, `${v.name}: token stripped before the cache lookup`);
    } else {
      const res = out as CfResponse;
      t.equal(res.statusCode, 403, v.name);
      t.equal(res.headers['x-media-error']?.value, v.expect.code, v.name);
      t.equal(res.headers['cache-control']?.value, 'no-store');
    }
  }
});

t.test('the function follows the clock and accepts what sign-url signs', async (t) => {
  t.match(deployedHandler(NOW + 3601)(eventOf(`/t/${TOKENS.test}/hls/test.m3u8`)), { statusCode: 403, headers: { 'x-media-error': { value: 'SC_ERR_PLAYBACK_TOKEN_EXPIRED' } } });
  const handler = deployedHandler(NOW);
  for (const prefix of ['/', '/hls', '/vod/sub_good.mp4~0123456789abcdef', `/hls/${'x'.repeat(250)}`]) {
    const token = signToken(SECRET, { prefix, expires: NOW + 10 });
    const path = prefix === '/' ? '/hls/a.m3u8' : `${prefix}/a.m3u8`;
    t.same(targetOf(handler(eventOf(`/t/${token}${path}`)) as CfRequest), path, prefix);
  }
});

t.test('the stack: the function only with a secret, on every behaviour, and /t/<token>/vod/ still reaches the bucket', async (t) => {
  t.equal(resolvedProperties(tpl, off, 'PlaybackTokenFunction'), undefined, 'no secret, no function');
  t.equal(resolvedProperties(tpl, off, 'PlaybackSecret'), undefined);
  const fn = resolvedProperties(tpl, on, 'PlaybackTokenFunction')!;
  t.equal(fn.FunctionConfig.Runtime, 'cloudfront-js-2.0');
  t.ok(Buffer.byteLength(resolveSecrets(fn.FunctionCode)) <= 10 * 1024, 'within the 10 KB a CloudFront Function may have');
  t.equal(fn.AutoPublish, true);
  t.match(fn.Name, /^[A-Za-z0-9_-]{1,64}$/);
  t.match(fn.FunctionCode, `'{{resolve:secretsmanager:${GENERATED_ARN}:SecretString}}'`, 'the secret is a dynamic reference, never in the template');
  t.match(fn.FunctionCode, `'{{resolve:secretsmanager:${PREVIOUS_ARN}:SecretString}}'`);
  t.match(resolvedProperties(tpl, evaluator(tpl, { ...STACK_CHOICES, PlaybackTokens: 'on' }), 'PlaybackTokenFunction')!.FunctionCode, "var SECRETS = ['{{resolve:secretsmanager:", 'no previous secret: an empty one');
  t.match(resolvedProperties(tpl, evaluator(tpl, { ...STACK_CHOICES, PlaybackTokens: 'on' }), 'PlaybackTokenFunction')!.FunctionCode, ":SecretString}}', ''];");
  const dcOn = resolvedProperties(tpl, on, 'Distribution')!.DistributionConfig;
  const dcOff = resolvedProperties(tpl, off, 'Distribution')!.DistributionConfig;
  for (const b of [dcOn.DefaultCacheBehavior, ...dcOn.CacheBehaviors]) {
    t.same(b.FunctionAssociations, [{ EventType: 'viewer-request', FunctionARN: 'PlaybackTokenFunction.FunctionMetadata.FunctionARN' }], b.PathPattern ?? 'default');
  }
  for (const b of [dcOff.DefaultCacheBehavior, ...dcOff.CacheBehaviors]) t.equal(b.FunctionAssociations, undefined);
  for (const b of dcOn.CacheBehaviors) t.equal(b.CachePolicyId !== undefined, true);
  t.equal(cloudFrontOrigin(dcOn, `/t/${TOKENS.vod}/vod/talk-1700000000/MANIFEST.M3U8`), 'vod');
  t.equal(cloudFrontOrigin(dcOn, `/t/${TOKENS.test}/hls/test.m3u8`), 'edge');
  t.equal(cloudFrontOrigin(dcOn, `/t/${TOKENS.test}/hls/test_1280/1.m4s`), 'edge');
  t.ok(resolvedProperties(tpl, on, 'PlaybackSecret')!.GenerateSecretString, 'the stack generates the secret');
  t.equal(resolvedProperties(tpl, evaluator(tpl, { ...STACK_CHOICES, PlaybackTokens: 'on', PlaybackSecretArn: PREVIOUS_ARN }), 'PlaybackSecret'), undefined, 'or uses the one given');
});
