// Renders each instance's user data as CloudFormation would, runs its env-file step in real bash (with a
// stand-in for the Secrets Manager call), and checks the program, its settings and its systemd unit.
import t, { type Test as Tap } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Schema } from '../../src/shared/config/config';
import { evaluator, FAKE, resolvedProperties, STACK_CHOICES, userData, type Evaluator } from './fixtures/cfn-evaluate';
import { renderEnvFiles } from './fixtures/env-files';
import { DEPLOY_DIR, loadTemplate } from './fixtures/cfn-template';

const ROOT = join(DEPLOY_DIR, '..');
const tpl = loadTemplate(join(DEPLOY_DIR, 'spherecast.yaml'));
const defaults = evaluator(tpl, STACK_CHOICES);
const ROLES = { origin: 'OriginLaunchTemplate', edge: 'EdgeLaunchTemplate', transcoder: 'TranscoderLaunchTemplate' } as const;
type Role = keyof typeof ROLES;
/** Read by the AWS SDK itself, not by a program's settings schema. */
const SDK_ENV = new Set(['AWS_REGION']);
/**
 * Settings the stack already writes for a program change made in parallel (issue #12: the transcoder's
 * SNS completion notice). Checked like any other once the program's schema has them.
 */
const PENDING_SETTINGS: Record<string, Set<string>> = {};
const secretArn = (name: string) => `arn:aws:secretsmanager:${FAKE.region}:${FAKE.accountId}:secret:${name}-AbCdEf`;

const resolvedOrigin = () => resolvedProperties(tpl, defaults, 'OriginLaunchTemplate')!;

function roleEnv(role: Role, ev: Evaluator = defaults): Record<string, string> {
  return renderEnvFiles(userData(tpl, ev, ROLES[role]))[`${role}.env`];
}

