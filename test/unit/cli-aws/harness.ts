/**
 * Running the AWS commands in a test: a commander program with registerAwsCommands, a
 * context whose SDK clients aws-sdk-client-mock answers (the mocks are set up by each test),
 * a fixed caller identity, a clock that does not wait, and the lines each stream got.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { Command } from 'commander';
import { registerAwsCommands } from '../../../lib/cli/aws/commands';
import type { AwsContext } from '../../../lib/cli/aws/context';

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const CALLER_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/Releasers/alice`;
export const DEPLOY_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:fleetflow-canonical-deploy`;

export interface Run {
  readonly exitCode: number;
  readonly out: string[];
  readonly err: string[];
  /** What the command threw (an InvalidInputError: main prints it, exit 2). */
  readonly thrown?: Error;
  /** How many times the command slept between two looks. */
  readonly sleeps: number;
  /** The region each AWS context was asked for (undefined: the configured one). */
  readonly regions: Array<string | undefined>;
}

/** A context whose clients aws-sdk-client-mock answers (set up by each test), a fixed caller and clock, and a sleep that counts. */
export function fakeContext(): { context: AwsContext; out: string[]; err: string[]; sleeps: () => number } {
  const out: string[] = [];
  const err: string[] = [];
  let sleeps = 0;
  const context: AwsContext = {
    sfn: new SFNClient({ region: REGION, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } }),
    ssm: new SSMClient({ region: REGION, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } }),
    caller: () => Promise.resolve({ arn: CALLER_ARN, account: ACCOUNT, partition: 'aws' }),
    region: () => Promise.resolve(REGION),
    sleep: () => {
      sleeps += 1;
      if (sleeps > 1000) throw new Error('the command kept polling');
      return Promise.resolve();
    },
    now: () => new Date('2026-12-07T10:00:00Z'),
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    pollMs: 0,
  };
  return { context, out, err, sleeps: () => sleeps };
}

export async function runAws(args: readonly string[]): Promise<Run> {
  const { context, out, err, sleeps: slept } = fakeContext();
  const program = new Command('fleetflow').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  const regions: Array<string | undefined> = [];
  registerAwsCommands(program, (region) => (regions.push(region), context));
  for (const sub of program.commands) sub.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  const previous = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync([...args], { from: 'user' });
    return { exitCode: Number(process.exitCode ?? 0), out, err, sleeps: slept(), regions };
  } catch (thrown) {
    return { exitCode: -1, out, err, thrown: thrown as Error, sleeps: slept(), regions };
  } finally {
    process.exitCode = previous;
  }
}
