/**
 * Least privilege of replace-database (lib/replace-database-access.ts), read from the
 * synthesized canonical stack and decided by the IAM evaluator (iam-evaluator.ts):
 * - no role of the stack may delete a blue/green deployment, its source (the environment's
 *   database, as defined or renamed -old<n> by a switchover) or any DB instance;
 * - only Switch Over may switch over a blue/green deployment, and only one tagged with this
 *   environment; only Create Green may create one, only tagged so, from the environment's database;
 * - the dependent actions the RDS User Guide lists ("Authorizing access to Amazon RDS blue/green
 *   deployment operations") are held by exactly the task that needs them: CreateDBInstanceReadReplica
 *   by Create Green, ModifyDBInstance and PromoteReadReplica by Switch Over;
 * - the old instance is only tagged, with the kept/replaced keys.
 * The last block broadens a grant and expects the same check to catch it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate, isAllowed, type IamRequest } from './iam-evaluator';
import { allRoles, canonicalEnvironment, expectedArn, lambdaByHandler, roleStatements, sharedCanonical, type CanonicalTemplate, type CfnTemplate, type PolicyStatement } from './support';

const canonical = canonicalEnvironment();
const IDENTIFIER = canonical.tiers.find((t) => t.role === 'data')!.database!.instanceIdentifier!;
const OUR_DEPLOYMENT = expectedArn('rds', 'deployment:bgd-0123456789abcdef');
const ours = { 'aws:ResourceTag/fleetflow:environment': canonical.name };
const theirs = { 'aws:ResourceTag/fleetflow:environment': 'surge' };
/** The source, the old instance after a switchover, a green, a restored database, and another environment's instance. */
const INSTANCES = [`db:${IDENTIFIER}`, `db:${IDENTIFIER}-old1`, `db:${IDENTIFIER}-green-abc123`, `db:${IDENTIFIER}-snap-202611290300-1a2b3c4d`, 'db:surge-db'].map((r) => expectedArn('rds', r));
const DELETES = ['rds:DeleteBlueGreenDeployment', 'rds:DeleteDBInstance', 'rds:DeleteDBCluster', 'rds:StopDBInstance', 'rds:RebootDBInstance'];

