// Checks that hold for every template in deploy/: parsing, name resolution, the CloudFormation
// resource specification, the IAM wildcard rule, parameter defaults, and the shared bootstrap.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { collectReferences, PSEUDO_PARAMETERS } from './fixtures/cfn-references';
import { hasAttribute, specProblems } from './fixtures/cfn-spec';
import { evaluator, STACK_CHOICES, userData } from './fixtures/cfn-evaluate';
import { loadTemplate, parseTemplate, resourcesOfType, templateFiles, type Template } from './fixtures/cfn-template';

const templates: Array<[string, Template]> = templateFiles().map((f) => [basename(f), loadTemplate(f)]);

/** Parameters a user must choose, with a value for the tests (everything else has a default). */
const REQUIRED_CHOICES: Record<string, Record<string, string>> = {
  // HTTPS from CloudFront to the ALB needs a name and a certificate only the user can have.
  'spherecast.yaml': STACK_CHOICES,
  'loadtest.yaml': { AccessMethod: 'ssm', TargetUrl: 'https://d111111abcdef8.cloudfront.net', ReleaseS3Url: 's3://bucket/releases/spherecast.tgz' },
};

t.test('deploy/ holds the main and the load-test template', async (t) => {
  t.same(templates.map(([n]) => n).sort(), ['loadtest.yaml', 'spherecast.yaml']);
  for (const [name, tpl] of templates) t.equal(tpl.AWSTemplateFormatVersion, '2010-09-09', name);
});

t.test('every CloudFormation short form parses to its long form', async (t) => {
  const tpl = parseTemplate(`
Resources:
  R:
    Type: AWS::SNS::Topic
    Properties:
      a: !Ref X
      b: !GetAtt Res.Attr.Sub
      c: !GetAtt [Res, Attr]
      d: !Sub 'x-\${X}'
      e: !Sub ['\${Y}', { Y: !Ref Z }]
      f: !Join ['-', [a, b]]
      g: !If [Cond, 1, 2]
      h: !Equals [a, b]
      i: !Select [0, !GetAZs '']
      j: !FindInMap [M, K, V]
      k: !Split [',', 'a,b']
      l: !Base64 { 'Fn::Sub': 'x' }
      m: !ImportValue exported
      n: !Not [!Condition C]
      o: !And [!Condition C, !Condition D]
      p: !Or [!Condition C, !Condition D]
      q: !Cidr ['10.0.0.0/16', 4, 8]
`);
  t.same(tpl.Resources.R.Properties, {
    a: { Ref: 'X' },
    b: { 'Fn::GetAtt': ['Res', 'Attr.Sub'] },
    c: { 'Fn::GetAtt': ['Res', 'Attr'] },
    d: { 'Fn::Sub': 'x-${X}' },
    e: { 'Fn::Sub': ['${Y}', { Y: { Ref: 'Z' } }] },
    f: { 'Fn::Join': ['-', ['a', 'b']] },
    g: { 'Fn::If': ['Cond', 1, 2] },
    h: { 'Fn::Equals': ['a', 'b'] },
    i: { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] },
    j: { 'Fn::FindInMap': ['M', 'K', 'V'] },
    k: { 'Fn::Split': [',', 'a,b'] },
    l: { 'Fn::Base64': { 'Fn::Sub': 'x' } },
    m: { 'Fn::ImportValue': 'exported' },
    n: { 'Fn::Not': [{ Condition: 'C' }] },
    o: { 'Fn::And': [{ Condition: 'C' }, { Condition: 'D' }] },
    p: { 'Fn::Or': [{ Condition: 'C' }, { Condition: 'D' }] },
    q: { 'Fn::Cidr': ['10.0.0.0/16', 4, 8] },
  });
  t.throws(() => parseTemplate('Resources:\n  A: { Type: x }\n  A: { Type: y }\n'), /unique|duplicate/i, 'duplicate keys are refused');
});

