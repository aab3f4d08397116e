/**
 * The grants evaluated, not just read: each rule of issue 14's "requests and grants that AWS
 * would accept, and no more" is a request IAM must deny and one it must allow, decided by a
 * small IAM policy evaluator (iam-evaluator.ts) over the synthesized policies. Each rule is
 * also shown to catch the grant broadened (its condition removed: the denied request is then
 * allowed), so a test cannot pass on a policy that would not have stopped anything.
 *
 * The stack is synthesized from a variant of environments/canonical.json that exercises what
 * the canonical one does not: a database identifier longer than a restored instance's name
 * leaves room for (54 characters), every tier launched from a template given by ID (a template
 * given by name cannot be pinned: its ARN ends in an ID AWS generates), the middle tier retired
 * by terminating, the web tier rolled by surge.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CreateDBInstanceCommand, RDSClient, RestoreDBInstanceFromDBSnapshotCommand } from '@aws-sdk/client-rds';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../lambdas/compute/database-creation';
import { newIdentifier } from '../../lambdas/restore-data/plan-restore-data';
import { CREATED_BY_TAG, DATABASE_SENT_TAG, LAUNCH_GROUP_TAG, LAUNCH_SCOPE_TAG, LAUNCHED_BY_TAG, RETIRED_REASON_TAG, RETIRED_TAGS, OUT_OF_TRAFFIC_TAG, SURGE_REASON } from '../../lambdas/domain/contract/tags';
import { restoredPrefix, snapshotNameGranted, snapshotNamePatterns } from '../../lambdas/domain/contract/records';
import { FLEETFLOW_INSTANCE_TAG_KEYS } from '../../lambdas/domain/environment/aws-names';
import { parseEnvironment } from '../../lambdas/domain/environment/parse';
import { masterSecretName } from '../../lambdas/domain/environment/master-password';
import { broadened, evaluate, isAllowed, type IamRequest } from './iam-evaluator';
import {
  allIdentityStatements,
  allRoles,
  canonicalEnvironment,
  expectedArn,
  lambdaByHandler,
  lambdaFunctions,
  roleStatements,
  stateMachines,
  synthesizeCanonical,
  type PolicyStatement,
  type SynthesizedCanonical,
} from './support';

const LONG_IDENTIFIER = 'canonical-orders-primary-database-eu-west-1-production';
const MIDDLE_TEMPLATE = 'lt-0123456789abcdefa';

function variantEnvironment() {
  const env = canonicalEnvironment();
  env.tiers[0]!.database!.instanceIdentifier = LONG_IDENTIFIER;
  env.tiers.filter((t) => t.launch).forEach((t, i) => (t.launch!.template = { id: `lt-0123456789abcdef${i}` }));
  const middle = env.tiers.find((t) => t.name === 'middle')!;
  middle.launch!.template = { id: MIDDLE_TEMPLATE };
  middle.retire = 'terminate';
  const web = env.tiers.find((t) => t.name === 'web')!;
  (web.batch as Record<string, unknown>).strategy = 'surge';
  return env;
}

const env = variantEnvironment();
const parsed = parseEnvironment(env);
const tierTags = (name: string) => Object.fromEntries(Object.entries(env.tiers.find((t) => t.name === name)!.hosts!.tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
const requestTags = (name: string) => Object.fromEntries(Object.entries(env.tiers.find((t) => t.name === name)!.hosts!.tags).map(([k, v]) => [`aws:RequestTag/${k}`, v]));
const INSTANCE = expectedArn('ec2', 'instance/i-0123456789abcdef0');
const create = env.tiers[0]!.database!.create!;

// --- the evaluator's own semantics, on statements written by hand ---

const statement = (s: Partial<PolicyStatement>): PolicyStatement => ({ Effect: 'Allow', Action: ['ec2:DeleteTags'], Resource: ['*'], source: 'test', ...s });

describe('the IAM evaluator', () => {
  it('denies without a matching Allow, allows with one, and lets an explicit Deny win', () => {
    const request: IamRequest = { action: 'ec2:DeleteTags', resource: INSTANCE };

    expect(evaluate([], request)).toBe('implicitly denied');
    expect(evaluate([statement({})], request)).toBe('allowed');
    expect(evaluate([statement({}), statement({ Effect: 'Deny' })], request)).toBe('explicitly denied');
  });

  it('matches actions case-insensitively with wildcards, and resources with wildcards', () => {
    expect(isAllowed([statement({ Action: ['EC2:delete*'] })], { action: 'ec2:DeleteTags', resource: INSTANCE })).toBe(true);
    expect(isAllowed([statement({ Action: ['ec2:Create*'] })], { action: 'ec2:DeleteTags', resource: INSTANCE })).toBe(false);
    expect(isAllowed([statement({ Resource: [expectedArn('ec2', 'instance/i-?123*')] })], { action: 'ec2:DeleteTags', resource: INSTANCE })).toBe(true);
    expect(isAllowed([statement({ Resource: [expectedArn('ec2', 'volume/*')] })], { action: 'ec2:DeleteTags', resource: INSTANCE })).toBe(false);
  });

  it('holds ForAllValues true for a missing or empty key set, ForAnyValue false, and Null as the key\'s absence', () => {
    const forAll = statement({ Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a'] } } });
    const forAny = statement({ Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['a'] } } });
    const required = statement({ Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a'] }, Null: { 'aws:TagKeys': 'false' } } });
    const ask = (s: PolicyStatement, keys?: string[]) => isAllowed([s], { action: 'ec2:DeleteTags', resource: INSTANCE, ...(keys ? { context: { 'aws:TagKeys': keys } } : {}) });

    expect([ask(forAll), ask(forAll, []), ask(forAll, ['a']), ask(forAll, ['a', 'b'])]).toEqual([true, true, true, false]);
    expect([ask(forAny), ask(forAny, []), ask(forAny, ['a', 'b']), ask(forAny, ['b'])]).toEqual([false, false, true, false]);
    expect([ask(required), ask(required, []), ask(required, ['a']), ask(required, ['b'])]).toEqual([false, false, true, false]);
  });

  it('reads StringEquals and StringLike case-sensitively, ArnLike with wildcards, Bool case-insensitively, and fails a missing key', () => {
    const ask = (condition: PolicyStatement['Condition'], context: IamRequest['context']) =>
      isAllowed([statement({ Condition: condition })], { action: 'ec2:DeleteTags', resource: INSTANCE, context });

    expect(ask({ StringEquals: { 'aws:ResourceTag/tier': ['web', 'middle'] } }, { 'AWS:ResourceTag/tier': 'middle' })).toBe(true);
    expect(ask({ StringEquals: { 'aws:ResourceTag/tier': 'web' } }, { 'aws:ResourceTag/tier': 'Web' })).toBe(false);
    expect(ask({ StringEquals: { 'aws:ResourceTag/tier': 'web' } }, {})).toBe(false);
    expect(ask({ StringLike: { 'aws:ResourceTag/tier': 'w?b*' } }, { 'aws:ResourceTag/tier': 'web-1' })).toBe(true);
    expect(ask({ ArnLike: { 'ec2:LaunchTemplate': expectedArn('ec2', 'launch-template/*') } }, { 'ec2:LaunchTemplate': expectedArn('ec2', 'launch-template/lt-1') })).toBe(true);
    expect(ask({ Bool: { 'rds:StorageEncrypted': 'true' } }, { 'rds:StorageEncrypted': true })).toBe(true);
    expect(ask({ Bool: { 'rds:StorageEncrypted': 'true' } }, { 'rds:StorageEncrypted': 'FALSE' })).toBe(false);
    expect(ask({ Bool: { 'rds:StorageEncrypted': 'true' } }, {})).toBe(false);
  });

  it('refuses an operator it does not model rather than guessing', () => {
    expect(() => isAllowed([statement({ Condition: { NumericLessThan: { 'rds:StorageSize': '100' } } })], { action: 'ec2:DeleteTags', resource: INSTANCE, context: { 'rds:StorageSize': '20' } })).toThrow(
      /NumericLessThan is not modelled/,
    );
  });
});

// --- the synthesized policies ---

describe('grants evaluated against the synthesized policies', () => {
  let synth: SynthesizedCanonical;
  let statementsOf: (handler: string) => PolicyStatement[];

  beforeAll(() => {
    synth = synthesizeCanonical({ environment: env });
    statementsOf = (handler) => roleStatements(synth.json, lambdaByHandler(synth.json, handler).roleLogicalId);
  });
  afterAll(() => synth?.cleanup());

  describe('tag keys are required beside ForAllValues', () => {
    const deleteNoKeys = (tier: string): IamRequest => ({ action: 'ec2:DeleteTags', resource: INSTANCE, context: tierTags(tier) });

    it('denies a DeleteTags that names no keys to every role of the stack, on every tier\'s hosts', () => {
      const holders = allRoles(synth.json).flatMap((role) =>
        ['middle', 'web', 'monitoring'].filter((tier) => isAllowed(roleStatements(synth.json, role), deleteNoKeys(tier))).map((tier) => `${role} on ${tier}`),
      );

      expect(holders).toEqual([]);
    });

    it('denies a CreateTags that names no keys outside RunInstances to every role of the stack', () => {
      const holders = allRoles(synth.json).filter((role) => isAllowed(roleStatements(synth.json, role), { action: 'ec2:CreateTags', resource: INSTANCE, context: tierTags('middle') }));

      expect(holders).toEqual([]);
    });

    it('allows the DeleteTags each task sends, of its own keys, and no other key', () => {
      const returnToTraffic = statementsOf('rollout/return-to-traffic.ts');
      const checkReconfigured = statementsOf('restore-data/check-reconfigured.ts');
      const remove = (keys: string[]): IamRequest => ({ action: 'ec2:DeleteTags', resource: INSTANCE, context: { ...tierTags('middle'), 'aws:TagKeys': keys } });

      expect(isAllowed(returnToTraffic, remove([OUT_OF_TRAFFIC_TAG]))).toBe(true);
      expect(isAllowed(returnToTraffic, remove([OUT_OF_TRAFFIC_TAG, 'fleetflow:tier']))).toBe(false);
      expect(isAllowed(checkReconfigured, remove([DATABASE_SENT_TAG]))).toBe(true);
      expect(isAllowed(statementsOf('surge/start-hosts.ts'), remove([...RETIRED_TAGS]))).toBe(true);
    });

    it('is what stops it: without Null aws:TagKeys, the DeleteTags naming no keys would be allowed', () => {
      expect(isAllowed(broadened(statementsOf('rollout/return-to-traffic.ts'), 'Null'), deleteNoKeys('middle'))).toBe(true);
      expect(isAllowed(broadened(statementsOf('rollout/check-install.ts'), 'Null'), deleteNoKeys('web'))).toBe(true);
    });
  });

  describe("RunInstances only from the tier's launch template", () => {
    const template = (id: string) => expectedArn('ec2', `launch-template/${id}`);
    const launch = (resource: string, templateId: string, extra: Record<string, string | boolean | string[]> = {}): IamRequest => ({
      action: 'ec2:RunInstances',
      resource,
      context: { 'ec2:LaunchTemplate': template(templateId), ...extra },
    });
    const instanceOf = (templateId: string) =>
      launch(INSTANCE, templateId, { ...requestTags('middle'), 'aws:TagKeys': [...Object.keys(env.tiers.find((t) => t.name === 'middle')!.hosts!.tags), LAUNCHED_BY_TAG, LAUNCH_GROUP_TAG] });
    const image = expectedArn('ec2', 'image/ami-0123456789abcdef0', '');
    const subnet = expectedArn('ec2', `subnet/${env.tiers.find((t) => t.name === 'middle')!.launch!.subnets[0]!.id}`);

    it.each(['compute/launch-hosts.ts', 'surge/launch-surge-hosts.ts'])('%s launches the middle tier from its template (by ID), and from no other', (handler) => {
      const grants = statementsOf(handler);

      for (const [what, resource] of [['template', template(MIDDLE_TEMPLATE)], ['subnet', subnet], ['instance', INSTANCE]] as const) {
        const request = what === 'instance' ? instanceOf(MIDDLE_TEMPLATE) : launch(resource, MIDDLE_TEMPLATE);
        expect(isAllowed(grants, request), `${what} from ${MIDDLE_TEMPLATE}`).toBe(true);
      }
      expect(isAllowed(grants, launch(template('lt-0fffffffffffffff0'), 'lt-0fffffffffffffff0'))).toBe(false);
      expect(isAllowed(grants, launch(subnet, 'lt-0fffffffffffffff0'))).toBe(false);
    });

    it('denies an image, security group or key pair the request overrides, and allows the template\'s own', () => {
      const grants = statementsOf('compute/launch-hosts.ts');

      expect(isAllowed(grants, launch(image, MIDDLE_TEMPLATE, { 'ec2:IsLaunchTemplateResource': true }))).toBe(true);
      expect(isAllowed(grants, launch(image, MIDDLE_TEMPLATE, { 'ec2:IsLaunchTemplateResource': false }))).toBe(false);
      expect(isAllowed(grants, launch(expectedArn('ec2', 'security-group/sg-0123456789abcdef0'), MIDDLE_TEMPLATE, { 'ec2:IsLaunchTemplateResource': false }))).toBe(false);
      // A launch without a template at all (no ec2:LaunchTemplate in the request) is denied on every resource.
      expect(isAllowed(grants, { action: 'ec2:RunInstances', resource: subnet })).toBe(false);
    });

    it('is what stops it: without the ec2:LaunchTemplate condition, another template would be allowed into the subnet', () => {
      expect(isAllowed(broadened(statementsOf('compute/launch-hosts.ts'), 'ArnLike'), launch(subnet, 'lt-0fffffffffffffff0'))).toBe(true);
    });
  });

  describe('databases only as the definition declares them', () => {
    const dbArn = expectedArn('rds', `db:${LONG_IDENTIFIER}`);
    const declared = {
      'rds:DatabaseEngine': create.engine as string,
      'rds:DatabaseClass': create.instanceClass as string,
      'rds:MultiAz': parsed.tiers[0]!.role === 'data' ? String(parsed.tiers[0]!.database.create!.multiAz) : 'true',
      'rds:StorageEncrypted': 'true',
    };
    const createDb = (context: Record<string, string | string[]>): IamRequest => ({ action: 'rds:CreateDBInstance', resource: dbArn, context });

    it('allows CreateDBInstance of the declared engine, class and Multi-AZ with encrypted storage, and denies it unencrypted', () => {
      const grants = statementsOf('compute/create-database.ts');

      expect(isAllowed(grants, createDb(declared))).toBe(true);
      expect(isAllowed(grants, createDb({ ...declared, 'rds:StorageEncrypted': 'false' }))).toBe(false);
      expect(isAllowed(grants, createDb({ ...declared, 'rds:DatabaseEngine': 'mysql' }))).toBe(false);
      expect(isAllowed(grants, createDb({ ...declared, 'rds:DatabaseClass': 'db.r6g.16xlarge' }))).toBe(false);
      expect(isAllowed(grants, createDb({ ...declared, 'rds:MultiAz': 'false' }))).toBe(false);
    });

    it('is what stops it: without the Bool condition, unencrypted storage would be allowed', () => {
      expect(isAllowed(broadened(statementsOf('compute/create-database.ts'), 'Bool', 'rds:StorageEncrypted'), createDb({ ...declared, 'rds:StorageEncrypted': 'false' }))).toBe(true);
    });

    it('conditions no restore on a key the restore actions do not carry, so AWS would not deny every restore (restore-data and allocate)', () => {
      // Service Authorization Reference, Amazon RDS: RestoreDBInstanceFromDBSnapshot and RestoreDBInstanceToPointInTime
      // list rds:BackupTarget, aws:RequestTag, aws:TagKeys and rds:req-tag only.
      const supported = /^(rds:BackupTarget|aws:RequestTag\/.+|aws:TagKeys|rds:req-tag\/.+)$/;
      const restored = expectedArn('rds', `db:${restoredPrefix(LONG_IDENTIFIER, 'snapshot')}202612010300-1a2b3c4d`);
      const snapshot = expectedArn('rds', `snapshot:fleetflow-${env.name}-1.2.3-abc`);
      const restore = (resource: string): IamRequest => ({ action: 'rds:RestoreDBInstanceFromDBSnapshot', resource });

      for (const [handler, target] of [['restore-data/restore-database.ts', restored], ['compute/create-database.ts', dbArn]] as const) {
        const restores = statementsOf(handler).filter((st) => [st.Action].flat().some((a) => String(a).startsWith('rds:Restore')));
        expect(restores.length, handler).toBeGreaterThan(0);
        for (const st of restores) {
          const keys = Object.values((st.Condition ?? {}) as Record<string, Record<string, unknown>>).flatMap((byKey) => Object.keys(byKey));
          expect(keys.filter((k) => !supported.test(k)), handler).toEqual([]);
        }
        expect(isAllowed(statementsOf(handler), restore(target)), handler).toBe(true);
        expect(isAllowed(statementsOf(handler), restore(snapshot)), handler).toBe(true);
        expect(isAllowed(statementsOf(handler), restore(expectedArn('rds', 'db:another-database'))), handler).toBe(false);
      }
    });

    it('has no condition key for public access: the schema has no field for it and Create Database always sends PubliclyAccessible false', async () => {
      const withPublic = canonicalEnvironment();
      (withPublic.tiers[0]!.database!.create as Record<string, unknown>).publiclyAccessible = true;
      expect(() => parseEnvironment(withPublic)).toThrow(/publiclyAccessible/);

      const rdsMock = mockClient(RDSClient);
      // The environment keeps its master password in its own secret ("fleetflow-secret"), which Create Database reads.
      const secretsMock = mockClient(SecretsManagerClient);
      try {
        rdsMock.on(CreateDBInstanceCommand).resolves({}).on(RestoreDBInstanceFromDBSnapshotCommand).resolves({});
        secretsMock.on(GetSecretValueCommand).resolves({ SecretString: 'a-generated-password-of-32-chars' });
        const data = parsed.tiers[0]!;
        if (data.role !== 'data') throw new Error('the variant lost its data tier');
        const plan = { instanceIdentifier: LONG_IDENTIFIER, create: data.database.create!, timeoutSeconds: 3600, polling: parsed.polling, masterSecret: masterSecretName(parsed.name) };
        await createDatabase({ execution: 'exec-1', database: plan });
        await createDatabase({ execution: 'exec-1', database: { ...plan, fromSnapshot: { identifier: `fleetflow-${env.name}-1`, createdAt: '2026-12-01T03:00:00Z' } } });

        const sent = [...rdsMock.commandCalls(CreateDBInstanceCommand), ...rdsMock.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)].map((c) => c.args[0].input);
        expect(sent).toHaveLength(2);
        for (const input of sent) expect(input.PubliclyAccessible).toBe(false);
        expect(rdsMock.commandCalls(CreateDBInstanceCommand)[0]!.args[0].input.StorageEncrypted).toBe(true);
      } finally {
        rdsMock.restore();
        secretsMock.restore();
      }
    });

    it('lets Create Database tag the instance with its creator only, naming the key', () => {
      const grants = statementsOf('compute/create-database.ts');
      const tag = (keys?: string[]): IamRequest => ({ action: 'rds:AddTagsToResource', resource: dbArn, ...(keys ? { context: { 'aws:TagKeys': keys } } : {}) });

      expect(isAllowed(grants, tag([CREATED_BY_TAG]))).toBe(true);
      expect(isAllowed(grants, tag(['owner']))).toBe(false);
      expect(isAllowed(grants, tag())).toBe(false);
      expect(isAllowed(broadened(grants, 'ForAllValues:StringEquals'), tag(['owner']))).toBe(true);
    });
  });

  describe("retirement as each tier's retire policy says", () => {
    const act = (action: string, tier: string, extra: Record<string, string> = {}): IamRequest => ({ action, resource: INSTANCE, context: { ...tierTags(tier), ...extra } });

    it('lets Retire Hosts stop, never terminate, the hosts of a tier that retires by stopping', () => {
      const grants = statementsOf('compute/retire-hosts.ts');

      expect(isAllowed(grants, act('ec2:StopInstances', 'monitoring'))).toBe(true);
      expect(isAllowed(grants, act('ec2:TerminateInstances', 'monitoring'))).toBe(false);
    });

    it('lets Retire Hosts terminate, never stop, the hosts of a tier that retires by terminating', () => {
      const grants = statementsOf('compute/retire-hosts.ts');

      expect(isAllowed(grants, act('ec2:TerminateInstances', 'middle'))).toBe(true);
      expect(isAllowed(grants, act('ec2:StopInstances', 'middle'))).toBe(false);
    });

    // The release's end (statemachines/deploy/deploy-workflow.ts): only an environment with a surge tier has it.
    it(`lets Terminate Surged terminate only a surge tier's hosts that a surge retired (${RETIRED_REASON_TAG} = ${SURGE_REASON})`, () => {
      const grants = statementsOf('surge/terminate-surged.ts');

      expect(isAllowed(grants, act('ec2:TerminateInstances', 'web', { [`aws:ResourceTag/${RETIRED_REASON_TAG}`]: SURGE_REASON }))).toBe(true);
      expect(isAllowed(grants, act('ec2:TerminateInstances', 'web'))).toBe(false);
      expect(isAllowed(grants, act('ec2:TerminateInstances', 'web', { [`aws:ResourceTag/${RETIRED_REASON_TAG}`]: 'replaced' }))).toBe(false);
      expect(isAllowed(grants, act('ec2:StopInstances', 'web', { [`aws:ResourceTag/${RETIRED_REASON_TAG}`]: SURGE_REASON }))).toBe(false);
    });

    it("lets Terminate Surged tag why and terminate a surge tier's hosts a surge launched (a stopped execution's never set up), and no other tier's", () => {
      const grants = statementsOf('surge/terminate-surged.ts');
      const launchedBySurge = { [`aws:ResourceTag/${LAUNCH_SCOPE_TAG}`]: 'surge#web#1' };

      expect(isAllowed(grants, act('ec2:TerminateInstances', 'web', launchedBySurge))).toBe(true);
      expect(isAllowed(grants, act('ec2:TerminateInstances', 'middle', { [`aws:ResourceTag/${LAUNCH_SCOPE_TAG}`]: 'surge#middle#1' }))).toBe(false);
      const tag = (keys: string[]): IamRequest => ({ action: 'ec2:CreateTags', resource: INSTANCE, context: { ...tierTags('web'), 'aws:TagKeys': keys } });

      expect(isAllowed(grants, tag([...RETIRED_TAGS]))).toBe(true);
      expect(isAllowed(grants, tag(['fleetflow:tier']))).toBe(false);
      expect(isAllowed(broadened(grants, 'Null'), act('ec2:TerminateInstances', 'web'))).toBe(true);
    });

    it("lets a surge tier's Retire Hosts stop old hosts and terminate only the hosts a surge launched (its launch scope)", () => {
      const grants = statementsOf('compute/retire-hosts.ts');

      expect(isAllowed(grants, act('ec2:StopInstances', 'web'))).toBe(true);
      expect(isAllowed(grants, act('ec2:TerminateInstances', 'web', { [`aws:ResourceTag/${LAUNCH_SCOPE_TAG}`]: 'web/1' }))).toBe(true);
      expect(isAllowed(grants, act('ec2:TerminateInstances', 'web'))).toBe(false);
      expect(isAllowed(broadened(grants, 'Null'), act('ec2:TerminateInstances', 'web'))).toBe(true);
    });
  });

  // Scale in (lib/scale-in-access.ts): the planner only reads; the hosts leave through the rollout's Retire Hosts.
  describe('scale-in: hosts retired only by Retire Hosts, only carrying a tier\'s tags, by the tier\'s policy', () => {
    const host = (action: string, tags: Record<string, string>): IamRequest => ({ action, resource: INSTANCE, context: tags });

    it('lets Plan Scale In describe instances, their status and protection, target groups, their delay and health, and write its plan items, and nothing else', () => {
      const grants = statementsOf('compute/plan-scale-in.ts');

      expect(isAllowed(grants, { action: 'ec2:DescribeInstances', resource: '*' })).toBe(true);
      expect(isAllowed(grants, { action: 'elasticloadbalancing:DescribeTargetGroups', resource: '*' })).toBe(true);
      for (const action of ['ec2:TerminateInstances', 'ec2:StopInstances', 'ec2:CreateTags', 'elasticloadbalancing:DeregisterTargets']) {
        for (const tier of ['middle', 'web', 'monitoring']) expect(isAllowed(grants, host(action, tierTags(tier))), `${action} ${tier}`).toBe(false);
      }
      const granted = new Set(grants.filter((g) => g.Effect === 'Allow').flatMap((g) => g.Action));
      // DescribeTargetGroupAttributes: the deregistration delay its retire batches drain by (lambdas/compute/retire-traffic.ts);
      // DescribeTargetHealth, DescribeInstanceStatus: the hosts failing their health checks (host-health.ts);
      // DescribeInstanceAttribute: the chosen hosts' stop and termination protection (retire-guards.ts).
      expect([...granted].filter((a) => !/^(logs|xray):/.test(a)).sort()).toEqual([
        'dynamodb:BatchWriteItem',
        'ec2:DescribeInstanceAttribute',
        'ec2:DescribeInstanceStatus',
        'ec2:DescribeInstances',
        'elasticloadbalancing:DescribeTargetGroupAttributes',
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetHealth',
      ]);
    });

    it("lets Retire Hosts terminate a host of a terminating tier only when it carries that tier's tags of this environment", () => {
      const grants = statementsOf('compute/retire-hosts.ts');

      expect(isAllowed(grants, host('ec2:TerminateInstances', tierTags('middle')))).toBe(true);
      expect(isAllowed(grants, host('ec2:TerminateInstances', { ...tierTags('middle'), 'aws:ResourceTag/fleetflow:environment': 'staging' }))).toBe(false);
      expect(isAllowed(grants, host('ec2:TerminateInstances', {}))).toBe(false);
      // A tier that retires by stopping is never terminated, whatever asks.
      expect(isAllowed(grants, host('ec2:TerminateInstances', tierTags('monitoring')))).toBe(false);
    });

    it('lets the scale-in state machine invoke only its planner and call EC2 not at all', () => {
      const machine = stateMachines(synth.json).get(`fleetflow-${env.name}-scale-in`)!;
      const grants = roleStatements(synth.json, machine.roleLogicalId);

      expect(grants.flatMap((g) => g.Action).filter((a) => a.startsWith('ec2:'))).toEqual([]);
      const invoked = grants.filter((g) => g.Action.includes('lambda:InvokeFunction')).flatMap((g) => g.Resource.map((r) => JSON.stringify(r)));
      expect(invoked.length).toBeGreaterThan(0);
      expect(invoked.filter((r) => !r.includes('PlanScaleIn'))).toEqual([]);
    });
  });

  describe("restored instances' names keep matching the snapshot grants, whatever the identifier's length", () => {
    it('allows restore-data --source latest from an automated snapshot of a restored instance of a 54-character identifier', () => {
      const restoredId = newIdentifier(LONG_IDENTIFIER, { kind: 'snapshot', snapshot: 'x', instance: LONG_IDENTIFIER, snapshotType: 'manual' }, '2026-12-01T03:00:00Z', 'exec-1');
      expect(restoredId.length).toBeLessThanOrEqual(63);
      const automated = expectedArn('rds', `snapshot:rds:${restoredId}-2026-12-02-03-10`);
      const read: IamRequest = { action: 'rds:DescribeDBSnapshots', resource: automated };
      const restore: IamRequest = {
        action: 'rds:RestoreDBInstanceFromDBSnapshot',
        resource: automated,
      };

      expect(isAllowed(statementsOf('restore-data/plan-restore-data.ts'), read)).toBe(true);
      expect(isAllowed(statementsOf('restore-data/restore-database.ts'), restore)).toBe(true);
      expect(isAllowed(statementsOf('restore-data/restore-database.ts'), { ...restore, resource: expectedArn('rds', 'snapshot:rds:another-database-2026-12-02-03-10') })).toBe(false);
    });

    it('names every restored instance under the grants, for every identifier length from 1 to 63', () => {
      for (let length = 1; length <= 63; length += 1) {
        const base = `d${'a1-b'.repeat(20)}`.slice(0, length).replace(/-+$/, '');
        const patterns = snapshotNamePatterns(base, 'canonical');
        for (const kind of ['snapshot', 'point-in-time'] as const) {
          const source = kind === 'snapshot' ? ({ kind, snapshot: 's', instance: base, snapshotType: 'manual' } as const) : ({ kind, instance: base } as const);
          const id = newIdentifier(base, source, '2026-12-01T03:00:00Z', 'exec-1');
          expect(id.length, id).toBeLessThanOrEqual(63);
          expect(id.startsWith(restoredPrefix(base, kind)), id).toBe(true);
          expect(snapshotNameGranted(`rds:${id}-2026-12-02-03-10`, patterns), id).toBe(true);
        }
      }
    });
  });

  // DescribeInstanceAttribute: the planners that read the protection of hosts they retire (lambdas/compute/retire-guards.ts),
  // Plan Release among them here, as this variant's web tier is released by surge.
  const DESCRIBES = ['elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetHealth', 'ec2:DescribeInstanceAttribute'];

  describe('every ELB describe, and DescribeInstanceAttribute, only on the roles whose handlers call it', () => {
    /** The DESCRIBES commands each handler's bundle constructs (esbuild, tree-shaken: what it can call). */
    async function describesOf(handler: string): Promise<string[]> {
      const result = await build({
        entryPoints: [fileURLToPath(new URL(`../../lambdas/${handler}`, import.meta.url))],
        bundle: true,
        write: false,
        format: 'esm',
        platform: 'node',
        external: ['@aws-sdk/*', '@smithy/*', '@aws-lambda-powertools/*'],
        logLevel: 'silent',
      });
      const text = result.outputFiles[0]!.text;
      return DESCRIBES.filter((action) => new RegExp(`new ${action.split(':')[1]}Command\\d*\\(`).test(text));
    }

    it('grants DescribeTargetGroups, DescribeTargetHealth and DescribeInstanceAttribute exactly to the functions whose code calls them', async () => {
      const fns = lambdaFunctions(synth.json);
      expect(fns.length).toBeGreaterThan(40);
      const mismatches: string[] = [];
      const called = new Map(await Promise.all([...new Set(fns.map((f) => f.handler))].map(async (h) => [h, await describesOf(h)] as const)));
      for (const fn of fns) {
        const calls = called.get(fn.handler)!;
        const statements = roleStatements(synth.json, fn.roleLogicalId);
        for (const action of DESCRIBES) {
          const granted = isAllowed(statements, { action, resource: '*' });
          if (granted !== calls.includes(action)) mismatches.push(`${fn.handler}: ${action} ${granted ? 'granted, never called' : 'called, not granted'}`);
        }
      }

      expect(mismatches).toEqual([]);
      expect(fns.filter((fn) => isAllowed(roleStatements(synth.json, fn.roleLogicalId), { action: 'ec2:DescribeInstanceAttribute', resource: '*' })).map((fn) => fn.handler).sort()).toEqual([
        'compute/plan-replacement.ts',
        'compute/plan-scale-in.ts',
        'deploy/plan-release.ts',
      ]);
    });

    it('reads the handlers it checks: every handler module of lambdas/ with a function', () => {
      const modules = ['rollout', 'deploy', 'database', 'compute', 'surge', 'restore-data', 'recover', 'replace-database'].flatMap((dir) =>
        readdirSync(fileURLToPath(new URL(`../../lambdas/${dir}/`, import.meta.url))).map((f) => `${dir}/${f}`),
      );
      for (const fn of lambdaFunctions(synth.json)) expect(modules).toContain(fn.handler);
    });
  });

  describe('the tag budget counts every tag key FleetFlow writes on an instance', () => {
    it('lists every key a role may write or remove on an instance, besides the tiers\' selectors', () => {
      const selectorKeys = new Set(env.tiers.flatMap((t) => Object.keys(t.hosts?.tags ?? {})));
      const written = new Set<string>();
      for (const s of allIdentityStatements(synth.json)) {
        if (!s.Action.some((a) => ['ec2:CreateTags', 'ec2:DeleteTags', 'ec2:RunInstances'].includes(a))) continue;
        if (!s.Resource.some((r) => r.includes(':instance/'))) continue;
        const keys = s.Condition?.['ForAllValues:StringEquals']?.['aws:TagKeys'];
        for (const key of (Array.isArray(keys) ? keys : []) as string[]) if (!selectorKeys.has(key)) written.add(key);
      }

      expect([...written].sort()).toEqual([...FLEETFLOW_INSTANCE_TAG_KEYS].sort());
    });
  });
});
