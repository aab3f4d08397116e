/**
 * Least privilege of the compute workflows' tasks (lib/compute-access.ts), read from the
 * synthesized template: hosts are launched (by a compute workflow, or by a surge batch) only
 * from the environment's definition (its subnets, its tiers' instance roles passed to EC2
 * only, each instance carrying its tier's tags from the moment it exists, and tagged only as
 * it is launched); hosts are stopped, started or terminated only by the tasks that retire
 * them, bring a surge's back, or clean up what a failed execution launched or a validated
 * surge replaced, and only hosts carrying a tier's tags (and, for the cleanups, their launch
 * or retirement record); the database is created only under the environment's own
 * identifier; and no role of the stack can modify, stop, reboot or delete a database instance.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate, isAllowed } from './iam-evaluator';
import { LAUNCH_GROUP_TAG, LAUNCH_SCOPE_TAG, LAUNCHED_BY_TAG, RETIRED_REASON_TAG, SURGE_REASON } from '../../lambdas/domain/contract/tags';
import {
  allIdentityStatements,
  allowing,
  allRoles,
  canonicalEnvironment,
  expectedArn,
  lambdaByHandler,
  lambdaFunctions,
  onlyResourceOfType,
  resourceCovers,
  roleStatements,
  rolesAllowing,
  stateMachines,
  sharedCanonical,
  synthesizeCanonical,
  TEST_ENV,
  type CfnTemplate,
  type PolicyStatement,
  type CanonicalTemplate,
  type SynthesizedCanonical,
} from './support';

const canonical = canonicalEnvironment();
const hostTiers = canonical.tiers.filter((t) => t.role !== 'data');
/** The tiers the compute workflows launch hosts for: those with a `launch` section. */
const launchable = hostTiers.filter((t) => t.launch);
const databaseTier = canonical.tiers.find((t) => t.role === 'data')!;
const database = databaseTier.database!;
const create = database.create!;

const INSTANCE_ARN = expectedArn('ec2', 'instance/*');
/** An instance FleetFlow knows nothing about, to test what a granted pattern covers. */
const SOME_INSTANCE = expectedArn('ec2', 'instance/i-0123456789abcdef0');
const SUBNET_ARNS = [...new Set(launchable.flatMap((t) => t.launch!.subnets.map((s) => expectedArn('ec2', `subnet/${s.id}`))))].sort();
const FOREIGN_SUBNET = expectedArn('ec2', 'subnet/subnet-0fffffffffffffff0');
const INSTANCE_ROLE_ARNS = [...new Set(launchable.map((t) => `arn:\${AWS::Partition}:iam::${TEST_ENV.account}:role/${t.launch!.instanceRole}`))].sort();
const DB_ARN = expectedArn('rds', `db:${database.instanceIdentifier}`);
const SUBNET_GROUP_ARN = expectedArn('rds', `subgrp:${create.subnetGroup}`);
const PARAMETER_GROUP_ARNS = create.parameterGroup ? [expectedArn('rds', `pg:${create.parameterGroup}`)] : [];
const SECURITY_GROUP_ARNS = create.securityGroups.map((sg) => expectedArn('ec2', `security-group/${sg}`)).sort();

/** The tasks that launch hosts: a compute workflow's (Launch Hosts), a surge batch's (Launch Surge Hosts). Both hold the same grants. */
const LAUNCHERS = ['compute/launch-hosts.ts', 'surge/launch-surge-hosts.ts'];

/**
 * What no role of the stack may ever do to a database instance. (rds:ModifyDBInstance is held by
 * replace-database's Switch Over alone, because RDS performs it under the caller's permissions when
 * switching a blue/green deployment over: test/infra/replace-database-iam.test.ts checks that.)
 */
