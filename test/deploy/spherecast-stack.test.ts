// The main stack's architecture, checked on the properties CloudFormation would receive with the
// default parameters (AccessMethod ssm) and, where it matters, with ssh.
import t from 'tap';
import { join } from 'node:path';
import { evaluator, FAKE, resolvedProperties, STACK_CHOICES, type Evaluator } from './fixtures/cfn-evaluate';
import { DEPLOY_DIR, loadTemplate, resourcesOfType } from './fixtures/cfn-template';
import { albOutcome, cloudFrontOrigin, pathPatternMatches } from './fixtures/request-routing';
import { KEPT_QUERY_PARAMS, KEPT_QUERY_PARAMS_BY_PATH } from '../../src/edge/request-target';
import { edgeSchema } from '../../src/edge/config';

const tpl = loadTemplate(join(DEPLOY_DIR, 'spherecast.yaml'));
const ssm = evaluator(tpl, STACK_CHOICES);
const ssh = evaluator(tpl, { ...STACK_CHOICES, AccessMethod: 'ssh', KeyName: 'my-key' });
const props = (name: string, ev: Evaluator = ssm) => {
  const p = resolvedProperties(tpl, ev, name);
  if (!p) throw new Error(`${name} is not created with these parameters`);
  return p;
};
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const ingressBucketName = `spherecast-ingress-${FAKE.stackUuid}`;

function rolePermissions(role: string): Array<{ actions: string[]; resources: string[] }> {
  const p = props(role);
  return p.Policies.flatMap((pol: any) => pol.PolicyDocument.Statement).map((s: any) => {
    if (s.Effect !== 'Allow' || s.Condition) throw new Error(`${role}: unexpected statement ${JSON.stringify(s)}`);
    return { actions: list(s.Action).sort(), resources: list(s.Resource) };
  });
}

t.test('network: a VPC with public subnets in two availability zones and an internet route', async (t) => {
  t.equal(props('Vpc').EnableDnsHostnames, true, 'DNS hostnames (the EIP name resolves privately)');
  const a = props('PublicSubnetA');
  const b = props('PublicSubnetB');
  t.not(a.AvailabilityZone, b.AvailabilityZone);
  t.equal(a.MapPublicIpOnLaunch, true);
  t.equal(props('PublicDefaultRoute').DestinationCidrBlock, '0.0.0.0/0');
});

t.test('security groups: RTMP from the configured CIDR, HTTP only ALB->edge and edge->origin', async (t) => {
  const rtmpOnly = evaluator(tpl, { ...STACK_CHOICES, RtmpIngressCidr: '198.51.100.0/24' });
  const origin = resolvedProperties(tpl, rtmpOnly, 'OriginSecurityGroup')!.SecurityGroupIngress;
  t.same(origin, [
    { IpProtocol: 'tcp', FromPort: 1935, ToPort: 1935, CidrIp: '198.51.100.0/24', Description: 'RTMP publish' },
    { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: 'EdgeSecurityGroup-0123456789abcdef', Description: 'edge to origin' },
  ]);
  t.same(props('EdgeSecurityGroup').SecurityGroupIngress, [
    { IpProtocol: 'tcp', FromPort: 8081, ToPort: 8081, SourceSecurityGroupId: 'AlbSecurityGroup-0123456789abcdef', Description: 'ALB to edge' },
  ]);
  t.same(props('TranscoderSecurityGroup').SecurityGroupIngress, [], 'transcoders take no inbound traffic');
  const cloudFront = { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourcePrefixListId: 'pl-4fa04526', Description: 'HTTPS from CloudFront' };
  t.same(props('AlbSecurityGroup').SecurityGroupIngress, [cloudFront], "only CloudFront's origin-facing addresses (eu-west-1's list), only HTTPS");
  const direct = resolvedProperties(tpl, evaluator(tpl, { ...STACK_CHOICES, AlbIngressCidr: '198.51.100.7/32' }), 'AlbSecurityGroup')!.SecurityGroupIngress;
  t.same(direct[1], { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '198.51.100.7/32', Description: 'HTTPS from AlbIngressCidr' }, 'a direct range only when asked');
  const own = resolvedProperties(tpl, evaluator(tpl, { ...STACK_CHOICES, CloudFrontPrefixListId: 'pl-0123456789abcdef0' }), 'AlbSecurityGroup')!.SecurityGroupIngress;
  t.equal(own[0].SourcePrefixListId, 'pl-0123456789abcdef0', 'the prefix list id can be given for a region the table lacks');
  const table = tpl.Mappings.CloudFrontOriginFacing as Record<string, { PrefixListId: string }>;
  t.ok(Object.keys(table).length >= 16 && Object.values(table).every((v) => /^pl-[0-9a-f]{8}$/.test(v.PrefixListId)), 'a prefix list id per region');
  for (const sg of ['OriginSecurityGroup', 'EdgeSecurityGroup', 'TranscoderSecurityGroup']) {
    const rules = props(sg, ssh).SecurityGroupIngress;
    t.ok(rules.some((r: any) => r.FromPort === 22 && r.CidrIp === '0.0.0.0/0'), `${sg}: SSH only with AccessMethod ssh`);
    t.notOk(props(sg).SecurityGroupIngress.some((r: any) => r.FromPort === 22), `${sg}: no SSH with ssm`);
  }
  t.equal(props('EdgeLaunchTemplate', ssh).LaunchTemplateData.KeyName, 'my-key');
  t.notOk('KeyName' in props('EdgeLaunchTemplate').LaunchTemplateData, 'no key pair with ssm');
});

