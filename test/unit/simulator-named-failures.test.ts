/**
 * The simulator pieces behind issue 7's classes 3 and 5: the one-off exception fault
 * (`error:STATE[@N]`), and the lock table's conditions and ListExecutions as the lock's
 * takeover of a malformed item uses them.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { InvalidFaultError, noFaults, parseFaults } from '../../lib/simulator/faults';
import { LOCK_TABLE_NAME, seedAccount } from '../../lib/simulator/fleet';
import { callIntegration } from '../../lib/simulator/integrations';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../environments/canonical.json', import.meta.url)));
const TASKS = new Set(['Check Install', 'Record Release']);
const DEPLOY = 'arn:aws:states:us-east-1:123456789012:stateMachine:fleetflow-canonical-deploy';

describe('error:STATE[@N] faults', () => {
  it('makes the Nth invocation of the named task throw, the first by default, several times over', () => {
    // Act
    const faults = parseFaults(['error:Check Install@2', 'error:Check Install@3', 'error:Record Release'], new Set(), new Set(), TASKS);

    // Assess
    expect(faults.taskErrors).toEqual(
      new Map([
        ['Check Install', new Set([2, 3])],
        ['Record Release', new Set([1])],
      ]),
    );
  });

  it.each([
    ['error:Nope', 'no Lambda task state is named "Nope"'],
    ['error:Check Install@0', 'use error:STATE[@N]'],
    ['error:Check Install@x', 'no Lambda task state is named "Check Install@x"'],
  ])('refuses %s', (spec, message) => {
    // Act
    const act = () => parseFaults([spec], new Set(), new Set(), TASKS);

    // Assess
    expect(act).toThrow(InvalidFaultError);
    expect(act).toThrow(message);
  });

  it('accepts any state name when the workflows are not known yet (the simulation checks it before anything runs)', () => {
    expect(parseFaults(['error:Anything'], new Set(), new Set()).taskErrors?.get('Anything')).toEqual(new Set([1]));
  });
});

describe('the lock table and ListExecutions, as the lock uses them', () => {
  const MALFORMED = 'attribute_not_exists(holder) OR NOT attribute_type(holder, :text)';
  const put = (account: ReturnType<typeof seedAccount>, condition: string, values: Record<string, unknown> = { ':text': { S: 'S' } }) =>
    callIntegration(
      'arn:aws:states:::dynamodb:putItem',
      {
        TableName: LOCK_TABLE_NAME,
        Item: { environment: { S: 'canonical' }, holder: { S: `${DEPLOY.replace(':stateMachine:', ':execution:')}:me` } },
        ConditionExpression: condition,
        ExpressionAttributeValues: values,
      },
      { account },
    );

  it.each([
    ['no holder', {}, true],
    ['a number', { holder: { N: '42' } }, true],
    ['a list', { holder: { L: [] } }, true],
    ['a string', { holder: { S: 'bob' } }, false],
  ])('takes a lock item whose holder is %s over only while it has no string holder: %s', async (_, holder, taken) => {
    // Prepare
    const account = seedAccount(canonical, noFaults());
    account.tables.get(LOCK_TABLE_NAME)!.set('canonical', { environment: { S: 'canonical' }, ...(holder as Record<string, Record<string, string>>) });

    // Act
    const result = put(account, MALFORMED);

    // Assess
    if (taken) {
      await expect(result).resolves.toEqual({});
      expect(account.tables.get(LOCK_TABLE_NAME)!.get('canonical')!.holder!.S).toMatch(/:me$/);
    } else {
      await expect(result).rejects.toMatchObject({ name: 'DynamoDB.ConditionalCheckFailedException' });
    }
  });

  it('lists the running executions of a state machine only, newest first, at most MaxResults', async () => {
    // Prepare
    const account = seedAccount(canonical, noFaults());
    const execution = (machine: string, name: string) => `arn:aws:states:us-east-1:123456789012:execution:${machine}:${name}`;
    account.executions.set(execution('fleetflow-canonical-deploy', 'old'), 'SUCCEEDED');
    account.executions.set(execution('fleetflow-canonical-deploy', 'a'), 'RUNNING');
    account.executions.set(execution('fleetflow-canonical-rollout', 'child'), 'RUNNING');
    account.executions.set(execution('fleetflow-canonical-deploy-other', 'x'), 'RUNNING');
    account.executions.set(execution('fleetflow-canonical-deploy', 'b'), 'RUNNING');
    account.executions.set(execution('fleetflow-canonical-deploy', 'c'), 'RUNNING');

    // Act
    const listed = (await callIntegration('arn:aws:states:::aws-sdk:sfn:listExecutions', { StateMachineArn: DEPLOY, StatusFilter: 'RUNNING', MaxResults: 2 }, { account })) as {
      Executions: Array<{ Name: string }>;
    };

    // Assess
    expect(listed.Executions.map((e) => e.Name)).toEqual(['c', 'b']);
  });
});
