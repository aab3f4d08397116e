/**
 * What the operator's commands on AWS rely on in the stack (lib/fleetflow.ts): the Outputs a
 * pipeline reads (every state machine's ARN, the topic and the bus), and the approvers' grant.
 *
 * The pending approval's task token is in the deploy execution's history (Request Approval's
 * parameters): reading that history is reading the token. So the grant is checked with the IAM
 * evaluator: an approver may read the deploy executions' history and answer, and nothing
 * else; no role of the stack itself may read a deploy execution's history.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from './iam-evaluator';
import {
  allRoles,
  buildCanonicalApp,
  expectedArn,
  renderValue,
  roleStatements,
  sharedCanonical,
  stateMachineId,
  type CanonicalApp,
  type CfnTemplate,
} from './support';

const DEPLOY_EXECUTION = expectedArn('states', 'execution:fleetflow-canonical-deploy:1_2_3-0123456789abcdef0123');
/** A state machine's ARN as the template gives it (its Ref), rendered as `renderValue` renders it. */
const machineRef = (json: CfnTemplate, name: string) => renderValue({ Ref: stateMachineId(json, name) });

describe('Stack Outputs', () => {
  let json: CfnTemplate & { Outputs?: Record<string, { Value: unknown }> };
  beforeAll(() => {
    json = sharedCanonical().json;
  });

  it.each([
    ['DeployArn', 'fleetflow-canonical-deploy'],
    ['RolloutArn', 'fleetflow-canonical-rollout'],
    ['AllocateArn', 'fleetflow-canonical-allocate'],
    ['ScaleOutArn', 'fleetflow-canonical-scale-out'],
    ['ScaleInArn', 'fleetflow-canonical-scale-in'],
    ['ReplaceArn', 'fleetflow-canonical-replace'],
    ['RestoreDataArn', 'fleetflow-canonical-restore-data'],
    ['RecoverArn', 'fleetflow-canonical-recover'],
  ])('%s is the ARN of %s', (output, name) => {
    // Assess: Ref of a state machine is its ARN.
    expect(json.Outputs?.[output]?.Value).toEqual({ Ref: stateMachineId(json, name) });
  });

  it('gives the notification topic and the default event bus, and nothing else', () => {
    // Prepare
    const topic = Object.entries(json.Resources).find(([, r]) => r.Type === 'AWS::SNS::Topic')![0];

    // Assess
    expect(json.Outputs?.TopicArn?.Value).toEqual({ Ref: topic });
    expect(renderValue(json.Outputs?.EventBusArn?.Value)).toBe(expectedArn('events', 'event-bus/default'));
    expect(Object.keys(json.Outputs ?? {}).filter((k) => !k.startsWith('CDK')).sort()).toEqual(
      ['AllocateArn', 'DeployArn', 'EventBusArn', 'RecoverArn', 'ReplaceArn', 'RestoreDataArn', 'RolloutArn', 'ScaleInArn', 'ScaleOutArn', 'TopicArn'],
    );
  });

  it('lets no role of the stack read a deploy execution\'s history, where the approval token is', () => {
    // Act
    const readers = allRoles(json).filter((role) => evaluate(roleStatements(json, role), { action: 'states:GetExecutionHistory', resource: DEPLOY_EXECUTION }) === 'allowed');

    // Assess
    expect(readers).toEqual([]);
  });
});

describe('FleetFlow.grantApprove', () => {
  let built: CanonicalApp;
  let json: CfnTemplate;
  let approver: string;
  let bystander: string;
  beforeAll(() => {
    // Prepare: an approvers' role granted approve, and a role granted only starts.
    built = buildCanonicalApp();
    const approvers = new iam.Role(built.stack, 'Approvers', { assumedBy: new iam.AccountRootPrincipal() });
    const pipeline = new iam.Role(built.stack, 'Pipeline', { assumedBy: new iam.AccountRootPrincipal() });
    built.stack.fleetflow.grantApprove(approvers);
    built.stack.fleetflow.grantStartExecution(pipeline, 'deploy');
    built.app.synth();
    json = Template.fromStack(built.stack).toJSON() as CfnTemplate;
    const id = (prefix: string) => allRoles(json).find((r) => r.startsWith(prefix))!;
    approver = id('Approvers');
    bystander = id('Pipeline');
  }, 240_000);
  afterAll(() => built?.cleanup());

  it.each([
    ['states:GetExecutionHistory', DEPLOY_EXECUTION],
    ['states:DescribeExecution', DEPLOY_EXECUTION],
    ['states:SendTaskSuccess', 'deploy'],
    ['states:SendTaskFailure', 'deploy'],
  ])('lets the approver %s on %s', (action, target) => {
    // Prepare
    const resource = target === 'deploy' ? machineRef(json, 'fleetflow-canonical-deploy') : target;

    // Act
    const decision = evaluate(roleStatements(json, approver), { action, resource });

    // Assess
    expect(decision).toBe('allowed');
  });

  it.each([
    // Another workflow's history, another environment's, the rollout children's.
    ['states:GetExecutionHistory', expectedArn('states', 'execution:fleetflow-canonical-allocate:a')],
    ['states:GetExecutionHistory', expectedArn('states', 'execution:fleetflow-staging-deploy:a')],
    ['states:GetExecutionHistory', expectedArn('states', 'execution:fleetflow-canonical-rollout:a')],
    // Starting, stopping or answering anything but the release workflow.
    ['states:StartExecution', 'deploy'],
    ['states:StopExecution', DEPLOY_EXECUTION],
    ['states:SendTaskSuccess', 'rollout'],
    ['states:SendTaskHeartbeat', 'deploy'],
  ])('does not let the approver %s on %s', (action, target) => {
    // Prepare
    const resource = target === 'deploy' || target === 'rollout' ? machineRef(json, `fleetflow-canonical-${target}`) : target;

    // Act
    const decision = evaluate(roleStatements(json, approver), { action, resource });

    // Assess
    expect(decision).toBe('implicitly denied');
  });

  it('leaves the token unreadable to a role that may only start releases', () => {
    // Act
    const decision = evaluate(roleStatements(json, bystander), { action: 'states:GetExecutionHistory', resource: DEPLOY_EXECUTION });

    // Assess
    expect(decision).toBe('implicitly denied');
    expect(evaluate(roleStatements(json, bystander), { action: 'states:StartExecution', resource: machineRef(json, 'fleetflow-canonical-deploy') })).toBe('allowed');
  });
});
