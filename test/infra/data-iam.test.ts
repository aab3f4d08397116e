/**
 * Least privilege of the data workflows (lib/data-access.ts, and what the stack grants the
 * restore-data and recover state machines), read from the synthesized canonical stack:
 * - no role of the stack (every Lambda role, every state machine role, the scheduler's) may
 *   modify, rename, stop, reboot, fail over, promote or delete a DB instance, through any
 *   action or action wildcard, on any resource: not the environment's current database
 *   (db:canonical-db), not the instances restore-data creates (db:canonical-db-snap-*, db:canonical-db-pitr-*);
 * - only Create Database (allocate) and Restore Database restore, and Restore Database only
 *   into a new instance named after the environment's database, from its own snapshots;
 * - the connection parameter is written only by Write Connection, the current-database record
 *   only by Record Database;
 * - the reconfigure document is sent only by Reconfigure Hosts, only to the hosts of the tiers
 *   that use the database; the check document only by Validate Data, only to the runner tier's;
 * - recover starts only this environment's allocate, restore-data and deploy state machines.
 *
 * Each check is a function of the template, so that the last block can prove it fails when
 * the grant it checks is broadened: it adds the broader statement to a copy of the template
 * and expects the same check to report it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allowing,
  allRoles,
  canonicalEnvironment,
  expectedArn,
  expectedDocumentArn,
  lambdaByHandler,
  lambdaFunctions,
  resourceCovers,
  roleStatements,
  stateMachineId,
  stateMachineRoleId,
  stateMachines,
  sharedCanonical,
  type CanonicalEnvironment,
  type CfnTemplate,
  type PolicyStatement,
  type CanonicalTemplate,
} from './support';

const canonical = canonicalEnvironment();
const hostTiers = canonical.tiers.filter((t) => t.role !== 'data');
const database = canonical.tiers.find((t) => t.role === 'data')!.database!;
const restore = database.restore!;
const IDENTIFIER = database.instanceIdentifier!;

/** The environment's database as defined, and the instances restore-data creates (<identifier>-<source>-<execution>). */
const DB_ARN = expectedArn('rds', `db:${IDENTIFIER}`);
/** The instances a restore may name: db:<identifier>-snap-* and db:<identifier>-pitr-* (restoredPrefix). */
const RESTORED_DB_ARNS = ['snap', 'pitr'].map((kind) => expectedArn('rds', `db:${IDENTIFIER}-${kind}-*`)).sort();
/** One such restored instance, as Plan Restore Data names them (newIdentifier). */
const A_RESTORED_DB = expectedArn('rds', `db:${IDENTIFIER}-snap-202611290300-1a2b3c4d`);
/** The environment's snapshots: FleetFlow's, RDS's automated ones of its instances (rds:<instance>-<time>), manual ones named after it. */
const OWN_SNAPSHOT_ARNS = [
  expectedArn('rds', `snapshot:fleetflow-${canonical.name}-*`),
  expectedArn('rds', `snapshot:rds:${IDENTIFIER}-*`),
  expectedArn('rds', `snapshot:${IDENTIFIER}-*`),
].sort();
const CONNECTION_ARN = expectedArn('ssm', `parameter${restore.connectionParameter}`);
const DATABASE_RECORD_ARN = expectedArn('ssm', `parameter/fleetflow/${canonical.name}/database/current`);
const RECONNECT_DOCUMENT_ARN = expectedDocumentArn(restore.reconfigure.document);
const CHECK_DOCUMENT_ARN = expectedDocumentArn(restore.check.document);
const INSTANCE_ARN = expectedArn('ec2', 'instance/*');
const SOME_INSTANCE = expectedArn('ec2', 'instance/i-0123456789abcdef0');
const MACHINE = (workflow: string) => `fleetflow-${canonical.name}-${workflow}`;

/** The other environments of the repository: none of their databases may be a restore's target or source. */
const OTHER_ENVIRONMENTS = readdirSync(new URL('../../environments/', import.meta.url))
  // environment.schema.json beside them is the JSON Schema they name, not an environment.
  .filter((file) => file.endsWith('.json') && !file.endsWith('.schema.json'))
  .map((file) => JSON.parse(readFileSync(new URL(`../../environments/${file}`, import.meta.url), 'utf8')) as CanonicalEnvironment)
  .filter((environment) => environment.name !== canonical.name);