function unit(name: string): Record<string, string> {
  const text = readFileSync(join(DEPLOY_DIR, 'systemd', name), 'utf8');
  return Object.fromEntries(text.split('\n').filter((l) => /^\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

t.test('origin user data writes the origin settings from the stack', async (t) => {
  t.same(roleEnv('origin'), {
    RTMP_PORT: '1935',
    HTTP_PORT: '8080',
    MEDIA_DIR: '/var/lib/spherecast/origin',
    HLS_FRAGMENT: '3',
    HLS_PLAYLIST_LENGTH: '30',
    RECORD: 'all',
    RECORD_MAX_SIZE: '128000K',
    INGRESS: `s3://spherecast-ingress-${FAKE.stackUuid}/recordings`,
    PUBLISH_HMAC_SECRET: 'secret-of-PublishSecret-AbCdEf',
    ORIGIN_SECRET_HEADER: 'x-spherecast-origin-secret',
    ORIGIN_SECRET: 'secret-of-OriginSecret-AbCdEf',
    PLAYBACK_HMAC_SECRET: '',
    PLAYBACK_HMAC_SECRET_PREVIOUS: '',
    AWS_REGION: FAKE.region,
  });
  const given = evaluator(tpl, { ...STACK_CHOICES, PublishSecretArn: secretArn('my-stream-key'), RecordMode: 'off' });
  const env = roleEnv('origin', given);
  t.equal(env.PUBLISH_HMAC_SECRET, 'secret-of-my-stream-key-AbCdEf', 'an existing secret is read at boot');
  t.equal(env.RECORD, 'off');
});

t.test('PlaybackTokens on: edge and origin read the playback secrets at boot', async (t) => {
  const ev = evaluator(tpl, { ...STACK_CHOICES, PlaybackTokens: 'on', PlaybackPreviousSecretArn: secretArn('playback-old') });
  for (const role of ['origin', 'edge'] as const) {
    const env = roleEnv(role, ev);
    t.equal(env.PLAYBACK_HMAC_SECRET, 'secret-of-PlaybackSecret-AbCdEf', `${role}: the generated secret`);
    t.equal(env.PLAYBACK_HMAC_SECRET_PREVIOUS, 'secret-of-playback-old-AbCdEf', `${role}: the previous one while rotating`);
  }
});

t.test('edge user data points the edge at the Elastic IP name and sets both secret headers', async (t) => {
  t.same(roleEnv('edge'), {
    HTTP_PORT: '8081',
    ORIGINS: `http://ec2-203-0-113-10.${FAKE.region}.compute.amazonaws.com:8080`,
    CACHE_MAX_BYTES: '1G',
    CLIENT_SECRET_HEADER: 'x-spherecast-client-secret',
    CLIENT_SECRET: 'secret-of-ClientSecret-AbCdEf',
    ORIGIN_SECRET_HEADER: 'x-spherecast-origin-secret',
    ORIGIN_SECRET: 'secret-of-OriginSecret-AbCdEf',
    PLAYBACK_HMAC_SECRET: '',
    PLAYBACK_HMAC_SECRET_PREVIOUS: '',
    PUBLIC_DIR: '/opt/spherecast/public',
    SPOT_MONITOR: 'on',
  });
  const open = roleEnv('edge', evaluator(tpl, { ...STACK_CHOICES, RequireCloudFrontSecret: 'false' }));
  t.equal(open.CLIENT_SECRET, '', 'RequireCloudFrontSecret false leaves the edge open for direct load tests');
  const deregister = renderEnvFiles(userData(tpl, defaults, 'EdgeLaunchTemplate'))['edge-deregister.env'];
  t.same(deregister, {
    REGION: FAKE.region,
    TARGET_GROUP_ARN: `arn:aws:elasticloadbalancing:${FAKE.region}:${FAKE.accountId}:targetgroup/EdgeTargetGroup/0123456789abcdef`,
    INSTANCE_ID: 'i-0123456789abcdef0',
  });
});

t.test('transcoder user data sets ingress, egress, queue and region', async (t) => {
  t.same(roleEnv('transcoder'), {
    INGRESS: `s3://spherecast-ingress-${FAKE.stackUuid}/recordings`,
    EGRESS: `s3://${FAKE.stackName}-egressbucket-abc123/vod`,
    QUEUE: `https://sqs.${FAKE.region}.amazonaws.com/${FAKE.accountId}/${FAKE.stackName}-TranscodingQueue`,
    MEDIA_DIR: '/var/lib/spherecast/transcoder',
    CONCURRENCY: '1',
    SPOT_MONITOR: 'on',
    AWS_REGION: FAKE.region,
    NOTIFY_SNS_TOPIC_ARN: `arn:aws:sns:${FAKE.region}:${FAKE.accountId}:${FAKE.stackName}-TranscodeNoticeTopic`,
    DEAD_LETTER_QUEUE: `https://sqs.${FAKE.region}.amazonaws.com/${FAKE.accountId}/${FAKE.stackName}-TranscodingDeadLetterQueue`,
  });
});

t.test('no secret value is ever in the template: secrets are read at boot', async (t) => {
  for (const role of Object.keys(ROLES) as Role[]) {
    const script = userData(tpl, defaults, ROLES[role]);
    for (const line of script.split('\n').filter((l) => /^[A-Z_]*SECRET=/.test(l))) {
      t.match(line, /^[A-Z_]*SECRET=(\$\(secret "arn:aws:secretsmanager:[^"]+"\))?$/, `${role}: ${line.slice(0, line.indexOf('='))} comes from Secrets Manager`);
    }
  }
  for (const [name, s] of Object.entries(tpl.Resources).filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret')) {
    t.notOk('SecretString' in (s.Properties ?? {}), `${name} is generated, not written in the template`);
  }
});

t.test('each role installs Node 20, ffmpeg, the release, the CloudWatch agent, and starts its systemd unit', async (t) => {
  for (const role of Object.keys(ROLES) as Role[]) {
    const script = userData(tpl, defaults, ROLES[role]);
    t.match(script, `ROLE=${role}\n`);
    t.match(script, 'https://deb.nodesource.com/node_20.x nodistro main', `${role}: NodeSource Node 20`);
    t.match(script, /apt-get install -y --no-install-recommends [^\n]*\bffmpeg\b/, `${role}: ffmpeg`);
    t.match(script, `RELEASE_URL=s3://${FAKE.stackName}-releasebucket-abc123/releases/spherecast.tgz\n`, `${role}: release from the stack's S3 URL`);
    t.match(script, 'npm ci --omit=dev', `${role}: production dependencies on the instance`);
    t.match(script, `LOG_GROUP=/spherecast/${FAKE.stackName}/${role[0].toUpperCase()}${role.slice(1)}LogGroup\n`, `${role}: its own log group`);
    t.match(script, 'amazon-cloudwatch-agent-ctl -a fetch-config', `${role}: CloudWatch agent started`);
    t.match(script, `systemctl enable --now spherecast-${role}.service`, `${role}: unit enabled and started`);
    const u = unit(`spherecast-${role}.service`);
    t.equal(u.ExecStart, `/usr/bin/node dist/${role}.js`, `${role}: runs node dist/${role}.js`);
    t.equal(u.EnvironmentFile, `/etc/spherecast/${role}.env`, `${role}: reads the env file the user data writes`);
    t.equal(u.Restart, 'on-failure', `${role}: a clean exit (after a Spot notice) is not restarted`);
    t.equal(u.User, 'spherecast', `${role}: not root`);
    t.equal(u.StandardOutput, `append:/var/log/spherecast/${role}.log`, `${role}: log file the agent ships`);
  }
  const custom = userData(tpl, evaluator(tpl, { ...STACK_CHOICES, ReleaseS3Url: 's3://my-releases/x/spherecast-1.0.0.tgz' }), 'EdgeLaunchTemplate');
  t.match(custom, 'RELEASE_URL=s3://my-releases/x/spherecast-1.0.0.tgz\n');
});

/**
 * Runs the origin's own bootstrap steps (everything but the shared install block) in bash, with
 * stand-ins on PATH for curl (metadata and /healthz), aws, systemctl and sleep. Returns the exit
 * status and the commands it ran, in order.
 */
function runOriginBootstrap(t: Tap, opts: { healthy: boolean; signalFails?: boolean }): { status: number | null; calls: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'sc-origin-boot-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const stub = (name: string, body: string) => writeFileSync(join(dir, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  stub('curl', [
    'for a in "$@"; do case "$a" in',
    '  */healthz) [ "$HEALTHY" = yes ] && exit 0; exit 7;;',
    '  */api/token) echo token; exit 0;;',
    '  */meta-data/instance-id) echo i-0123456789abcdef0; exit 0;;',
    '  */tags/instance/aws:autoscaling:groupName) echo spherecast-test-OriginAutoScalingGroup-1A2B3C4D5E6F; exit 0;;',
    'esac; done; exit 22',
  ].join('\n'));
  stub('aws', 'echo "aws $*" >> "$CALLS"; if [ "$2" = signal-resource ] && [ "$SIGNAL_FAILS" = yes ]; then exit 254; fi');
  stub('systemctl', 'echo "systemctl $*" >> "$CALLS"');
  stub('sleep', 'exit 0');
  const script = userData(tpl, defaults, 'OriginLaunchTemplate')
    .replace(/^exec > .*$/m, '')
    .replace(/# --- common bootstrap begin ---\n[\s\S]*# --- common bootstrap end ---\n/, 'INSTANCE_ID=i-0123456789abcdef0\nsecret() { printf "secret-of-%s" "$1"; }\n')
    .replaceAll('/etc/spherecast/', `${dir}/`);
  const calls = join(dir, 'calls');
  const r = spawnSync('bash', ['-c', script], {
    encoding: 'utf8',
    env: { PATH: `${dir}:${process.env.PATH}`, CALLS: calls, HEALTHY: opts.healthy ? 'yes' : 'no', SIGNAL_FAILS: opts.signalFails ? 'yes' : 'no' },
  });
  return { status: r.status, calls: existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : [] };
}

t.test('origin readiness: the launch stays pending until the origin answers and holds the Elastic IP', async (t) => {
  const asg = tpl.Resources.OriginAutoScalingGroup;
  const hooks = (asg.Properties!.LifecycleHookSpecificationList as Array<Record<string, unknown>>);
  t.equal(hooks.length, 1);
  t.same([hooks[0].LifecycleTransition, hooks[0].DefaultResult], ['autoscaling:EC2_INSTANCE_LAUNCHING', 'ABANDON'], 'silence abandons the launch');
  t.same(asg.CreationPolicy, { ResourceSignal: { Count: 1, Timeout: 'PT1H' } }, 'stack creation waits for a ready origin');
  t.same(asg.UpdatePolicy, { AutoScalingReplacingUpdate: { WillReplace: true } }, 'an update keeps the old origin until the new one signals');
  t.equal(resolvedOrigin().LaunchTemplateData.MetadataOptions.InstanceMetadataTags, 'enabled', 'the group name is readable from metadata');

  const { status, calls } = runOriginBootstrap(t, { healthy: true });
  t.equal(status, 0);
  const assoc = 'aws ec2 associate-address --region eu-west-1 --allocation-id eipalloc-0123456789abcdef0 --instance-id i-0123456789abcdef0 --allow-reassociation';
  const complete = `aws autoscaling complete-lifecycle-action --region eu-west-1 --auto-scaling-group-name spherecast-test-OriginAutoScalingGroup-1A2B3C4D5E6F --lifecycle-hook-name ${hooks[0].LifecycleHookName} --instance-id i-0123456789abcdef0 --lifecycle-action-result CONTINUE`;
  const signal = `aws cloudformation signal-resource --region eu-west-1 --stack-name ${FAKE.stackName} --logical-resource-id OriginAutoScalingGroup --unique-id i-0123456789abcdef0 --status SUCCESS`;
  t.same(calls, ['systemctl daemon-reload', 'systemctl enable --now spherecast-origin.service', assoc, complete, signal], 'start, wait for /healthz, take the address, then CONTINUE and signal');
  const replacement = runOriginBootstrap(t, { healthy: true, signalFails: true });
  t.equal(replacement.status, 0, 'a Spot replacement, which no stack operation waits for, still completes');
  t.ok(replacement.calls.includes(complete));
});

t.test('origin readiness: a bootstrap whose origin never answers abandons its launch and never takes the address', async (t) => {
  const { status, calls } = runOriginBootstrap(t, { healthy: false });
  t.not(status, 0);
  t.notOk(calls.some((c) => c.startsWith('aws ec2 associate-address')), 'the Elastic IP stays with the serving origin');
  t.notOk(calls.some((c) => c.includes('signal-resource')), 'no success signal');
  t.match(calls[calls.length - 1], /^aws autoscaling complete-lifecycle-action .* --lifecycle-action-result ABANDON$/, 'the launch is abandoned at once');
});

t.test('the edge leaves its target group at shutdown, not when the program restarts', async (t) => {
  const u = unit('spherecast-edge-deregister.service');
  t.equal(u.ExecStop, '/opt/spherecast/deploy/instance/edge-deregister.sh');
  t.equal(u.ExecStart, '/bin/true');
  t.match(u.After, 'spherecast-edge.service', 'stopped before the edge at shutdown');
  t.equal(unit('spherecast-edge.service').ExecStop, undefined, 'the edge unit itself never deregisters');
  const syntax = spawnSync('bash', ['-n', join(DEPLOY_DIR, 'instance', 'edge-deregister.sh')], { encoding: 'utf8' });
  t.equal(syntax.status, 0, syntax.stderr);
  const missing = spawnSync('bash', [join(DEPLOY_DIR, 'instance', 'edge-deregister.sh')], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  t.not(missing.status, 0, 'refuses to run without its settings');
});

t.test('the load tester runs node dist/loadtest.js against the TargetUrl parameter', async (t) => {
  const lt = loadTemplate(join(DEPLOY_DIR, 'loadtest.yaml'));
  const ev = evaluator(lt, { AccessMethod: 'ssm', TargetUrl: 'https://d111111abcdef8.cloudfront.net', ReleaseS3Url: 's3://b/releases/spherecast.tgz' });
  const files = renderEnvFiles(userData(lt, ev, 'LoadTestLaunchTemplate'));
  t.same(files['loadtest.env'], { TARGET_URL: 'https://d111111abcdef8.cloudfront.net', THREADS: '150', RAMPUP: '15', DURATION: '180', MODE: 'plan' });
  t.equal(unit('spherecast-loadtest.service').EnvironmentFile, '/etc/spherecast/loadtest.env');
  const run = readFileSync(join(DEPLOY_DIR, 'instance', 'run-loadtest.sh'), 'utf8');
  t.match(run, /node \/opt\/spherecast\/dist\/loadtest\.js --host "\$TARGET_URL" --threads "\$THREADS" --rampup "\$RAMPUP"/);
  t.equal(spawnSync('bash', ['-n', join(DEPLOY_DIR, 'instance', 'run-loadtest.sh')]).status, 0);
});

// The strongest check of the contract: the env file must load through each program's own settings
// schema (names known, values valid). Programs not written yet are skipped, by name.
for (const role of Object.keys(ROLES) as Role[]) {
  const configPath = join(ROOT, 'src', role, 'config.ts');
  t.test(`the ${role} env file loads through src/${role}/config.ts`, { skip: existsSync(configPath) ? false : `src/${role}/config.ts does not exist yet` }, async (t) => {
    const mod = (await import(configPath)) as Record<string, unknown>;
    // A CommonJS-compiled module may arrive with its exports under `default` too.
    const exported = new Set([...Object.values(mod), ...Object.values((mod.default ?? {}) as Record<string, unknown>)]);
    const schemas = [...exported].filter(
      (v): v is Schema => !!v && typeof v === 'object' && Object.values(v).length > 0 && Object.values(v).every((s) => !!s && typeof s === 'object' && 'env' in s && 'parse' in s),
    );
    t.equal(schemas.length, 1, `src/${role}/config.ts exports one settings schema`);
    const schema = schemas[0];
    const env = roleEnv(role);
    const known = new Set(Object.values(schema).map((s) => s.env));
    const pending = PENDING_SETTINGS[role] ?? new Set<string>();
    t.same(Object.keys(env).filter((k) => !known.has(k) && !SDK_ENV.has(k) && !pending.has(k)), [], `every ${role} setting the stack writes is one the program reads`);
    const readable = Object.fromEntries(Object.entries(env).filter(([k]) => known.has(k) || !pending.has(k)));
    t.doesNotThrow(() => loadConfig(schema, { env: readable }), `the ${role} accepts every value`);
  });
}