t.test('IAM: each role has exactly its least-privilege permissions', async (t) => {
  const arn = (svc: string, rest: string) => `arn:aws:${svc}:${FAKE.region}:${FAKE.accountId}:${rest}`;
  const releaseObjects = `arn:aws:s3:::${FAKE.stackName}-releasebucket-abc123/releases/*`;
  t.same(rolePermissions('OriginRole'), [
    { actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'], resources: [`arn:aws:s3:::${ingressBucketName}/recordings/*`] },
    { actions: ['ec2:AssociateAddress'], resources: [arn('ec2', 'elastic-ip/eipalloc-0123456789abcdef0'), arn('ec2', 'instance/*'), arn('ec2', 'network-interface/*')] },
    { actions: ['secretsmanager:GetSecretValue'], resources: [arn('secretsmanager', 'secret:PublishSecret-AbCdEf'), arn('secretsmanager', 'secret:OriginSecret-AbCdEf')] },
    { actions: ['autoscaling:CompleteLifecycleAction'], resources: [arn('autoscaling', `autoScalingGroup:*:autoScalingGroupName/${FAKE.stackName}-OriginAutoScalingGroup-*`)] },
    { actions: ['cloudformation:SignalResource'], resources: [arn('cloudformation', `stack/${FAKE.stackName}/${FAKE.stackUuid}`)] },
    { actions: ['s3:GetObject'], resources: [releaseObjects] },
    { actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'], resources: [arn('logs', `log-group:/spherecast/${FAKE.stackName}/OriginLogGroup:*`)] },
  ]);
  t.same(rolePermissions('EdgeRole'), [
    { actions: ['elasticloadbalancing:DeregisterTargets'], resources: [arn('elasticloadbalancing', 'targetgroup/EdgeTargetGroup/0123456789abcdef')] },
    { actions: ['secretsmanager:GetSecretValue'], resources: [arn('secretsmanager', 'secret:ClientSecret-AbCdEf'), arn('secretsmanager', 'secret:OriginSecret-AbCdEf')] },
    { actions: ['s3:GetObject'], resources: [releaseObjects] },
    { actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'], resources: [arn('logs', `log-group:/spherecast/${FAKE.stackName}/EdgeLogGroup:*`)] },
  ]);
  t.same(rolePermissions('TranscoderRole'), [
    { actions: ['s3:GetObject'], resources: [`arn:aws:s3:::${ingressBucketName}/recordings/*`] },
    { actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'], resources: [`arn:aws:s3:::${FAKE.stackName}-egressbucket-abc123/vod/*`] },
    { actions: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:ReceiveMessage', 'sqs:SendMessage'], resources: [arn('sqs', `${FAKE.stackName}-TranscodingQueue`)] },
    { actions: ['sqs:SendMessage'], resources: [arn('sqs', `${FAKE.stackName}-TranscodingDeadLetterQueue`)] },
    { actions: ['sns:Publish'], resources: [arn('sns', `${FAKE.stackName}-TranscodeNoticeTopic`)] },
    { actions: ['s3:GetObject'], resources: [releaseObjects] },
    { actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'], resources: [arn('logs', `log-group:/spherecast/${FAKE.stackName}/TranscoderLogGroup:*`)] },
  ]);
  for (const role of ['OriginRole', 'EdgeRole', 'TranscoderRole']) {
    t.same(props(role).ManagedPolicyArns, ['arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore'], `${role}: SSM core with ssm`);
    t.same(props(role, ssh).ManagedPolicyArns, [], `${role}: no managed policy with ssh`);
  }
  const ownRelease = evaluator(tpl, { ...STACK_CHOICES, ReleaseS3Url: 's3://my-releases/spherecast/spherecast-1.2.3.tgz' });
  const releaseStatement = resolvedProperties(tpl, ownRelease, 'EdgeRole')!.Policies[0].PolicyDocument.Statement.find((s: any) => s.Sid === 'ReadRelease');
  t.equal(releaseStatement.Resource, 'arn:aws:s3:::my-releases/spherecast/spherecast-1.2.3.tgz', 'a given release URL is the only readable object');
  t.equal(resolvedProperties(tpl, ownRelease, 'ReleaseBucket'), undefined, 'no release bucket when a URL is given');
});

t.test('SQS: the job queue redrives to a dead-letter queue and hides jobs long enough to transcode', async (t) => {
  const q = props('TranscodingQueue');
  t.same(q.RedrivePolicy, { deadLetterTargetArn: `arn:aws:sqs:${FAKE.region}:${FAKE.accountId}:${FAKE.stackName}-TranscodingDeadLetterQueue`, maxReceiveCount: 3 });
  t.ok(Number(q.VisibilityTimeout) >= 3600, 'visibility timeout of an hour or more by default');
  t.equal(q.ReceiveMessageWaitTimeSeconds, 20, 'long polling');
  t.equal(q.SqsManagedSseEnabled, true, 'SSE-SQS, which S3 notifications can use');
  t.ok(Number(props('TranscodingDeadLetterQueue').MessageRetentionPeriod) > Number(q.MessageRetentionPeriod), 'dead letters outlive the jobs');
});

t.test('S3: the ingress bucket notifies the queue of .mp4 recordings, and only that bucket may send', async (t) => {
  const b = props('IngressBucket');
  t.equal(b.BucketName, ingressBucketName);
  t.same(b.NotificationConfiguration.QueueConfigurations, [
    {
      Event: 's3:ObjectCreated:*',
      Queue: `arn:aws:sqs:${FAKE.region}:${FAKE.accountId}:${FAKE.stackName}-TranscodingQueue`,
      Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'recordings/' }, { Name: 'suffix', Value: '.mp4' }] } },
    },
  ]);
  t.equal(tpl.Resources.IngressBucket.DependsOn, 'TranscodingQueuePolicy', 'the policy exists before S3 validates the notification');
  const policy = props('TranscodingQueuePolicy');
  t.same(policy.Queues, [`https://sqs.${FAKE.region}.amazonaws.com/${FAKE.accountId}/${FAKE.stackName}-TranscodingQueue`]);
  t.same(policy.PolicyDocument.Statement, [
    {
      Sid: 'IngressBucketNotifications',
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: `arn:aws:sqs:${FAKE.region}:${FAKE.accountId}:${FAKE.stackName}-TranscodingQueue`,
      Condition: { ArnEquals: { 'aws:SourceArn': `arn:aws:s3:::${ingressBucketName}` }, StringEquals: { 'aws:SourceAccount': FAKE.accountId } },
    },
  ]);
});

t.test('S3: buckets are encrypted, private, and raw recordings expire', async (t) => {
  for (const name of ['IngressBucket', 'EgressBucket', 'ReleaseBucket']) {
    const b = props(name);
    t.same(b.BucketEncryption.ServerSideEncryptionConfiguration, [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }], `${name} encrypted`);
    t.same(b.PublicAccessBlockConfiguration, { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true }, `${name} private`);
  }
  const rules = props('IngressBucket').LifecycleConfiguration.Rules;
  t.same(rules.find((r: any) => r.Id === 'expire-raw-recordings'), { Id: 'expire-raw-recordings', Status: 'Enabled', Prefix: 'recordings/', ExpirationInDays: 7 });
  t.notOk(props('EgressBucket').WebsiteConfiguration, 'no website hosting: CloudFront serves the egress bucket');
});

t.test('ASGs: mixed instances, capacity-optimized Spot, several instance types', async (t) => {
  const asgs = resourcesOfType(tpl, 'AWS::AutoScaling::AutoScalingGroup').map(([n]) => n);
  t.same(asgs, ['OriginAutoScalingGroup', 'EdgeAutoScalingGroup', 'TranscoderAutoScalingGroup']);
  for (const name of asgs) {
    const p = props(name);
    const mip = p.MixedInstancesPolicy;
    t.equal(mip.InstancesDistribution.SpotAllocationStrategy, 'capacity-optimized', name);
    t.equal(Number(mip.InstancesDistribution.OnDemandPercentageAboveBaseCapacity), 0, `${name}: Spot above the base`);
    const types = mip.LaunchTemplate.Overrides.map((o: any) => o.InstanceType);
    t.equal(new Set(types).size, 4, `${name}: four distinct instance types ${types}`);
    t.equal(p.CapacityRebalance, true, `${name}: replaces Spot instances at risk`);
    t.same(p.VPCZoneIdentifier.length, 2, `${name}: both subnets`);
    t.notOk(p.LaunchConfigurationName, `${name}: no legacy launch configuration`);
  }
  t.same(resourcesOfType(tpl, 'AWS::EC2::SpotFleet'), [], 'no legacy Spot Fleet');
  const origin = props('OriginAutoScalingGroup');
  t.same([origin.MinSize, origin.MaxSize, origin.DesiredCapacity], ['1', '1', '1'], 'origin: an ASG of one for automatic replacement');
  t.equal(props('EdgeAutoScalingGroup').HealthCheckType, 'ELB');
  t.same(props('EdgeAutoScalingGroup').TargetGroupARNs, [`arn:aws:elasticloadbalancing:${FAKE.region}:${FAKE.accountId}:targetgroup/EdgeTargetGroup/0123456789abcdef`]);
  for (const lt of ['OriginLaunchTemplate', 'EdgeLaunchTemplate', 'TranscoderLaunchTemplate']) {
    t.equal(props(lt).LaunchTemplateData.MetadataOptions.HttpTokens, 'required', `${lt}: IMDSv2 only`);
    t.equal(props(lt).LaunchTemplateData.BlockDeviceMappings[0].Ebs.Encrypted, true, `${lt}: encrypted disk`);
  }
});

t.test('scaling: edges track ALB requests per target, transcoders track backlog per instance', async (t) => {
  const edge = props('EdgeRequestCountScaling');
  t.equal(edge.PolicyType, 'TargetTrackingScaling');
  t.equal(edge.AutoScalingGroupName, 'EdgeAutoScalingGroup-0123456789abcdef');
  t.same(edge.TargetTrackingConfiguration.PredefinedMetricSpecification, {
    PredefinedMetricType: 'ALBRequestCountPerTarget',
    ResourceLabel: 'ApplicationLoadBalancer.LoadBalancerFullName/EdgeTargetGroup.TargetGroupFullName',
  });
  const tr = props('TranscoderBacklogScaling');
  t.equal(tr.AutoScalingGroupName, 'TranscoderAutoScalingGroup-0123456789abcdef');
  const metrics = tr.TargetTrackingConfiguration.CustomizedMetricSpecification.Metrics;
  const byId = Object.fromEntries(metrics.map((m: any) => [m.Id, m]));
  t.equal(byId.visible.MetricStat.Metric.MetricName, 'ApproximateNumberOfMessagesVisible');
  t.same(byId.visible.MetricStat.Metric.Dimensions, [{ Name: 'QueueName', Value: `${FAKE.stackName}-TranscodingQueue` }]);
  t.equal(byId.instances.MetricStat.Metric.MetricName, 'GroupInServiceInstances');
  t.same(metrics.filter((m: any) => m.ReturnData).map((m: any) => m.Id), ['backlogPerInstance'], 'one returned series');
  t.match(byId.backlogPerInstance.Expression, /\(visible \+ inflight\) \/ IF\(instances > 0, instances, 1\)/);
  t.ok(props('TranscoderAutoScalingGroup').MetricsCollection[0].Metrics.includes('GroupInServiceInstances'), 'the group publishes the instance count');
});

t.test('origin: a stable Elastic IP that each replacement takes over', async (t) => {
  t.equal(props('OriginElasticIp').Domain, 'vpc');
  const assoc = rolePermissions('OriginRole').find((s) => s.actions.includes('ec2:AssociateAddress'));
  t.ok(assoc, 'the origin may associate the address');
  t.ok(resourcesOfType(tpl, 'AWS::EC2::EIPAssociation').length === 0, 'no static association: the instance takes the EIP at boot');
});

t.test('CloudFront: playlists and segments get separate cache policies, the edge gets the secret header', async (t) => {
  const dc = props('Distribution').DistributionConfig;
  const behaviours = Object.fromEntries(dc.CacheBehaviors.map((b: any) => [b.PathPattern, b]));
  t.equal(behaviours['*.m3u8'].CachePolicyId, 'PlaylistCachePolicy-0123456789abcdef');
  t.equal(behaviours['*.ts'].CachePolicyId, 'SegmentCachePolicy-0123456789abcdef');
  t.equal(behaviours['*.m3u8'].TargetOriginId, 'edge');
  t.equal(behaviours['*.ts'].TargetOriginId, 'edge');
  const playlist = props('PlaylistCachePolicy').CachePolicyConfig;
  const segment = props('SegmentCachePolicy').CachePolicyConfig;
  t.ok(Number(playlist.DefaultTTL) <= 5, `playlists without Cache-Control live at most a few seconds (${playlist.DefaultTTL})`);
  t.ok(Number(segment.DefaultTTL) >= 300, `segments are cached long (${segment.DefaultTTL})`);
  t.ok(Number(segment.DefaultTTL) > Number(playlist.DefaultTTL) * 10);
  const edgeOrigin = dc.Origins.find((o: any) => o.Id === 'edge');
  t.equal(edgeOrigin.DomainName, STACK_CHOICES.OriginDomainName, "the name the ALB's certificate covers");
  t.same(edgeOrigin.CustomOriginConfig.OriginProtocolPolicy, 'https-only', 'the secret header never crosses the internet in clear');
  t.same(edgeOrigin.CustomOriginConfig.OriginSSLProtocols, ['TLSv1.2']);
  t.same(edgeOrigin.OriginCustomHeaders, [
    { HeaderName: 'x-spherecast-client-secret', HeaderValue: `{{resolve:secretsmanager:arn:aws:secretsmanager:${FAKE.region}:${FAKE.accountId}:secret:ClientSecret-AbCdEf:SecretString}}` },
  ], 'the header value is a Secrets Manager dynamic reference, never plain text');
  t.equal(dc.DefaultCacheBehavior.TargetOriginId, 'edge', 'the player comes from the edges');
  t.equal(dc.DefaultCacheBehavior.ViewerProtocolPolicy, 'redirect-to-https');
});

t.test('CloudFront and LL-HLS: directives in the key, held requests waited for, errors kept briefly', async (t) => {
  const dc = props('Distribution').DistributionConfig;
  const playlist = props('PlaylistCachePolicy').CachePolicyConfig;
  t.same(playlist.ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig, { QueryStringBehavior: 'whitelist', QueryStrings: KEPT_QUERY_PARAMS }, "the edge's kept parameters and nothing else");
  for (const name of ['SegmentCachePolicy', 'VodCachePolicy']) {
    t.same(props(name).CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig, { QueryStringBehavior: 'none' }, name);
  }
  t.same(
    props('PlayerCachePolicy').CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig,
    { QueryStringBehavior: 'whitelist', QueryStrings: KEPT_QUERY_PARAMS_BY_PATH['/stat'] },
    "the player's behaviour (the default) also carries /stat: its JSON form, as the edge keeps it",
  );
  // The origin's blocking answer lives six target durations; LL streams have target durations of a few seconds.
  const maxTargetDuration = 10;
  t.ok(Number(playlist.MaxTTL) >= 6 * maxTargetDuration, `a blocking answer is kept as long as the origin says (MaxTTL ${playlist.MaxTTL})`);
  const edgeWait = Number(edgeSchema.upstreamHoldMax.default) + Number(edgeSchema.upstreamTimeout.default) + Number(edgeSchema.upstreamConnectTimeout.default);
  const read = Number(dc.Origins.find((o: any) => o.Id === 'edge').CustomOriginConfig.OriginReadTimeout);
  t.ok(read > edgeWait && read <= 60, `CloudFront waits ${read} s for the edge, which waits at most ${edgeWait} s for a held request`);
  const idle = Number(props('ApplicationLoadBalancer').LoadBalancerAttributes.find((a: any) => a.Key === 'idle_timeout.timeout_seconds').Value);
  t.ok(idle > edgeWait, `the ALB's idle timeout (${idle} s) outlasts a held request`);
  const errors = Object.fromEntries(dc.CustomErrorResponses.map((e: any) => [e.ErrorCode, Number(e.ErrorCachingMinTTL)]));
  t.same(errors, { 400: 0, 404: 1, 500: 0, 502: 0, 503: 0, 504: 0 }, 'errors kept at most 1 s, 400 and 503 not at all');
});

t.test('CloudFront: the egress bucket is private behind origin access control', async (t) => {
  const dc = props('Distribution').DistributionConfig;
  const vod = dc.Origins.find((o: any) => o.Id === 'vod');
  t.equal(vod.OriginAccessControlId, 'EgressOriginAccessControl.Id');
  t.same(vod.S3OriginConfig, { OriginAccessIdentity: '' }, 'no legacy origin access identity');
  t.equal(dc.CacheBehaviors.find((b: any) => b.PathPattern === 'vod/*').TargetOriginId, 'vod');
  const oac = props('EgressOriginAccessControl').OriginAccessControlConfig;
  t.same([oac.OriginAccessControlOriginType, oac.SigningBehavior, oac.SigningProtocol], ['s3', 'always', 'sigv4']);
  const allow = props('EgressBucketPolicy').PolicyDocument.Statement.find((s: any) => s.Effect === 'Allow');
  t.same(allow.Principal, { Service: 'cloudfront.amazonaws.com' });
  t.equal(allow.Action, 's3:GetObject');
  t.equal(allow.Condition.StringEquals['AWS:SourceArn'], `arn:aws:cloudfront::${FAKE.accountId}:distribution/Distribution-0123456789abcdef`);
});

t.test('alarms: origin down, queue backlog, dead letters, edge 5xx', async (t) => {
  const alarms = Object.fromEntries(resourcesOfType(tpl, 'AWS::CloudWatch::Alarm').map(([n]) => [n, props(n)]));
  const pick = (a: any) => [a.Namespace, a.MetricName, a.ComparisonOperator, Number(a.Threshold)];
  t.same(pick(alarms.OriginDownAlarm), ['AWS/AutoScaling', 'GroupInServiceInstances', 'LessThanThreshold', 1]);
  t.equal(alarms.OriginDownAlarm.Dimensions[0].Value, 'OriginAutoScalingGroup-0123456789abcdef');
  t.same(pick(alarms.QueueBacklogAlarm), ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'GreaterThanThreshold', 10]);
  t.same(pick(alarms.DeadLetterAlarm), ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'GreaterThanThreshold', 0]);
  t.equal(alarms.DeadLetterAlarm.Dimensions[0].Value, `${FAKE.stackName}-TranscodingDeadLetterQueue`);
  t.same(pick(alarms.EdgeTarget5xxAlarm).slice(0, 3), ['AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', 'GreaterThanThreshold']);
  const { TranscoderJobsWithoutWorkerAlarm: scaling, ...notifying } = alarms;
  for (const [n, a] of Object.entries(notifying)) t.same(a.AlarmActions, [`arn:aws:sns:${FAKE.region}:${FAKE.accountId}:${FAKE.stackName}-AlarmTopic`], `${n} notifies the topic`);
  t.same(scaling.AlarmActions, ['TranscoderScaleFromZero-0123456789abcdef'], 'the scale-from-zero alarm acts on the group, not on people');
});