/** Their instances (as defined, and as a restore of theirs names them) and their snapshots, plus an instance whose identifier merely starts like ours. */
const FOREIGN_INSTANCES = [
  ...OTHER_ENVIRONMENTS.flatMap((e) =>
    e.tiers.flatMap((t) => (t.database?.instanceIdentifier ? [`db:${t.database.instanceIdentifier}`, `db:${t.database.instanceIdentifier}-snap-202611290300-1a2b3c4d`] : [])),
  ),
  'db:another-database',
  `db:${IDENTIFIER}2`,
  // Another database whose identifier merely begins with ours and a hyphen: restores name theirs -snap- or -pitr-.
  `db:${IDENTIFIER}-reports`,
].map((resource) => expectedArn('rds', resource));
const FOREIGN_SNAPSHOTS = [
  ...OTHER_ENVIRONMENTS.flatMap((e) => [
    `snapshot:fleetflow-${e.name}-1-2-0-abc`,
    ...e.tiers.flatMap((t) => (t.database?.instanceIdentifier ? [`snapshot:rds:${t.database.instanceIdentifier}-2026-11-29-03-00`, `snapshot:${t.database.instanceIdentifier}-manual`] : [])),
  ]),
  // Snapshots of another instance whose identifier starts with ours (canonical-db2, canonical-dbx): not this environment's database.
  `snapshot:rds:${IDENTIFIER}2-2026-11-29-03-00`,
  `snapshot:${IDENTIFIER}x-manual`,
].map((resource) => expectedArn('rds', resource));

/**
 * What no role may do to a DB instance, by action-name prefix: modify (which also renames, with NewDBInstanceIdentifier),
 * delete, stop, reboot, fail over, promote, switch over (a blue/green switchover renames the instances).
 */
const INSTANCE_CHANGING_PREFIXES = ['rds:Modify', 'rds:Delete', 'rds:Stop', 'rds:Reboot', 'rds:Failover', 'rds:Promote', 'rds:Switchover'];
/** The concrete actions among them that act on a DB instance (or the cluster it may belong to). */
const INSTANCE_CHANGING_ACTIONS = [
  'rds:ModifyDBInstance',
  'rds:DeleteDBInstance',
  'rds:StopDBInstance',
  'rds:RebootDBInstance',
  'rds:FailoverDBCluster',
  'rds:PromoteReadReplica',
  'rds:SwitchoverReadReplica',
  'rds:SwitchoverBlueGreenDeployment',
  'rds:ModifyDBCluster',
  'rds:DeleteDBCluster',
  'rds:DeleteDBInstanceAutomatedBackup',
];

/**
 * Whether an IAM action pattern (`*` and `?` wildcards, case-insensitive) matches some action that starts with `prefix`:
 * the pattern, run as an automaton over the prefix, still has a state left at its end (whatever is left of a pattern
 * always matches some string). So `rds:*`, `*`, `rds:Mod*`, `rds:*Instance` and `r?s:*` match `rds:Modify`; `rds:Describe*` does not.
 */
function matchesSomeActionStartingWith(pattern: string, prefix: string): boolean {
  const p = pattern.toLowerCase();
  const x = prefix.toLowerCase();
  const closure = (states: Set<number>) => {
    const out = new Set(states);
    for (const i of out) if (p[i] === '*') out.add(i + 1);
    return out;
  };
  let states = closure(new Set([0]));
  for (const c of x) {
    const next = new Set<number>();
    for (const i of states) {
      if (i >= p.length) continue;
      if (p[i] === '*') next.add(i);
      else if (p[i] === '?' || p[i] === c) next.add(i + 1);
    }
    states = closure(next);
    if (states.size === 0) return false;
  }
  return states.size > 0;
}

// --- the checks: each a function of the template ---

const describeStatement = (s: PolicyStatement) => `${s.source}: ${s.Action.join(',')} on ${s.Resource.join(',')}${s.Condition ? ` if ${JSON.stringify(s.Condition)}` : ''}`;

/** What a role is: a function's handler module, a state machine's name, or its logical ID. */
function nameOf(template: CfnTemplate, roleId: string): string {
  return (
    lambdaFunctions(template).find((f) => f.roleLogicalId === roleId)?.handler ??
    [...stateMachines(template)].find(([, m]) => m.roleLogicalId === roleId)?.[0] ??
    roleId
  );
}

/**
 * Replace-database's Switch Over may switch over a blue/green deployment of its environment (which
 * renames the instances, and is the workflow's purpose), and so holds the two actions RDS performs
 * for it under the caller's permissions ("The user who switches over a blue/green deployment must
 * have permissions to perform ... rds:ModifyDBInstance, rds:PromoteReadReplica", RDS User Guide):
 * those two statements are checked by test/infra/replace-database-iam.test.ts, and only they are
 * left out here.
 */
