/**
 * `fleetflow start` and `status` against moto's server (an AWS emulator nobody on this
 * project wrote, test/contract/moto-server.ts), through AWS_ENDPOINT_URL: the real SDK
 * clients, credential chain, SigV4 and wire protocols (Step Functions' JSON, STS's query for
 * GetCallerIdentity), and moto's own StartExecution rules for a name used before. moto keeps
 * an execution RUNNING until it is stopped, so the closed case is a stopped (ABORTED) one.
 */
import { CreateStateMachineCommand, ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../lib/cli/main';
import { startMoto, type MotoServer } from '../../contract/moto-server';

const REGION = 'us-east-1';
/** moto's account, as its GetCallerIdentity answers. */
const MOTO_ACCOUNT = '123456789012';

let moto: MotoServer;
let sfn: SFNClient;
let machineArn: string;
let saved: NodeJS.ProcessEnv;
let stdout: string;
let stderr: string;

beforeAll(async () => {
  moto = await startMoto();
  sfn = new SFNClient({ region: REGION, endpoint: moto.endpoint, credentials: { accessKeyId: 'AKIAMOTOTEST0000', secretAccessKey: 'moto' } });
  const machine = await sfn.send(
    new CreateStateMachineCommand({
      name: 'fleetflow-canonical-deploy',
      definition: JSON.stringify({ StartAt: 'Plan Release', States: { 'Plan Release': { Type: 'Pass', End: true } } }),
      roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/fleetflow-deploy`,
    }),
  );
  machineArn = machine.stateMachineArn!;
}, 60_000);

afterAll(async () => {
  sfn?.destroy();
  await moto?.stop();
});

beforeEach(() => {
  saved = { ...process.env };
  for (const key of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_REGION']) delete process.env[key];
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'AKIAMOTOTEST0000',
    AWS_SECRET_ACCESS_KEY: 'moto',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  process.env = saved;
});

const executions = async () => (await sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn }))).executions ?? [];

describe('fleetflow start against moto', () => {
  it('run twice, starts one execution, in the state machine the caller\'s account and region name', async () => {
    // Act
    const first = await main(['start', 'deploy', '--env', 'canonical', '--release', '1.2.3']);
    const firstOut = stdout;
    const second = await main(['start', 'deploy', '--env', 'canonical', '--release', '1.2.3']);

    // Assess
    expect([first, second]).toEqual([0, 0]);
    const listed = await executions();
    expect(listed).toHaveLength(1);
    const arn = listed[0]!.executionArn!;
    expect(arn.startsWith(`arn:aws:states:${REGION}:${MOTO_ACCOUNT}:execution:fleetflow-canonical-deploy:1_2_3-`)).toBe(true);
    expect(firstOut).toBe(`started ${arn}\n`);
    expect(stdout).toBe(`started ${arn}\nstarted ${arn}\n`);
    expect(stderr).toBe('');
  });

  it('status describes it: RUNNING, its release, exit 0', async () => {
    // Prepare
    const arn = (await executions())[0]!.executionArn!;

    // Act
    const code = await main(['status', arn]);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain(`execution  ${arn}\nstatus     RUNNING\nrelease    1.2.3\n`);
  });

  it('once the execution is closed, a retried start --wait reports it (ABORTED, exit 1) and starts nothing', async () => {
    // Prepare
    const arn = (await executions())[0]!.executionArn!;
    await sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'StoppedByOperator', cause: 'stopped for the test' }));

    // Act
    const code = await main(['start', 'deploy', '--env', 'canonical', '--release', '1.2.3', '--wait']);

    // Assess
    expect(code).toBe(1);
    expect(await executions()).toHaveLength(1);
    expect(stdout).toBe(`already started by an earlier identical start, ABORTED: ${arn}\n`);
    expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(stderr).toContain('ABORTED');
  });

  it('refuses a run id used for another input, exit 2, one line', async () => {
    // Prepare
    expect(await main(['start', 'deploy', '--env', 'canonical', '--release', '2.0.0', '--run-id', 'ci-77'])).toBe(0);
    stderr = '';

    // Act
    const code = await main(['start', 'deploy', '--env', 'canonical', '--release', '2.0.1', '--run-id', 'ci-77']);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toMatch(/^fleetflow: execution name ci-77 was already used for another input \([^\n]+\n$/);
    expect(await executions()).toHaveLength(2);
  });
});