t.test("outputs: the reference's names, the CloudFront domain and the RTMP publish URL", async (t) => {
  const outputs = Object.fromEntries(Object.entries(tpl.Outputs).map(([n, o]) => [n, ssm.evaluate(o.Value)]));
  for (const name of ['primaryOriginElasticIp', 'clientWebsiteUrl', 'applicationLoadBalancerDns', 'transcodingIngressBucketId', 'transcodingEgressBucketId', 'transcodingQueueUrl', 'cloudFrontDomainName', 'rtmpPublishUrl']) {
    t.ok(name in outputs, name);
  }
  t.equal(outputs.primaryOriginElasticIp, FAKE.eip);
  t.equal(outputs.rtmpPublishUrl, `rtmp://${FAKE.eip}:1935/live`);
  t.equal(outputs.clientWebsiteUrl, 'https://Distribution.DomainName/');
  t.equal(outputs.transcodingIngressBucketId, ingressBucketName);
  t.equal(outputs.transcodingQueueUrl, `https://sqs.${FAKE.region}.amazonaws.com/${FAKE.accountId}/${FAKE.stackName}-TranscodingQueue`);
  t.equal(outputs.releaseS3Url, `s3://${FAKE.stackName}-releasebucket-abc123/releases/spherecast.tgz`);
});