t.test('every Ref, GetAtt, Sub variable, DependsOn and condition name resolves', async (t) => {
  for (const [name, tpl] of templates) {
    const refs = collectReferences(tpl);
    t.ok(refs.length > 20, `${name} has references to check`);
    const unresolved = refs.filter((r) => {
      switch (r.kind) {
        case 'Ref':
        case 'Sub':
          if (r.attribute !== undefined) return !(r.target in tpl.Resources);
          return !(PSEUDO_PARAMETERS.has(r.target) || r.target in tpl.Parameters || r.target in tpl.Resources);
        case 'GetAtt':
        case 'DependsOn':
          return !(r.target in tpl.Resources);
        case 'Condition':
          return !(r.target in tpl.Conditions);
      }
    });
    t.same(unresolved, [], `${name}: all names resolve`);
  }
});

t.test('every GetAtt (also ${Res.Attr} in Sub) names an attribute the resource type has', async (t) => {
  for (const [name, tpl] of templates) {
    const bad = collectReferences(tpl)
      .filter((r) => r.attribute !== undefined && (r.kind === 'GetAtt' || r.kind === 'Sub'))
      .filter((r) => !hasAttribute(tpl.Resources[r.target].Type, r.attribute!))
      .map((r) => `${r.at}: ${r.target}.${r.attribute}`);
    t.same(bad, [], name);
  }
});

t.test('resource types and properties match the CloudFormation resource specification', async (t) => {
  for (const [name, tpl] of templates) t.same(specProblems(tpl), [], name);
});

t.test('the specification check catches wrong types, names, shapes and missing properties', async (t) => {
  const tpl = parseTemplate(`
Resources:
  Typo:
    Type: AWS::SQS::Queu
  BadName:
    Type: AWS::SQS::Queue
    Properties: { VisibilityTimeOut: 30 }
  BadNested:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      MinSize: '0'
      MaxSize: '1'
      MixedInstancesPolicy:
        InstancesDistribution: { SpotAllocationStrategie: capacity-optimized }
        LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: lt-1, Version: '1' } }
  BadShape:
    Type: AWS::EC2::SecurityGroup
    Properties: { GroupDescription: x, SecurityGroupIngress: { IpProtocol: tcp } }
  MissingRequired:
    Type: AWS::CloudFront::Distribution
    Properties: {}
  BadBranch:
    Type: AWS::SQS::Queue
    Properties: { RedrivePolicy: !If [C, { a: 1 }, !Ref AWS::NoValue], DelaySeconds: !If [C, [1], 0] }
`);
  const problems = specProblems(tpl).join('\n');
  t.match(problems, /Typo: unknown resource type AWS::SQS::Queu/);
  t.match(problems, /BadName.*unknown property VisibilityTimeOut/);
  t.match(problems, /BadNested.*InstancesDistribution: unknown property SpotAllocationStrategie/);
  t.match(problems, /BadShape.*SecurityGroupIngress: expected list/);
  t.match(problems, /MissingRequired.*missing required property DistributionConfig/);
  t.match(problems, /BadBranch.*DelaySeconds\(if true\)/);
  t.notMatch(problems, /\.RedrivePolicy/, 'json properties take any object');
});

t.test("no IAM statement allows Action '*' on Resource '*', nor a service wildcard on everything", async (t) => {
  const statements: Array<{ where: string; s: Record<string, unknown> }> = [];
  for (const [name, tpl] of templates) {
    for (const [rn, r] of Object.entries(tpl.Resources)) {
      const docs: unknown[] = [];
      if (r.Type === 'AWS::IAM::Role') for (const p of (r.Properties?.Policies as Array<{ PolicyDocument: unknown }>) ?? []) docs.push(p.PolicyDocument);
      if (r.Type.endsWith('Policy') && r.Properties?.PolicyDocument) docs.push(r.Properties.PolicyDocument);
      for (const d of docs) for (const s of (d as { Statement: Array<Record<string, unknown>> }).Statement) statements.push({ where: `${name} ${rn}`, s });
    }
  }
  t.ok(statements.length >= 10, 'statements were found');
  const list = (v: unknown) => (Array.isArray(v) ? v : [v]);
  const bad = statements.filter(({ s }) => {
    if (s.Effect !== 'Allow') return false;
    const actions = list(s.Action);
    const resources = list(s.Resource ?? '*');
    const wildAction = actions.some((a) => a === '*' || (typeof a === 'string' && a.endsWith(':*')));
    return wildAction && resources.includes('*');
  });
  t.same(bad, []);
  t.notOk(statements.some(({ s }) => s.Effect === 'Allow' && list(s.Action).includes('*')), "no Allow statement has Action '*' at all");
});

