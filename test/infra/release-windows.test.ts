/**
 * A release window is an EventBridge Scheduler schedule that starts the state machine
 * with the window's input, in the window's time zone.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { FleetFlowStack } from '../../lib/fleetflow-stack';

const canonical = JSON.parse(readFileSync(fileURLToPath(new URL('../../environments/canonical.json', import.meta.url)), 'utf8'));
let template: Template;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = new FleetFlowStack(app, 'FleetFlow-canonical', { environment: canonical, env: { account: '111122223333', region: 'eu-west-1' } });
  template = Template.fromStack(stack as Stack);
});

describe('release windows', () => {
  it('schedules the canonical Tuesday 03:00 UTC window to start the queued release', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    const schedule = Object.values(template.findResources('AWS::Scheduler::Schedule'))[0]!;
    expect(schedule.Properties.ScheduleExpression).toBe('cron(0 3 ? * TUE *)');
    expect(schedule.Properties.ScheduleExpressionTimezone).toBe('UTC');
    expect(JSON.parse(schedule.Properties.Target.Input)).toEqual({ releaseFrom: 'next', component: 'application' });
    expect(JSON.stringify(schedule.Properties.Target.Arn)).toContain('DeployStateMachine');
  });

  it('lets the scheduler start executions of this state machine only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: Match.stringLikeRegexp('DeployStateMachine') } }),
        ]),
      },
    });
  });

  it('creates no schedule for an environment without windows', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
    const stack = new FleetFlowStack(app, 'NoWindows', { environment: { ...canonical, releaseWindows: [] } });
    Template.fromStack(stack).resourceCountIs('AWS::Scheduler::Schedule', 0);
  });
});