t.test('viewers reach only live HLS, VOD and the player: /stat, /metrics and the rest end at the ALB with 404', async (t) => {
  const dc = props('Distribution').DistributionConfig;
  const listener = props('AlbHttpsListener');
  t.same([listener.Port, listener.Protocol], [443, 'HTTPS'], 'the only listener is HTTPS');
  t.same(listener.Certificates, [{ CertificateArn: STACK_CHOICES.AlbCertificateArn }]);
  t.same(resourcesOfType(tpl, 'AWS::ElasticLoadBalancingV2::Listener').map(([n]) => n), ['AlbHttpsListener'], 'no plain-HTTP listener');
  const rules = resourcesOfType(tpl, 'AWS::ElasticLoadBalancingV2::ListenerRule').map(([n]) => props(n));
  t.ok(rules.every((r) => r.ListenerArn === 'AlbHttpsListener-0123456789abcdef'));
  const edges = `arn:aws:elasticloadbalancing:${FAKE.region}:${FAKE.accountId}:targetgroup/EdgeTargetGroup/0123456789abcdef`;
  const viewer = (path: string, method = 'GET') => {
    const origin = cloudFrontOrigin(dc, path);
    if (origin === 'vod') return 'vod bucket';
    const out = albOutcome(listener, rules, method, path);
    return out.forwardedTo === edges ? 'edges' : `ALB ${out.status}`;
  };
  for (const p of ['/hls/live.m3u8', '/hls/live_720p.m3u8', '/hls/live_720p/17.ts', '/hls/live/init.m4s', '/vod-live/index.json', '/vod-live/live/1764158819123/index.m3u8', '/vod-live/live/1764158819123/init-0.mp4', '/', '/index.html', '/player.html', '/player.css', '/build/player.js', '/build/aframe-v1.8.0.min.js']) {
    t.equal(viewer(p), 'edges', `${p} is served`);
  }
  t.equal(viewer('/vod/talk/MANIFEST.M3U8'), 'vod bucket');
  t.equal(viewer('/vod/index.json'), 'vod bucket');
  for (const p of ['/stat', '/stat.json', '/metrics', '/healthz', '/control/drop/publisher', '/status', '/hls', '/build', '/HLS/live.m3u8', '/x.m3u8', '/live.ts']) {
    t.equal(viewer(p), 'ALB 404', `${p} is not exposed`);
  }
  t.equal(viewer('/hls/live.m3u8', 'POST'), 'ALB 404', 'only reads');
});

t.test('request routing: path patterns match the whole path with * and ?', async (t) => {
  t.ok(pathPatternMatches('/hls/*', '/hls/a/b.ts'));
  t.notOk(pathPatternMatches('/hls/*', '/hlsx/a'));
  t.notOk(pathPatternMatches('/', '/index.html'));
  t.ok(pathPatternMatches('/*.m3u8', '/a/b.m3u8'));
  t.ok(pathPatternMatches('/seg?.ts', '/seg1.ts'));
  t.notOk(pathPatternMatches('/a.b', '/axb'), 'a dot is a dot');
});