t.test('every parameter has a default except the access choice, the HTTPS origin name and certificate (and the load test target)', async (t) => {
  for (const [name, tpl] of templates) {
    const without = Object.entries(tpl.Parameters).filter(([, p]) => p.Default === undefined).map(([n]) => n).sort();
    t.same(without, Object.keys(REQUIRED_CHOICES[name]).sort(), name);
    t.same(tpl.Parameters.AccessMethod.AllowedValues, ['ssm', 'ssh'], `${name}: key pair or SSM`);
    for (const [pn, p] of Object.entries(tpl.Parameters)) {
      if (p.Default !== undefined && p.AllowedValues) t.ok(p.AllowedValues.map(String).includes(String(p.Default)), `${name} ${pn}: default is allowed`);
      if (p.Default !== undefined && typeof p.AllowedPattern === 'string') t.match(String(p.Default), new RegExp(p.AllowedPattern), `${name} ${pn}: default matches its pattern`);
    }
  }
});

t.test('every launch template shares one bootstrap block, and rendered user data is valid bash', async (t) => {
  const blocks = new Set<string>();
  let count = 0;
  for (const [name, tpl] of templates) {
    const ev = evaluator(tpl, REQUIRED_CHOICES[name]);
    for (const [ln] of resourcesOfType(tpl, 'AWS::EC2::LaunchTemplate')) {
      const script = userData(tpl, ev, ln);
      count++;
      const m = /# --- common bootstrap begin ---\n[\s\S]*# --- common bootstrap end ---\n/.exec(script);
      t.ok(m, `${name} ${ln}: has the common bootstrap`);
      if (m) blocks.add(m[0]);
      const syntax = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
      t.equal(syntax.status, 0, `${name} ${ln}: bash -n ${syntax.stderr}`);
    }
  }
  t.equal(count, 4, 'origin, edge, transcoder and load-test launch templates');
  t.equal(blocks.size, 1, 'the bootstrap blocks are identical (edit them together)');
});

const cfnLintMissing = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).status !== 0;
t.test('cfn-lint finds no error and no warning in any template', { skip: cfnLintMissing ? 'cfn-lint is not installed (pip install cfn-lint)' : false }, async (t) => {
  const files = templateFiles();
  const r = spawnSync('cfn-lint', ['--format', 'json', '--', ...files], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  t.ok(r.stdout.trim().startsWith('['), `cfn-lint answered JSON ${r.stderr}`);
  const findings = JSON.parse(r.stdout) as Array<{ Level: string; Rule: { Id: string }; Message: string; Filename: string; Location: { Start: { LineNumber: number } } }>;
  const described = (f: (typeof findings)[number]) => `${basename(f.Filename)}:${f.Location.Start.LineNumber} ${f.Rule.Id} ${f.Message}`;
  t.same(findings.filter((f) => f.Level === 'Error').map(described), [], 'no errors');
  t.same(findings.filter((f) => f.Level === 'Warning').map(described), [], 'no warnings');
  t.equal(r.status, 0, 'exit status 0');
});

t.test('cfn-lint is really run: it reports a broken template', { skip: cfnLintMissing ? 'cfn-lint is not installed' : false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-cfn-lint-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'broken.yaml');
  writeFileSync(file, "AWSTemplateFormatVersion: '2010-09-09'\nMetadata:\n  AWS::CloudFormation::Interface:\n    ParameterGroups:\n      - Label: { default: Network, logs and alarms }\n        Parameters: [P]\nParameters:\n  P: { Type: String }\nResources:\n  T: { Type: AWS::SNS::Topic }\n");
  const r = spawnSync('cfn-lint', ['--format', 'json', '--', file], { encoding: 'utf8' });
  t.match(r.stdout, /E4001/, 'an unquoted comma in a flow mapping is E4001');
});