describe('replace-database: IAM', () => {
  let synth: CanonicalTemplate;
  let template: CfnTemplate;
  const statementsOf = (handler: string, t: CfnTemplate = template) => roleStatements(t, lambdaByHandler(t, handler).roleLogicalId);
  /** Every role (by logical ID) the request is allowed to. */
  const allowedRoles = (request: IamRequest, t: CfnTemplate = template) => allRoles(t).filter((roleId) => isAllowed(roleStatements(t, roleId), request));

  beforeAll(() => {
    synth = sharedCanonical();
    template = synth.json;
  });
  afterAll(() => synth?.cleanup());

  it("lets no role delete a blue/green deployment, its source or any DB instance (or stop or reboot one): not the database, its -old1, a green, another environment's", () => {
    for (const action of DELETES) {
      for (const resource of [OUR_DEPLOYMENT, ...INSTANCES]) {
        for (const context of [ours, {}]) expect(allowedRoles({ action, resource, context }), `${action} on ${resource}`).toEqual([]);
      }
    }
  });

  it("lets only Switch Over switch over a blue/green deployment, and only one tagged with this environment", () => {
    const switchOver = lambdaByHandler(template, 'replace-database/switch-over.ts').roleLogicalId;
    expect(allowedRoles({ action: 'rds:SwitchoverBlueGreenDeployment', resource: OUR_DEPLOYMENT, context: ours })).toEqual([switchOver]);
    expect(evaluate(statementsOf('replace-database/switch-over.ts'), { action: 'rds:SwitchoverBlueGreenDeployment', resource: OUR_DEPLOYMENT, context: theirs })).toBe('implicitly denied');
    expect(evaluate(statementsOf('replace-database/switch-over.ts'), { action: 'rds:SwitchoverBlueGreenDeployment', resource: OUR_DEPLOYMENT, context: {} })).toBe('implicitly denied');
  });

  it("lets only Create Green create a blue/green deployment: tagged with this environment, from the environment's database", () => {
    const create = (resource: string, context: Record<string, string>) => ({ action: 'rds:CreateBlueGreenDeployment', resource, context });
    const createGreen = lambdaByHandler(template, 'replace-database/create-green.ts').roleLogicalId;
    expect(allowedRoles(create(OUR_DEPLOYMENT, { 'aws:RequestTag/fleetflow:environment': canonical.name }))).toEqual([createGreen]);
    expect(allowedRoles(create(OUR_DEPLOYMENT, { 'aws:RequestTag/fleetflow:environment': 'surge' }))).toEqual([]);
    expect(allowedRoles(create(expectedArn('rds', `db:${IDENTIFIER}`), {}))).toEqual([createGreen]);
    expect(allowedRoles(create(expectedArn('rds', 'db:surge-db'), {}))).toEqual([]);
  });

  it('gives the dependent actions RDS needs to exactly the task that needs them: read replica to Create Green, modify and promote to Switch Over', () => {
    const createGreen = lambdaByHandler(template, 'replace-database/create-green.ts').roleLogicalId;
    const switchOver = lambdaByHandler(template, 'replace-database/switch-over.ts').roleLogicalId;
    // The green's name is RDS's own: a name outside any pattern of ours must be allowed.
    const green = expectedArn('rds', 'db:green-internal-name');
    for (const resource of [expectedArn('rds', `db:${IDENTIFIER}`), green]) {
      expect(allowedRoles({ action: 'rds:CreateDBInstanceReadReplica', resource, context: {} }), resource).toEqual([createGreen]);
      for (const action of ['rds:ModifyDBInstance', 'rds:PromoteReadReplica']) expect(allowedRoles({ action, resource, context: {} }), `${action} on ${resource}`).toEqual([switchOver]);
    }
  });

  it("reads DB parameter groups only in the plan (a major upgrade's checks), names one only to CreateBlueGreenDeployment in Create Green, and lets no role change or delete one", () => {
    const group = expectedArn('rds', 'pg:canonical-postgres17');
    const plan = lambdaByHandler(template, 'replace-database/plan-replace-database.ts').roleLogicalId;
    const createGreen = lambdaByHandler(template, 'replace-database/create-green.ts').roleLogicalId;
    for (const action of ['rds:DescribeDBParameters', 'rds:DescribeDBParameterGroups']) expect(allowedRoles({ action, resource: group, context: {} }), action).toEqual([plan]);
    expect(allowedRoles({ action: 'rds:CreateBlueGreenDeployment', resource: group, context: {} })).toEqual([createGreen]);
    for (const action of ['rds:ModifyDBParameterGroup', 'rds:ResetDBParameterGroup', 'rds:DeleteDBParameterGroup', 'rds:CreateDBParameterGroup']) {
      expect(allowedRoles({ action, resource: group, context: {} }), action).toEqual([]);
    }
  });

  it('names no instance RDS acts on for the green by a partial pattern (RDS: "Only wildcards (*) are supported")', () => {
    const dependent = ['rds:CreateDBInstanceReadReplica', 'rds:ModifyDBInstance', 'rds:PromoteReadReplica'];
    for (const handler of ['replace-database/create-green.ts', 'replace-database/switch-over.ts']) {
      const resources = statementsOf(handler).filter((s) => s.Action.some((a) => dependent.includes(a))).flatMap((s) => s.Resource);
      expect(resources.length, handler).toBeGreaterThan(0);
      expect(resources.filter((r) => /:db:.+\*/.test(r)), handler).toEqual([]);
    }
  });

  it('lets Record Replacement tag the old instance only with the kept and replaced keys', () => {
    const tag = (keys: string[]) => ({ action: 'rds:AddTagsToResource', resource: expectedArn('rds', `db:${IDENTIFIER}-old1`), context: { 'aws:TagKeys': keys } });
    const record = statementsOf('replace-database/record-replacement.ts');
    expect(isAllowed(record, tag(['fleetflow:kept', 'fleetflow:replaced-by']))).toBe(true);
    expect(isAllowed(record, tag(['fleetflow:kept', 'fleetflow:environment']))).toBe(false);
    expect(isAllowed(record, { ...tag(['fleetflow:kept']), resource: expectedArn('rds', 'db:surge-db-old1') })).toBe(false);
  });

  describe('catches a broadened grant', () => {
    /** A copy of the template in which the handler's role holds one more statement. */
    const withStatement = (handler: string, statement: Record<string, unknown>): CfnTemplate => {
      const copy = structuredClone(template) as { Resources: Record<string, unknown> };
      copy.Resources.BroadenedPolicyForTest = {
        Type: 'AWS::IAM::Policy',
        Properties: { PolicyName: 'broadened', Roles: [{ Ref: lambdaByHandler(template, handler).roleLogicalId }], PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...statement }] } },
      };
      return copy as unknown as CfnTemplate;
    };

    it('rds:Delete* granted to Switch Over is reported: the old instance could be deleted', () => {
      const broad = withStatement('replace-database/switch-over.ts', { Action: 'rds:Delete*', Resource: expectedArn('rds', `db:${IDENTIFIER}-old*`) });
      expect(allowedRoles({ action: 'rds:DeleteDBInstance', resource: INSTANCES[1]!, context: {} }, broad)).toHaveLength(1);
    });

    it('a switchover without the tag condition is reported: another environment\'s deployment could be switched over', () => {
      const broad = withStatement('replace-database/switch-over.ts', { Action: 'rds:SwitchoverBlueGreenDeployment', Resource: expectedArn('rds', 'deployment:*') });
      const statements: PolicyStatement[] = roleStatements(broad, lambdaByHandler(broad, 'replace-database/switch-over.ts').roleLogicalId);
      expect(evaluate(statements, { action: 'rds:SwitchoverBlueGreenDeployment', resource: OUR_DEPLOYMENT, context: theirs })).toBe('allowed');
    });
  });
});