const RDS_NEVER = ['rds:DeleteDBInstance', 'rds:StopDBInstance', 'rds:RebootDBInstance'];
/** The EC2 actions granted anywhere in the stack: reads, the host records (tags), and launching, stopping, terminating. */
const EC2_GRANTED = [
  'ec2:CreateTags',
  'ec2:DeleteTags',
  'ec2:DescribeInstanceAttribute',
  'ec2:DescribeInstanceStatus',
  'ec2:DescribeInstances',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeVpcs',
  'ec2:RunInstances',
  'ec2:StartInstances',
  'ec2:StopInstances',
  'ec2:TerminateInstances',
];

const withPrefix = (prefix: string, tags: Record<string, string>) => Object.fromEntries(Object.entries(tags).map(([key, value]) => [`${prefix}/${key}`, value]));
const describeStatement = (s: PolicyStatement) => `${s.source}: ${s.Action.join(',')} on ${s.Resource.join(',')} ${JSON.stringify(s.Condition ?? {})}`;
const sorted = <T>(values: Iterable<T>) => [...values].sort();

describe('compute workflows: IAM', () => {
  let synth: CanonicalTemplate;
  let statements: PolicyStatement[];
  const roleOf = (handler: string) => lambdaByHandler(synth.json, handler).roleLogicalId;
  const statementsOf = (handler: string) => roleStatements(synth.json, roleOf(handler));
  /** Role logical IDs by what they are: a function's handler module, or a state machine's name. */
  const namesOf = (roleIds: string[]) =>
    roleIds
      .map(
        (id) =>
          lambdaFunctions(synth.json).find((f) => f.roleLogicalId === id)?.handler ??
          [...stateMachines(synth.json)].find(([, m]) => m.roleLogicalId === id)?.[0] ??
          id,
      )
      .sort();

  beforeAll(() => {
    synth = sharedCanonical();
    statements = allIdentityStatements(synth.json);
  });
  afterAll(() => synth?.cleanup());

  it('finds what environments/canonical.json lets the compute workflows launch and create', () => {
    expect(launchable.map((t) => t.name).sort()).toEqual(['middle', 'monitoring', 'web']);
    expect(SUBNET_ARNS.length).toBeGreaterThan(0);
    expect(INSTANCE_ROLE_ARNS).toHaveLength(launchable.length);
    expect(create.subnetGroup).toEqual(expect.any(String));
    expect(create.securityGroups.length).toBeGreaterThan(0);
    expect([LAUNCHED_BY_TAG, LAUNCH_GROUP_TAG, LAUNCH_SCOPE_TAG]).toEqual(['fleetflow:launched-by', 'fleetflow:launch-group', 'fleetflow:launch-scope']);
    expect([RETIRED_REASON_TAG, SURGE_REASON]).toEqual(['fleetflow:retired-reason', 'surge']);
  });

  describe('launching hosts', () => {
    const runInstances = (launcher: string) => allowing(statementsOf(launcher), 'ec2:RunInstances');
    /** The RunInstances statements that authorize the instance itself. */
    const onInstances = (launcher: string) => runInstances(launcher).filter((s) => s.Resource.some((r) => resourceCovers(r, SOME_INSTANCE)));

    it('lets only Launch Hosts and Launch Surge Hosts call ec2:RunInstances', () => {
      expect(namesOf(rolesAllowing(synth.json, 'ec2:RunInstances'))).toEqual([...LAUNCHERS].sort());
    });

    it.each(LAUNCHERS)(
      "%s launches an instance only when the request carries one tier's selector tags (aws:RequestTag), and no tag keys but the tier's and the launch records (ForAllValues aws:TagKeys)",
      (launcher) => {
        const grants = onInstances(launcher);
        const tierOf = (statement: PolicyStatement) =>
          launchable.find((t) => JSON.stringify(statement.Condition?.StringEquals) === JSON.stringify(withPrefix('aws:RequestTag', t.hosts!.tags)));

        expect(grants).toHaveLength(launchable.length);
        for (const statement of grants) {
          const tier = tierOf(statement);
          expect(tier, `${describeStatement(statement)} names no tier's tags`).toBeDefined();
          expect(statement.Resource, describeStatement(statement)).toEqual([INSTANCE_ARN]);
          expect(sorted(Object.keys(statement.Condition ?? {})), describeStatement(statement)).toEqual(['ArnLike', 'ForAllValues:StringEquals', 'Null', 'StringEquals']);
          expect(statement.Condition!.Null, describeStatement(statement)).toEqual({ 'aws:TagKeys': 'false' });
          expect(statement.Condition!.StringEquals, describeStatement(statement)).toEqual(withPrefix('aws:RequestTag', tier!.hosts!.tags));
          expect(Object.keys(statement.Condition!['ForAllValues:StringEquals']!), describeStatement(statement)).toEqual(['aws:TagKeys']);
          const keys = statement.Condition!['ForAllValues:StringEquals']!['aws:TagKeys'] as string[];
          expect(sorted(keys), describeStatement(statement)).toEqual(sorted([...Object.keys(tier!.hosts!.tags), LAUNCHED_BY_TAG, LAUNCH_GROUP_TAG, LAUNCH_SCOPE_TAG]));
        }
        // One statement per tier: every launchable tier, none twice.
        expect(new Set(grants.map((s) => tierOf(s)!.name)).size).toBe(launchable.length);
      },
    );

    it('grants RunInstances on an instance only in those conditioned statements, whichever role', () => {
      const anyOnInstances = allowing(statements, 'ec2:RunInstances').filter((s) => s.Resource.some((r) => resourceCovers(r, SOME_INSTANCE)));

      expect(anyOnInstances.length).toBe(LAUNCHERS.reduce((n, launcher) => n + onInstances(launcher).length, 0));
    });

    it("launches only into the environment's subnets, by ID", () => {
      const subnets = allowing(statements, 'ec2:RunInstances')
        .flatMap((s) => s.Resource)
        .filter((r) => r.includes(':subnet/') || resourceCovers(r, FOREIGN_SUBNET));

      expect(subnets.length).toBeGreaterThan(0);
      expect(sorted(new Set(subnets))).toEqual(SUBNET_ARNS);
      expect(subnets.filter((r) => r.includes('*')), 'subnet wildcards').toEqual([]);
      for (const launcher of LAUNCHERS) {
        const own = runInstances(launcher)
          .flatMap((s) => s.Resource)
          .filter((r) => r.includes(':subnet/'));
        expect(sorted(new Set(own)), launcher).toEqual(SUBNET_ARNS);
      }
    });

    it.each(LAUNCHERS)("%s launches only from the tiers' launch templates: by ID when the definition gives one, any template only when it names them", (launcher) => {
      const templates = [...new Set(runInstances(launcher).flatMap((s) => s.Resource).filter((r) => r.includes(':launch-template/')))].sort();
      const byId = launchable.flatMap((t) => ('id' in t.launch!.template ? [expectedArn('ec2', `launch-template/${t.launch!.template.id}`)] : []));
      const byName = launchable.some((t) => 'name' in t.launch!.template);

      expect(templates).toEqual(sorted(new Set([...byId, ...(byName ? [expectedArn('ec2', 'launch-template/*')] : [])])));
    });

    it.each(LAUNCHERS)('%s writes tags only as part of RunInstances (ec2:CreateAction = RunInstances), on what it launches', (launcher) => {
      const grants = allowing(statementsOf(launcher), 'ec2:CreateTags');

      expect(grants.length).toBeGreaterThan(0);
      for (const statement of grants) {
        expect(statement.Condition, describeStatement(statement)).toEqual({ StringEquals: { 'ec2:CreateAction': 'RunInstances' } });
        expect(sorted(statement.Resource), describeStatement(statement)).toEqual(sorted([INSTANCE_ARN, expectedArn('ec2', 'volume/*')]));
      }
      expect(allowing(statementsOf(launcher), 'ec2:DeleteTags')).toEqual([]);
    });

    it("passes only the tiers' instance roles (iam:PassRole), only to EC2, and no role of the stack but the launchers may pass a role", () => {
      expect(namesOf(rolesAllowing(synth.json, 'iam:PassRole'))).toEqual([...LAUNCHERS].sort());
      for (const launcher of LAUNCHERS) {
        const grants = allowing(statementsOf(launcher), 'iam:PassRole');
        expect(sorted(new Set(grants.flatMap((s) => s.Resource))), launcher).toEqual(INSTANCE_ROLE_ARNS);
        for (const statement of grants) {
          expect(statement.Condition, describeStatement(statement)).toEqual({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
          expect(statement.Resource.filter((r) => r.includes('*') || r.includes('?')), describeStatement(statement)).toEqual([]);
        }
      }
    });
  });

  describe('stopping, starting and terminating hosts', () => {
    /** Each statement of the task granting the action: on instances only, and its conditions one per host tier, with `extra` beside the tier's tags. */
    const onTierInstances = (handler: string, action: string, extra: { StringEquals?: Record<string, string>; Null?: Record<string, string> } = {}) => {
      const grants = allowing(statementsOf(handler), action);

      expect(grants, `${handler} ${action}`).toHaveLength(hostTiers.length);
      for (const statement of grants) {
        expect(statement.Resource, describeStatement(statement)).toEqual([INSTANCE_ARN]);
        expect(sorted(Object.keys(statement.Condition ?? {})), describeStatement(statement)).toEqual(sorted(['StringEquals', ...(extra.Null ? ['Null'] : [])]));
        if (extra.Null) expect(statement.Condition!.Null, describeStatement(statement)).toEqual(extra.Null);
      }
      expect(sorted(grants.map((s) => JSON.stringify(s.Condition!.StringEquals)))).toEqual(
        sorted(hostTiers.map((t) => JSON.stringify({ ...withPrefix('aws:ResourceTag', t.hosts!.tags), ...(extra.StringEquals ?? {}) }))),
      );
    };

    // The canonical tiers retire by stopping (the default) and roll without surge: Retire Hosts may not terminate
    // (test/infra/iam-conditions.test.ts evaluates the terminate and surge policies).
    // No canonical tier rolls by surge: Terminate Surged does not exist there (iam-conditions.test.ts holds its grant on a surge tier).
    it('lets only Retire Hosts stop hosts; only Terminate Launched terminate the canonical tiers\' hosts; only a surge rollback start them', () => {
      expect(namesOf(rolesAllowing(synth.json, 'ec2:StopInstances'))).toEqual(['compute/retire-hosts.ts']);
      expect(namesOf(rolesAllowing(synth.json, 'ec2:TerminateInstances'))).toEqual(['compute/terminate-launched.ts']);
      expect(namesOf(rolesAllowing(synth.json, 'ec2:StartInstances'))).toEqual(['surge/check-started.ts', 'surge/start-hosts.ts']);
    });

    it.each(['ec2:StopInstances'])("lets Retire Hosts call %s only on instances carrying a tier's tags (aws:ResourceTag)", (action) => {
      onTierInstances('compute/retire-hosts.ts', action);
    });

    it(`lets Terminate Launched terminate only instances carrying a tier's tags and a ${LAUNCHED_BY_TAG} tag (what a workflow launched), and stop none`, () => {
      onTierInstances('compute/terminate-launched.ts', 'ec2:TerminateInstances', { Null: { [`aws:ResourceTag/${LAUNCHED_BY_TAG}`]: 'false' } });
      expect(allowing(statementsOf('compute/terminate-launched.ts'), 'ec2:StopInstances')).toEqual([]);
    });

    it.each(['surge/start-hosts.ts', 'surge/check-started.ts'])("lets %s start only instances carrying a tier's tags", (handler) => {
      onTierInstances(handler, 'ec2:StartInstances');
    });

    it('lets only the allocate and scale-out planners read load balancers, listeners, rules, security groups and VPCs (the network checks)', () => {
      for (const action of [
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeListenerCertificates',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeVpcs',
        'acm:DescribeCertificate',
        'route53:ListResourceRecordSets',
      ]) {
        expect(namesOf(rolesAllowing(synth.json, action)), action).toEqual(['compute/plan-allocation.ts', 'compute/plan-scale-out.ts']);
      }
    });

    it("lets the planners describe only this account's and region's ACM certificates, and list records only in the declared hosted zones", () => {
      const zones = launchable.flatMap((t) => {
        const domain = (t.traffic as { domain?: { hostedZoneId?: string } }).domain;
        return domain?.hostedZoneId ? [domain.hostedZoneId] : [];
      });
      // canonical.json declares a zone for its web tier: without one there would be nothing to scope.
      expect(zones.length).toBeGreaterThan(0);
      for (const handler of ['compute/plan-allocation.ts', 'compute/plan-scale-out.ts']) {
        const own = statementsOf(handler);
        expect(sorted(new Set(allowing(own, 'acm:DescribeCertificate').flatMap((st) => st.Resource))), handler).toEqual([expectedArn('acm', 'certificate/*')]);
        expect(sorted(new Set(allowing(own, 'route53:ListResourceRecordSets').flatMap((st) => st.Resource))), handler).toEqual(
          sorted(new Set(zones.map((id) => `arn:\${AWS::Partition}:route53:::hostedzone/${id}`))),
        );
        // Reads only: nothing that changes a record or a certificate.
        for (const action of ['route53:ChangeResourceRecordSets', 'acm:DeleteCertificate', 'acm:ImportCertificate']) {
          expect(allowing(own, action).map(describeStatement), `${handler} ${action}`).toEqual([]);
        }
      }
      const zoneGrants = allowing(statements, 'route53:ListResourceRecordSets').flatMap((st) => st.Resource);
      expect(zoneGrants.some((granted) => resourceCovers(granted, `arn:\${AWS::Partition}:route53:::hostedzone/ZOTHERZONE0000`))).toBe(false);
    });

    it("never stops, starts or terminates an instance without a tier's aws:ResourceTag conditions, whichever role", () => {
      const unconditioned = ['ec2:StopInstances', 'ec2:StartInstances', 'ec2:TerminateInstances'].flatMap((action) =>
        allowing(statements, action).filter((s) => {
          const tags = (s.Condition?.StringEquals ?? {}) as Record<string, unknown>;
          return !hostTiers.some((t) => Object.entries(withPrefix('aws:ResourceTag', t.hosts!.tags)).every(([key, value]) => tags[key] === value));
        }),
      );

      expect(unconditioned.map(describeStatement)).toEqual([]);
    });

    it(`grants no EC2 action but ${EC2_GRANTED.join(', ')}: nothing reboots or modifies an instance, or deletes a volume or template`, () => {
      const granted = sorted(new Set(statements.flatMap((s) => s.Action).filter((a) => a.toLowerCase().startsWith('ec2:'))));

      expect(granted).toEqual(EC2_GRANTED);
      for (const action of ['ec2:RebootInstances', 'ec2:ModifyInstanceAttribute', 'ec2:DeleteVolume', 'ec2:CreateLaunchTemplateVersion']) {
        expect(allowing(statements, action).map(describeStatement), action).toEqual([]);
      }
    });
  });

  describe('the database', () => {
    let grants: PolicyStatement[];
    let resources: string[];

    beforeAll(() => {
      grants = allowing(statements, 'rds:CreateDBInstance');
      resources = [...new Set(grants.flatMap((s) => s.Resource))];
    });

    it('lets only Create Database call rds:CreateDBInstance', () => {
      expect(namesOf(rolesAllowing(synth.json, 'rds:CreateDBInstance'))).toEqual(['compute/create-database.ts']);
      expect(grants.length).toBeGreaterThan(0);
    });

    it(`creates only the environment's own instance: db:${database.instanceIdentifier}, and no other instance or cluster`, () => {
      const instances = resources.filter((r) => /:rds:[^:]*:[^:]*:(db|cluster):/.test(r) || resourceCovers(r, expectedArn('rds', 'db:another-database')));

      expect(instances).toEqual([DB_ARN]);
      for (const other of ['db:another-database', `db:${database.instanceIdentifier}-copy`, 'cluster:another-cluster']) {
        expect(resources.filter((r) => resourceCovers(r, expectedArn('rds', other))), other).toEqual([]);
      }
    });

    it("creates it only in the environment's subnet group, with its parameter group and security groups, by name", () => {
      const ofType = (pattern: RegExp) => sorted(resources.filter((r) => pattern.test(r)));

      expect(ofType(/:subgrp:/)).toEqual([SUBNET_GROUP_ARN]);
      expect(ofType(/:pg:/)).toEqual(PARAMETER_GROUP_ARNS);
      expect(ofType(/:security-group\//)).toEqual(SECURITY_GROUP_ARNS);
      // Anything else is what CreateDBInstance and a restore also authorize, which the definition does not name: the engine's
      // default option group, and the instance's own snapshots (automated, and FleetFlow's).
      const named = new Set([DB_ARN, SUBNET_GROUP_ARN, ...PARAMETER_GROUP_ARNS, ...SECURITY_GROUP_ARNS]);
      const others = resources.filter((r) => !named.has(r));
      expect(others.filter((r) => !/:rds:[^:]*:[^:]*:(og:default:\*|snapshot:rds:canonical-db-\*|snapshot:canonical-db-\*|snapshot:fleetflow-canonical-\*)$/.test(r))).toEqual([]);
      // None of it is granted on Resource "*".
      expect(resources).not.toContain('*');
    });

    it('creates the master password secret as "fleetflow-secret" mode says: named fleetflow/canonical/database-master, generated without the characters RDS refuses, retained', () => {
      const secret = synth.json.Resources[onlyResourceOfType(synth.json, 'AWS::SecretsManager::Secret')]!;
      const generate = secret.Properties?.GenerateSecretString as { ExcludeCharacters: string; PasswordLength: number; SecretStringTemplate?: string };

      expect(secret.Properties?.Name).toBe('fleetflow/canonical/database-master');
      expect(secret.Properties?.SecretString).toBeUndefined();
      for (const refused of ['/', '@', '"', ' ']) expect(generate.ExcludeCharacters).toContain(refused);
      expect(generate.PasswordLength).toBeGreaterThanOrEqual(8);
      expect(generate.PasswordLength).toBeLessThanOrEqual(41);
      expect(generate.SecretStringTemplate).toBeUndefined();
      expect((secret as { DeletionPolicy?: string }).DeletionPolicy).toBe('Retain');
    });

    it("lets only Create Database read a secret value, and only its environment's master password secret (IAM evaluator); nothing creates an RDS-managed secret in this mode", () => {
      const secretArn = `\${${onlyResourceOfType(synth.json, 'AWS::SecretsManager::Secret')}}`;
      const read = (resource: string) => ({ action: 'secretsmanager:GetSecretValue', resource });
      const createDatabase = lambdaByHandler(synth.json, 'compute/create-database.ts').roleLogicalId;

      expect(allRoles(synth.json).filter((role) => isAllowed(roleStatements(synth.json, role), read(secretArn)))).toEqual([createDatabase]);
      // Another environment's secret, an RDS-managed one, any other secret of the account: not even Create Database.
      for (const other of ['secret:fleetflow/surge/database-master-AbC123', 'secret:rds!db-0123abcd-4567-89ef-0123-456789abcdef-XyZ789', 'secret:prod/payments-Qw3rTy']) {
        expect(allRoles(synth.json).filter((role) => isAllowed(roleStatements(synth.json, role), read(expectedArn('secretsmanager', other)))), other).toEqual([]);
      }
      // Nobody reads it through Parameter Store's reference to Secrets Manager either.
      expect(allRoles(synth.json).filter((role) => isAllowed(roleStatements(synth.json, role), { action: 'ssm:GetParameter', resource: expectedArn('ssm', 'parameter/aws/reference/secretsmanager/fleetflow/canonical/database-master') }))).toEqual([]);
      for (const action of ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:RotateSecret']) {
        expect(rolesAllowing(synth.json, action), action).toEqual([]);
      }
    });
  });

  describe('no role of the stack can change a database instance', () => {
    it('reads every role: each function role and each state machine role is among them', () => {
      const roles = new Set(allRoles(synth.json));

      for (const fn of lambdaFunctions(synth.json)) expect(roles.has(fn.roleLogicalId), fn.handler).toBe(true);
      for (const [name, machine] of stateMachines(synth.json)) expect(roles.has(machine.roleLogicalId), name).toBe(true);
      // deploy, rollout, allocate, scale-out, scale-in, replace, restore-data, recover, replace-database.
      expect(stateMachines(synth.json).size).toBe(9);
    });

    it.each(RDS_NEVER)('lets no role call %s, on any resource, not even through a wildcard action', (action) => {
      const holders = allRoles(synth.json).flatMap((id) => allowing(roleStatements(synth.json, id), action).map((s) => `${id}: ${describeStatement(s)}`));

      expect(holders).toEqual([]);
    });

    it('lets only replace-database\'s Switch Over call rds:ModifyDBInstance (what RDS does at a blue/green switchover)', () => {
      const holders = allRoles(synth.json).filter((id) => allowing(roleStatements(synth.json, id), 'rds:ModifyDBInstance').length > 0);
      expect(holders).toEqual([lambdaByHandler(synth.json, 'replace-database/switch-over.ts').roleLogicalId]);
    });

    it('grants no role a wildcard RDS action (rds:*, rds:Modify*, *), on any resource', () => {
      const wildcards = allRoles(synth.json).flatMap((id) =>
        roleStatements(synth.json, id)
          .filter((s) => s.Action.some((a) => a === '*' || (a.toLowerCase().startsWith('rds:') && /[*?]/.test(a))))
          .map((s) => `${id}: ${describeStatement(s)}`),
      );

      expect(wildcards).toEqual([]);
    });

    it('writes no policy with NotAction or NotResource, which could allow any of it by exclusion', () => {
      const documents = Object.entries((synth.json as CfnTemplate).Resources).filter(([, r]) => ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role'].includes(r.Type));
      const excluding = documents.filter(([, r]) => /"Not(Action|Resource)"/.test(JSON.stringify(r.Properties))).map(([id]) => id);

      expect(documents.length).toBeGreaterThan(0);
      expect(excluding).toEqual([]);
    });
  });
});

/**
 * The same stack with `database.create.masterPassword: "rds-managed"` (one more synth, of the
 * fixture): RDS creates the master user secret with Create Database's permissions, so that
 * function may create only rds!db-* secrets, and the stack makes no secret of its own nor
 * grants any read of one.
 */
describe('compute workflows IAM, "rds-managed" master password', () => {
  let synth: SynthesizedCanonical;

  beforeAll(() => {
    synth = synthesizeCanonical({ environment: JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/rds-managed-password.json', import.meta.url)), 'utf8')) });
  });
  afterAll(() => synth?.cleanup());

  it('lets Create Database create only the master user secret RDS manages (rds!db-*), and no role read a secret value; the stack has no secret', () => {
    const createDatabase = lambdaByHandler(synth.json, 'compute/create-database.ts').roleLogicalId;
    const createSecret = (resource: string) => ({ action: 'secretsmanager:CreateSecret', resource });

    expect(allRoles(synth.json).filter((role) => isAllowed(roleStatements(synth.json, role), createSecret(expectedArn('secretsmanager', 'secret:rds!db-0123abcd-4567-89ef-0123-456789abcdef-XyZ789'))))).toEqual([createDatabase]);
    expect(evaluate(roleStatements(synth.json, createDatabase), createSecret(expectedArn('secretsmanager', 'secret:fleetflow/canonical/database-master-AbC123')))).toBe('implicitly denied');
    for (const action of ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecret', 'secretsmanager:DeleteSecret']) {
      expect(rolesAllowing(synth.json, action), action).toEqual([]);
    }
    expect(Object.values(synth.json.Resources).filter((r) => r.Type === 'AWS::SecretsManager::Secret')).toEqual([]);
  });
});