const SWITCHOVER_STATEMENTS = [['rds:SwitchoverBlueGreenDeployment'], ['rds:ModifyDBInstance', 'rds:PromoteReadReplica']].map((a) => JSON.stringify(a));
const isReplaceDatabaseSwitchover = (template: CfnTemplate, roleId: string, s: PolicyStatement) =>
  nameOf(template, roleId) === 'replace-database/switch-over.ts' && SWITCHOVER_STATEMENTS.includes(JSON.stringify([...s.Action].sort()));

/** Every Allow statement of every role of the stack that lets it change a DB instance, through any action or wildcard. */
function instanceChangers(template: CfnTemplate): string[] {
  return allRoles(template).flatMap((roleId) =>
    roleStatements(template, roleId)
      .filter((s) => !isReplaceDatabaseSwitchover(template, roleId, s))
      .filter((s) => s.Effect === 'Allow' && s.Action.some((a) => INSTANCE_CHANGING_PREFIXES.some((prefix) => matchesSomeActionStartingWith(a, prefix))))
      .map((s) => `${nameOf(template, roleId)}: ${describeStatement(s)}`),
  );
}

/** The roles (by name) allowed the action on a resource the given ARN falls under. */
function allowedOn(template: CfnTemplate, action: string, arn: string): string[] {
  return allRoles(template)
    .filter((roleId) => allowing(roleStatements(template, roleId), action).some((s) => s.Resource.some((r) => resourceCovers(r, arn))))
    .map((roleId) => nameOf(template, roleId))
    .sort();
}

/** The roles (by name) allowed the action at all. */
function grantees(template: CfnTemplate, action: string): string[] {
  return allRoles(template)
    .filter((roleId) => allowing(roleStatements(template, roleId), action).length > 0)
    .map((roleId) => nameOf(template, roleId))
    .sort();
}

/** The resources of the role's statements that allow the action, of one RDS resource type (db, snapshot, ...) or all. */
function resourcesOf(template: CfnTemplate, roleId: string, action: string, type?: string): string[] {
  const resources = allowing(roleStatements(template, roleId), action).flatMap((s) => s.Resource);
  const ofType = type === undefined ? resources : resources.filter((r) => r === '*' || new RegExp(`:rds:[^:]*:[^:]*:${type}:`).test(r));
  return [...new Set(ofType)].sort();
}

/**
 * The role's ssm:SendCommand grants, split as SSM authorizes them: the documents it may send, and the conditions on the
 * instances it may send them to (one per statement on instances). Anything else (a statement that mixes documents and
 * instances, or names another resource) is listed under `other`.
 */
function sendCommandGrants(template: CfnTemplate, roleId: string): { documents: string[]; instances: Array<Record<string, unknown> | undefined>; other: string[] } {
  const grants = allowing(roleStatements(template, roleId), 'ssm:SendCommand');
  const isDocument = (r: string) => r.includes(':document/') && !resourceCovers(r, SOME_INSTANCE);
  const documents = grants.filter((s) => s.Resource.every(isDocument));
  const onInstances = grants.filter((s) => s.Resource.length === 1 && s.Resource[0] === INSTANCE_ARN);
  return {
    documents: [...new Set(documents.flatMap((s) => s.Resource))].sort(),
    instances: onInstances.map((s) => s.Condition),
    other: grants.filter((s) => !documents.includes(s) && !onInstances.includes(s)).map(describeStatement),
  };
}

/** The instance conditions a tier's hosts are sent commands under: the tier's selector tags, as ssm:resourceTag. */
const sentTo = (tierName: string) => {
  const tier = hostTiers.find((t) => t.name === tierName)!;
  return { StringEquals: Object.fromEntries(Object.entries(tier.hosts!.tags).map(([key, value]) => [`ssm:resourceTag/${key}`, value])) };
};
const byJson = (values: unknown[]) => values.map((v) => JSON.stringify(v)).sort();

/** A copy of the template in which the role holds one more statement (in a policy of its own). */
function withStatement(template: CfnTemplate, roleId: string, statement: Record<string, unknown>): CfnTemplate {
  const copy = structuredClone(template) as { Resources: Record<string, unknown> };
  copy.Resources.BroadenedPolicyForTest = {
    Type: 'AWS::IAM::Policy',
    Properties: { PolicyName: 'broadened', Roles: [{ Ref: roleId }], PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...statement }] } },
  };
  return copy as unknown as CfnTemplate;
}

describe('data workflows: IAM', () => {
  let synth: CanonicalTemplate;
  let template: CfnTemplate;
  const roleOf = (handler: string) => lambdaByHandler(template, handler).roleLogicalId;
  const machineRole = (workflow: string) => stateMachineRoleId(template, MACHINE(workflow));
  const machineRef = (workflow: string) => `\${${stateMachineId(template, MACHINE(workflow))}}`;
  /** Executions of the named state machine, as the stack scopes them (the name taken out of the ARN). */
  const executionsOf = (workflow: string) =>
    expectedArn('states', `execution:${JSON.stringify({ 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: stateMachineId(template, MACHINE(workflow)) }] }] })}*`);

  beforeAll(() => {
    synth = sharedCanonical();
    template = synth.json;
  });
  afterAll(() => synth?.cleanup());

  it('finds what environments/canonical.json restores, and other environments to keep out of reach', () => {
    expect(IDENTIFIER).toBe('canonical-db');
    expect(restore.connectionParameter).toBe('/canonical/database/endpoint');
    expect([restore.check.document, restore.reconfigure.document]).toEqual(['FleetFlow-CheckDatabase', 'FleetFlow-ReconnectDatabase']);
    expect([...restore.tiers].sort()).toEqual(['middle', 'web']);
    expect(database.migration!.runnerTier).toBe('middle');
    expect(OTHER_ENVIRONMENTS.map((e) => e.name).sort()).toEqual(['surge', 'waves']);
    expect([...stateMachines(template).keys()]).toEqual(expect.arrayContaining([MACHINE('restore-data'), MACHINE('recover')]));
  });

  it('checks the matcher it relies on: an action wildcard that could change an instance is caught, a read is not', () => {
    for (const pattern of ['*', 'rds:*', 'RDS:*', 'rds:Mod*', 'rds:Modify*', 'rds:*Instance', 'rds:*DBInstance', 'r?s:*', '*:Delete*', 'rds:?top*', 'rds:ModifyDBInstance']) {
      expect(INSTANCE_CHANGING_PREFIXES.some((prefix) => matchesSomeActionStartingWith(pattern, prefix)), pattern).toBe(true);
    }
    for (const pattern of ['rds:Describe*', 'rds:DescribeDBInstances', 'rds:AddTagsToResource', 'rds:ListTagsForResource', 'rds:Restore*', 'rds:CreateDBSnapshot', 'ec2:*', 'ssm:Delete*']) {
      expect(INSTANCE_CHANGING_PREFIXES.some((prefix) => matchesSomeActionStartingWith(pattern, prefix)), pattern).toBe(false);
    }
  });

  describe('no role of the stack can change a DB instance', () => {
    it('reads every role: each function role and each state machine role (restore-data and recover among them), none with a managed policy or NotAction', () => {
      const roles = new Set(allRoles(template));
      for (const fn of lambdaFunctions(template)) expect(roles.has(fn.roleLogicalId), fn.handler).toBe(true);
      for (const [name, machine] of stateMachines(template)) expect(roles.has(machine.roleLogicalId), name).toBe(true);
      expect(stateMachines(template).size).toBe(9);
      // roleStatements reads Action (not NotAction) of the roles' own policies: anything else would escape the check.
      for (const roleId of roles) expect(template.Resources[roleId]!.Properties?.ManagedPolicyArns ?? [], roleId).toEqual([]);
      const documents = Object.entries(template.Resources).filter(([, r]) => ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role'].includes(r.Type));
      expect(documents.filter(([, r]) => /"Not(Action|Resource|Principal)"/.test(JSON.stringify(r.Properties))).map(([id]) => id)).toEqual([]);
    });

    it(`grants no role an action that could modify, rename, stop, reboot, fail over, promote or delete an instance (${INSTANCE_CHANGING_PREFIXES.join('*, ')}*, rds:*, *), on any resource`, () => {
      expect(instanceChangers(template)).toEqual([]);
    });

    it.each([
      [`db:${IDENTIFIER}`, DB_ARN],
      [`db:${IDENTIFIER}-snap-202611290300-1a2b3c4d`, A_RESTORED_DB],
    ])('lets no role change %s (the defined database, or one restored from it) through any of those actions', (_name, arn) => {
      // Switch Over's own statements excepted (see isReplaceDatabaseSwitchover).
      const dependent = ['rds:SwitchoverBlueGreenDeployment', 'rds:ModifyDBInstance', 'rds:PromoteReadReplica'];
      for (const action of INSTANCE_CHANGING_ACTIONS) {
        const allowed = allowedOn(template, action, arn).filter((name) => !(name === 'replace-database/switch-over.ts' && dependent.includes(action)));
        expect(allowed, action).toEqual([]);
      }
    });

    it('lets the data tasks touch the instances only to describe them, restore into a new one, read its tags and tag them', () => {
      const dataHandlers = lambdaFunctions(template).filter((f) => /^(restore-data|recover)\//.test(f.handler));
      expect(dataHandlers).toHaveLength(12);
      const rdsActions = new Set(dataHandlers.flatMap((f) => roleStatements(template, f.roleLogicalId).flatMap((s) => s.Action).filter((a) => a.toLowerCase().startsWith('rds:'))));
      expect([...rdsActions].sort()).toEqual([
        'rds:AddTagsToResource',
        'rds:DescribeDBInstanceAutomatedBackups',
        'rds:DescribeDBInstances',
        'rds:DescribeDBSnapshots',
        'rds:ListTagsForResource',
        'rds:RestoreDBInstanceFromDBSnapshot',
        'rds:RestoreDBInstanceToPointInTime',
      ]);
    });
  });

  describe('restores', () => {
    it('lets only Create Database (allocate) and Restore Database restore from a snapshot, and only Restore Database to a point in time', () => {
      expect(grantees(template, 'rds:RestoreDBInstanceFromDBSnapshot')).toEqual(['compute/create-database.ts', 'restore-data/restore-database.ts']);
      expect(grantees(template, 'rds:RestoreDBInstanceToPointInTime')).toEqual(['restore-data/restore-database.ts']);
    });

    it(`lets Create Database restore only onto the environment's own identifier (db:${IDENTIFIER}), as the missing database`, () => {
      expect(resourcesOf(template, roleOf('compute/create-database.ts'), 'rds:RestoreDBInstanceFromDBSnapshot', 'db')).toEqual([DB_ARN]);
    });

    // RestoreDBInstanceFromDBSnapshot is authorized on the target instance (db) and the source snapshot: its only db
    // resource is the instance it creates, which restore-data always names <identifier>-<source>-<execution>.
    it(`lets Restore Database restore a snapshot only into a new instance, db:${IDENTIFIER}-snap-* or -pitr-*`, () => {
      expect(resourcesOf(template, roleOf('restore-data/restore-database.ts'), 'rds:RestoreDBInstanceFromDBSnapshot', 'db')).toEqual(RESTORED_DB_ARNS);
    });

    // RestoreDBInstanceToPointInTime is authorized on the source instance and the target instance, both db: the current
    // instance (db:canonical-db, or an earlier restore's db:canonical-db-*) is the source, db:canonical-db-snap-* or -pitr-* the target.
    it(`lets Restore Database restore to a point in time only from the environment's database into db:${IDENTIFIER}-snap-* or -pitr-*`, () => {
      expect(resourcesOf(template, roleOf('restore-data/restore-database.ts'), 'rds:RestoreDBInstanceToPointInTime', 'db')).toEqual([DB_ARN, ...RESTORED_DB_ARNS].sort());
    });

    it("never lets a restore create or read another environment's instance, nor any instance by wildcard", () => {
      for (const action of ['rds:RestoreDBInstanceFromDBSnapshot', 'rds:RestoreDBInstanceToPointInTime']) {
        const resources = allowing(roleStatements(template, roleOf('restore-data/restore-database.ts')), action).flatMap((s) => s.Resource);
        expect(resources, action).not.toContain('*');
        for (const foreign of FOREIGN_INSTANCES) expect(resources.filter((r) => resourceCovers(r, foreign)), `${action} covers ${foreign}`).toEqual([]);
        expect(resources.filter((r) => resourceCovers(r, A_RESTORED_DB)), action).toEqual([expectedArn('rds', `db:${IDENTIFIER}-snap-*`)]);
      }
    });

    it(`lets Restore Database restore only from the environment's own snapshots (${OWN_SNAPSHOT_ARNS.map((a) => a.replace(/^.*:snapshot:/, '')).join(', ')})`, () => {
      const resources = resourcesOf(template, roleOf('restore-data/restore-database.ts'), 'rds:RestoreDBInstanceFromDBSnapshot', 'snapshot');
      const foreignCovered = FOREIGN_SNAPSHOTS.flatMap((foreign) => resources.filter((r) => resourceCovers(r, foreign)).map((r) => `${foreign} by ${r}`));
      expect(foreignCovered, "other databases' snapshots a restore may read").toEqual([]);
      expect(resources).toEqual(OWN_SNAPSHOT_ARNS);
    });

    it("lets Restore Database use only the database's subnet group, parameter group and security groups, and the engine's default option group", () => {
      const create = database.create!;
      const resources = allowing(roleStatements(template, roleOf('restore-data/restore-database.ts')), 'rds:RestoreDBInstanceFromDBSnapshot').flatMap((s) => s.Resource);
      const others = [...new Set(resources.filter((r) => !/:rds:[^:]*:[^:]*:(db|snapshot):/.test(r)))].sort();
      expect(others).toEqual(
        [
          expectedArn('rds', `subgrp:${create.subnetGroup}`),
          ...(create.parameterGroup ? [expectedArn('rds', `pg:${create.parameterGroup}`)] : []),
          ...create.securityGroups.map((sg) => expectedArn('ec2', `security-group/${sg}`)),
          expectedArn('rds', 'og:default:*'),
        ].sort(),
      );
    });

    it('tags only what it created (Restore Database: the new instance) and what a restore replaced (Record Database), and nothing else tags an instance a restore created', () => {
      expect(resourcesOf(template, roleOf('restore-data/restore-database.ts'), 'rds:AddTagsToResource')).toEqual(RESTORED_DB_ARNS);
      expect(resourcesOf(template, roleOf('restore-data/restore-database.ts'), 'rds:ListTagsForResource')).toEqual(RESTORED_DB_ARNS);
      expect(resourcesOf(template, roleOf('restore-data/record-database.ts'), 'rds:AddTagsToResource')).toEqual([DB_ARN, ...RESTORED_DB_ARNS].sort());
      expect(allowedOn(template, 'rds:AddTagsToResource', A_RESTORED_DB)).toEqual(['restore-data/record-database.ts', 'restore-data/restore-database.ts']);
    });
  });

  describe('records', () => {
    it(`lets only Write Connection write the connection parameter (${restore.connectionParameter}), and it nothing else`, () => {
      expect(allowedOn(template, 'ssm:PutParameter', CONNECTION_ARN)).toEqual(['restore-data/write-connection.ts']);
      expect(resourcesOf(template, roleOf('restore-data/write-connection.ts'), 'ssm:PutParameter')).toEqual([CONNECTION_ARN]);
    });

    it(`lets only Record Database write the current-database record (/fleetflow/${canonical.name}/database/current), and it nothing else`, () => {
      expect(allowedOn(template, 'ssm:PutParameter', DATABASE_RECORD_ARN)).toEqual(['restore-data/record-database.ts']);
      expect(resourcesOf(template, roleOf('restore-data/record-database.ts'), 'ssm:PutParameter')).toEqual([DATABASE_RECORD_ARN]);
    });
  });

  describe('commands', () => {
    it(`lets only Reconfigure Hosts send ${restore.reconfigure.document}, and only to the hosts of the tiers that use the database (${restore.tiers.join(', ')})`, () => {
      expect(allowedOn(template, 'ssm:SendCommand', RECONNECT_DOCUMENT_ARN)).toEqual(['restore-data/reconfigure-hosts.ts']);
      const grants = sendCommandGrants(template, roleOf('restore-data/reconfigure-hosts.ts'));
      expect(grants.other).toEqual([]);
      expect(grants.documents).toEqual([RECONNECT_DOCUMENT_ARN]);
      expect(byJson(grants.instances)).toEqual(byJson(['middle', 'web'].map(sentTo)));
    });

    it(`lets only Validate Data send ${restore.check.document}, and only to the ${database.migration!.runnerTier} tier's hosts`, () => {
      // Replace-database's Check Green Database sends it too, against the green (test/infra/replace-database-iam.test.ts).
      expect(allowedOn(template, 'ssm:SendCommand', CHECK_DOCUMENT_ARN)).toEqual(['replace-database/check-green-database.ts', 'restore-data/validate-data.ts']);
      const grants = sendCommandGrants(template, roleOf('restore-data/validate-data.ts'));
      expect(grants.other).toEqual([]);
      expect(grants.documents).toEqual([CHECK_DOCUMENT_ARN]);
      expect(byJson(grants.instances)).toEqual(byJson([sentTo('middle')]));
    });
  });

  describe('recover', () => {
    it("may start only this environment's allocate, restore-data and deploy state machines", () => {
      expect(resourcesOf(template, machineRole('recover'), 'states:StartExecution')).toEqual(['allocate', 'restore-data', 'deploy'].map(machineRef).sort());
      // Of this stack, under the environment's names.
      for (const workflow of ['allocate', 'restore-data', 'deploy']) expect(template.Resources[stateMachineId(template, MACHINE(workflow))]!.Type).toBe('AWS::StepFunctions::StateMachine');
    });

    it('follows and may stop only the executions of those three, and holds no other Step Functions action', () => {
      const executions = ['allocate', 'restore-data', 'deploy'].map(executionsOf).sort();
      expect(resourcesOf(template, machineRole('recover'), 'states:DescribeExecution')).toEqual(executions);
      expect(resourcesOf(template, machineRole('recover'), 'states:StopExecution')).toEqual(executions);
      const states = new Set(roleStatements(template, machineRole('recover')).flatMap((s) => s.Action).filter((a) => a.startsWith('states:')));
      expect([...states].sort()).toEqual(['states:DescribeExecution', 'states:StartExecution', 'states:StopExecution']);
    });

    it('is the only role that may start allocate and restore-data; deploy also from its release window', () => {
      const startersOf = (workflow: string) => allowedOn(template, 'states:StartExecution', machineRef(workflow));
      expect(startersOf('allocate')).toEqual([MACHINE('recover')]);
      expect(startersOf('restore-data')).toEqual([MACHINE('recover')]);
      expect(startersOf('deploy').filter((name) => name !== MACHINE('recover'))).toHaveLength(1);
      expect(JSON.stringify(template.Resources[startersOf('deploy').find((name) => name !== MACHINE('recover'))!]!.Properties?.AssumeRolePolicyDocument)).toContain(
        'scheduler.amazonaws.com',
      );
    });

    it('takes no lock and invokes only its own two functions', () => {
      const own = roleStatements(template, machineRole('recover'));
      expect(own.flatMap((s) => s.Action).filter((a) => a.toLowerCase().startsWith('dynamodb:'))).toEqual([]);
      const handlerById = new Map(lambdaFunctions(template).map((f) => [f.logicalId, f.handler]));
      const invoked = allowing(own, 'lambda:InvokeFunction').flatMap((s) => s.Resource.map((r) => handlerById.get(/^\$\{(\w+)\.Arn\}$/.exec(r)?.[1] ?? '') ?? r));
      expect([...new Set(invoked)].sort()).toEqual(['recover/plan-recover.ts', 'recover/report-recovery.ts']);
    });
  });

  // Each check above, run on a copy of the template where one role holds a broader grant: it must report it.
  describe('each check fails when the grant it checks is broadened', () => {
    /** A task by its handler module, or a state machine by its workflow. */
    const roleNamed = (who: string) => (who.includes('/') ? roleOf(who) : machineRole(who));

    it.each([
      ['rds:*', 'restore-data/record-database.ts', [DB_ARN]],
      ['rds:Modify*', 'restore-data/restore-database.ts', RESTORED_DB_ARNS],
      ['rds:StopDBInstance', 'restore-data/check-restore.ts', [DB_ARN]],
      ['*', 'recover/plan-recover.ts', ['*']],
      ['rds:RebootDBInstance', 'recover', ['*']],
      ['rds:Delete*', 'restore-data', [A_RESTORED_DB]],
    ] as const)('%s granted to %s is reported as changing an instance', (action, who, resources) => {
      expect(instanceChangers(template)).toEqual([]);
      expect(instanceChangers(withStatement(template, roleNamed(who), { Action: action, Resource: [...resources] }))).toHaveLength(1);
    });

    /** A check's answer on the real template and on one with the broader statement: it must change, to include the broadening. */
    const broadened = <T>(check: (t: CfnTemplate) => T[], roleId: string, statement: Record<string, unknown>) => ({
      before: check(template),
      after: check(withStatement(template, roleId, statement)),
    });

    it('a restore granted onto any instance, from any snapshot, or to another task, is reported', () => {
      const restoreDatabase = roleOf('restore-data/restore-database.ts');
      const targets = broadened((t) => resourcesOf(t, restoreDatabase, 'rds:RestoreDBInstanceFromDBSnapshot', 'db'), restoreDatabase, {
        Action: 'rds:RestoreDBInstanceFromDBSnapshot',
        Resource: [expectedArn('rds', 'db:*')],
      });
      expect(targets.after).not.toEqual(targets.before);
      expect(targets.after).toContain(expectedArn('rds', 'db:*'));
      const sources = broadened((t) => resourcesOf(t, restoreDatabase, 'rds:RestoreDBInstanceFromDBSnapshot', 'snapshot'), restoreDatabase, {
        Action: 'rds:Restore*',
        Resource: [expectedArn('rds', 'snapshot:*')],
      });
      expect(sources.after).toContain(expectedArn('rds', 'snapshot:*'));
      const restorers = broadened((t) => grantees(t, 'rds:RestoreDBInstanceToPointInTime'), roleOf('restore-data/validate-data.ts'), { Action: 'rds:Restore*', Resource: RESTORED_DB_ARNS });
      expect(restorers.before).toEqual(['restore-data/restore-database.ts']);
      expect(restorers.after).toEqual(['restore-data/restore-database.ts', 'restore-data/validate-data.ts']);
    });

    it('a parameter write granted more widely, or to another task, is reported', () => {
      const writeConnection = roleOf('restore-data/write-connection.ts');
      const recordWriters = broadened((t) => allowedOn(t, 'ssm:PutParameter', DATABASE_RECORD_ARN), writeConnection, {
        Action: 'ssm:PutParameter',
        Resource: [expectedArn('ssm', 'parameter/fleetflow/*')],
      });
      expect(recordWriters.before).toEqual(['restore-data/record-database.ts']);
      expect(recordWriters.after).toEqual(['restore-data/record-database.ts', 'restore-data/write-connection.ts']);
      const written = broadened((t) => resourcesOf(t, writeConnection, 'ssm:PutParameter'), writeConnection, { Action: 'ssm:PutParameter', Resource: [expectedArn('ssm', 'parameter/*')] });
      expect(written.before).toEqual([CONNECTION_ARN]);
      expect(written.after).toContain(expectedArn('ssm', 'parameter/*'));
      const connectionWriters = broadened((t) => allowedOn(t, 'ssm:PutParameter', CONNECTION_ARN), roleOf('restore-data/plan-restore-data.ts'), { Action: 'ssm:Put*', Resource: [CONNECTION_ARN] });
      expect(connectionWriters.before).toEqual(['restore-data/write-connection.ts']);
      expect(connectionWriters.after).toEqual(['restore-data/plan-restore-data.ts', 'restore-data/write-connection.ts']);
    });

    it('a command sent to more hosts, or by another task, is reported', () => {
      const reconfigure = roleOf('restore-data/reconfigure-hosts.ts');
      const validate = roleOf('restore-data/validate-data.ts');
      const anyHost = broadened((t) => byJson(sendCommandGrants(t, reconfigure).instances), reconfigure, { Action: 'ssm:SendCommand', Resource: [INSTANCE_ARN] });
      expect(anyHost.before).toEqual(byJson(['middle', 'web'].map(sentTo)));
      expect(anyHost.after).toEqual(byJson([undefined, ...['middle', 'web'].map(sentTo)]));
      const monitoring = broadened((t) => byJson(sendCommandGrants(t, validate).instances), validate, { Action: 'ssm:SendCommand', Resource: [INSTANCE_ARN], Condition: sentTo('monitoring') });
      expect(monitoring.before).toEqual(byJson([sentTo('middle')]));
      expect(monitoring.after).toEqual(byJson([sentTo('middle'), sentTo('monitoring')]));
      const anything = broadened((t) => sendCommandGrants(t, validate).other, validate, { Action: 'ssm:*', Resource: ['*'] });
      expect(anything.before).toEqual([]);
      expect(anything.after).toHaveLength(1);
      const senders = broadened((t) => allowedOn(t, 'ssm:SendCommand', RECONNECT_DOCUMENT_ARN), roleOf('rollout/install-release.ts'), {
        Action: 'ssm:SendCommand',
        Resource: [expectedArn('ssm', 'document/FleetFlow-*')],
      });
      expect(senders.before).toEqual(['restore-data/reconfigure-hosts.ts']);
      expect(senders.after).toEqual(['restore-data/reconfigure-hosts.ts', 'rollout/install-release.ts']);
    });

    it('recover starting anything else is reported', () => {
      const recover = machineRole('recover');
      const rolloutRef = { Ref: stateMachineId(template, MACHINE('rollout')) };
      const rollout = broadened((t) => resourcesOf(t, recover, 'states:StartExecution'), recover, { Action: 'states:StartExecution', Resource: [rolloutRef] });
      expect(rollout.before).toEqual(['allocate', 'restore-data', 'deploy'].map(machineRef).sort());
      expect(rollout.after).toContain(machineRef('rollout'));
      const anything = broadened((t) => resourcesOf(t, recover, 'states:StartExecution'), recover, { Action: 'states:*', Resource: ['*'] });
      expect(anything.after).toContain('*');
    });
  });
});
