/**
 * The bad-input corpus: environment definitions, execution inputs and CLI arguments that
 * FleetFlow must refuse before anything changes, each with a message of at most 1 KB that
 * names the field (or option) at fault.
 *
 * - An environment definition is refused by `fleetflow validate` (exit 2), by Plan Release
 *   (InvalidInputError before any AWS call) and by synth (the stack's constructor).
 * - An execution input is refused by Plan Release with InvalidInputError before any AWS call.
 * - A CLI argument exits 2 before any execution runs or any state machine is synthesized
 *   (simulateDeploy, which synthesizes and runs, is never called).
 *
 * Every example of class 6 ("bad input that gets through") of issue 7 is here, marked
 * "issue 7".
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { RDSClient } from '@aws-sdk/client-rds';
import { SSMClient } from '@aws-sdk/client-ssm';
import { App } from 'aws-cdk-lib';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import canonical from '../../environments/canonical.json';
import { planRelease } from '../../lambdas/deploy/plan-release';
import { InvalidInputError } from '../../lambdas/domain/contract/errors';
import { main } from '../../lib/cli/main';
import { InvalidEnvironmentError } from '../../lambdas/domain/environment/errors';
import { parseEnvironment, readEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { FleetFlowStack } from '../../lib/fleetflow-stack';
import { simulateDeploy } from '../../lib/simulator/simulate';

// Synthesizing the workflows and running an execution both happen in simulateDeploy: a
// refused command line must never get there.
vi.mock('../../lib/simulator/simulate', () => ({
  simulateDeploy: vi.fn(async () => {
    throw new Error('simulateDeploy ran: bad input reached the simulation');
  }),
}));

/** The canonical definition as synth stores it for the planners: validated, as JSON text. */
const storedCanonical = JSON.stringify(parseEnvironment(canonical));

const MAX_MESSAGE_BYTES = 1024;
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const MIB = 1024 * 1024;

const mocks = [
  mockClient(EC2Client),
  mockClient(ElasticLoadBalancingV2Client),
  mockClient(CloudWatchClient),
  mockClient(SSMClient),
  mockClient(RDSClient),
  mockClient(DynamoDBClient),
];

beforeEach(() => {
  for (const m of mocks) m.reset();
  vi.mocked(simulateDeploy).mockClear();
});

function expectNoAwsCall(): void {
  for (const m of mocks) expect(m).not.toHaveReceivedAnyCommand();
}

// ---------------------------------------------------------------------------------------
// Running the CLI in process
// ---------------------------------------------------------------------------------------

interface CliRun {
  status: number;
  /** The refusal: stderr after "fleetflow: ", its hint to the command's --help included. */
  message: string;
  stdout: string;
}

async function fleetflow(...argv: string[]): Promise<CliRun> {
  let stderr = '';
  let stdout = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  try {
    const status = await main(argv);
    const start = stderr.startsWith('fleetflow: ') ? 'fleetflow: '.length : 0;
    return { status, message: stderr.slice(start).replace(/\n$/, ''), stdout };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

async function expectCliRefuses(argv: string[], field: string): Promise<CliRun> {
  const run = await fleetflow(...argv);
  expect(run.status).toBe(2);
  expect(run.message.length).toBeGreaterThan(0);
  expect(bytes(run.message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  expect(run.message).toContain(field);
  // Never the whole usage: the refusal, then where to read more.
  expect(run.message).toMatch(/ \(see: fleetflow( [a-z-]+)* --help\)$/);
  expect(run.message).not.toContain('Usage:');
  expect(run.stdout).toBe('');
  expect(simulateDeploy).not.toHaveBeenCalled();
  return run;
}

// ---------------------------------------------------------------------------------------
// Environment definitions
// ---------------------------------------------------------------------------------------

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleetflow-bad-input-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileSerial = 0;
function writeEnvironment(text: string): string {
  const path = join(dir, `env-${++fileSerial}.json`);
  writeFileSync(path, text);
  return path;
}

/** The canonical definition as JSON text, changed by `edit`. */
function edited(edit: (env: any) => void): string {
  const env = structuredClone(canonical) as any;
  edit(env);
  return JSON.stringify(env);
}

/** The canonical definition as JSON text, with `insert` put right after the first `after`. */
function injected(after: string, insert: string): string {
  const text = JSON.stringify(canonical);
  const at = text.indexOf(after);
  if (at === -1) throw new Error(`${after} is not in the canonical definition`);
  return text.slice(0, at + after.length) + insert + text.slice(at + after.length);
}

const window = (schedule: string, timezone = 'UTC') =>
  edited((env) => {
    env.releaseWindows[0].schedule = schedule;
    env.releaseWindows[0].timezone = timezone;
  });
const webParameter = (name: string, value: string) =>
  edited((env) => {
    env.tiers[2].install.parameters[name] = [value];
  });
const tags = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 'v']));
const alarms = (count: number) => Array.from({ length: count }, (_, i) => `canonical-alarm-${i}`);
const HUGE = 24 * MIB;

interface EnvironmentCase {
  readonly label: string;
  readonly text: () => string;
  /** What the message must name (the field, or for a file-level refusal, the file's problem). */
  readonly field: string;
  /** What the CLI's message must name, when it reads the file differently (size before content). */
  readonly cliField?: string;
  /** Text the message must never contain (a secret, or the bulk of a huge value). */
  readonly hidden?: string;
  /** Refused only as a file (the CLI and `cdk synth` read files; the object itself is fine). */
  readonly fileOnly?: boolean;
}

const ENVIRONMENT_CASES: EnvironmentCase[] = [
  // Schedules (issue 7: "cron expressions and time zones are not validated ... cron(banana) synthesizes")
  { label: 'issue 7: cron(banana)', text: () => window('cron(banana)'), field: 'releaseWindows[0].schedule' },
  { label: 'a cron expression of five fields', text: () => window('cron(0 3 * * ?)'), field: 'releaseWindows[0].schedule' },
  { label: 'a cron minute of 60', text: () => window('cron(60 3 ? * TUE *)'), field: 'releaseWindows[0].schedule' },
  { label: 'a cron hour of 24', text: () => window('cron(0 24 ? * TUE *)'), field: 'releaseWindows[0].schedule' },
  { label: 'a cron month of 13', text: () => window('cron(0 3 1 13 ? *)'), field: 'releaseWindows[0].schedule' },
  { label: 'a cron day of week FUN', text: () => window('cron(0 3 ? * FUN *)'), field: 'releaseWindows[0].schedule' },
  { label: 'a cron with ? in both day fields', text: () => window('cron(0 3 ? * ? *)'), field: 'releaseWindows[0].schedule' },
  { label: 'a cron with * in both day fields', text: () => window('cron(0 3 * * * *)'), field: 'releaseWindows[0].schedule' },
  { label: 'a cron with two # expressions', text: () => window('cron(0 3 ? * 3#1,6#3 *)'), field: 'releaseWindows[0].schedule' },
  { label: 'a cron year before 1970', text: () => window('cron(0 3 ? * TUE 1969)'), field: 'releaseWindows[0].schedule' },
  { label: 'rate(0 minutes)', text: () => window('rate(0 minutes)'), field: 'releaseWindows[0].schedule' },
  { label: 'rate(5 minute) (singular unit)', text: () => window('rate(5 minute)'), field: 'releaseWindows[0].schedule' },
  { label: 'rate(1 hours) (plural unit)', text: () => window('rate(1 hours)'), field: 'releaseWindows[0].schedule' },
  { label: 'rate(2 weeks)', text: () => window('rate(2 weeks)'), field: 'releaseWindows[0].schedule' },
  { label: 'at() of February 30th', text: () => window('at(2026-02-30T03:00:00)'), field: 'releaseWindows[0].schedule' },
  { label: 'at(tomorrow)', text: () => window('at(tomorrow)'), field: 'releaseWindows[0].schedule' },
  { label: 'a schedule that is no expression', text: () => window('every tuesday at 3'), field: 'releaseWindows[0].schedule' },
  { label: 'issue 7: the time zone Mars/Olympus', text: () => window('cron(0 3 ? * TUE *)', 'Mars/Olympus'), field: 'releaseWindows[0].timezone' },
  { label: 'a time zone given as an offset', text: () => window('cron(0 3 ? * TUE *)', '+02:00'), field: 'releaseWindows[0].timezone' },
  { label: 'a time zone in the wrong case', text: () => window('cron(0 3 ? * TUE *)', 'europe/berlin'), field: 'releaseWindows[0].timezone' },
  // Tiers
  {
    label: 'issue 7: duplicate tier order values',
    text: () =>
      edited((env) => {
        env.tiers[2].order = env.tiers[1].order;
      }),
    field: 'tiers[2].order',
  },
  {
    label: 'issue 7: a second data tier',
    text: () =>
      edited((env) => {
        env.tiers.push({ ...structuredClone(env.tiers[0]), name: 'analytics', order: 9 });
      }),
    field: 'tiers[4].role',
  },
  {
    label: 'more than 20 tiers',
    text: () =>
      edited((env) => {
        for (let i = 0; i < 20; i += 1) env.tiers.push({ ...structuredClone(env.tiers[2]), name: `web${i}`, order: 10 + i });
      }),
    field: 'tiers',
  },
  // Secrets by name and by value shape
  { label: 'issue 7: a literal password in a parameter named dbPass', text: () => webParameter('dbPass', 'hunter2'), field: 'tiers[2].install.parameters.dbPass[0]', hidden: 'hunter2' },
  { label: 'a literal password in a parameter named dbPassword', text: () => webParameter('dbPassword', 'hunter2'), field: 'tiers[2].install.parameters.dbPassword[0]', hidden: 'hunter2' },
  {
    label: 'a literal token in a health command parameter named apiToken',
    text: () =>
      edited((env) => {
        env.tiers[3].health.command.parameters = { apiToken: ['t0k3n-hunter2'] };
      }),
    field: 'tiers[3].health.command.parameters.apiToken[0]',
    hidden: 'hunter2',
  },
  {
    label: 'issue 7: credentials embedded in a URL',
    text: () => webParameter('repository', 'https://deploy:hunter2@git.example.com/storefront.git'),
    field: 'tiers[2].install.parameters.repository[0]',
    hidden: 'hunter2',
  },
  {
    label: 'credentials in a URL in the migration parameters',
    text: () =>
      edited((env) => {
        env.tiers[0].database.migration.parameters.target = ['postgres://migrator:hunter2@db.internal:5432/orders'];
      }),
    field: 'tiers[0].database.migration.parameters.target[0]',
    hidden: 'hunter2',
  },
  {
    label: 'a password field in a connection string',
    text: () => webParameter('connectionString', 'Server=db.internal;User Id=app;Password=hunter2'),
    field: 'tiers[2].install.parameters.connectionString[0]',
    hidden: 'hunter2',
  },
  {
    label: 'a random-looking key in a connection-string parameter',
    text: () => webParameter('databaseUrl', 'postgres://db.internal/orders?sslkey=Zq8m3Kp1Lr7Tn5Wv9Yx2Ab4C'),
    field: 'tiers[2].install.parameters.databaseUrl[0]',
    hidden: 'Zq8m3Kp1Lr7Tn5Wv9Yx2Ab4C',
  },
  {
    label: 'a random-looking key dressed as an SSM path in a secret parameter',
    text: () =>
      edited((env) => {
        env.tiers[0].database.migration.parameters.databaseSecret = ['/Zq8m3Kp1Lr7Tn5Wv9Yx2Ab4C'];
      }),
    field: 'tiers[0].database.migration.parameters.databaseSecret[0]',
    hidden: 'Zq8m3Kp1Lr7Tn5Wv9Yx2Ab4C',
  },
  // Prototype keys (issue 7: "__proto__ keys are dropped silently")
  { label: 'issue 7: a __proto__ key at the top level', text: () => injected('{', '"__proto__":{"polluted":true},'), field: '__proto__' },
  { label: 'issue 7: a __proto__ key in a host selector', text: () => injected('"tags":{', '"__proto__":"x",'), field: 'tiers[1].hosts.tags.__proto__' },
  { label: 'a constructor key among migration parameters', text: () => injected('"parameters":{', '"constructor":["x"],'), field: 'tiers[0].database.migration.parameters.constructor' },
  { label: 'a prototype key in a batch policy', text: () => injected('"batch":{', '"prototype":{"maxUnavailable":5},'), field: 'tiers[1].batch.prototype' },
  // Sizes
  {
    label: 'a selector of 51 tags (EC2 allows 50 per instance)',
    text: () =>
      edited((env) => {
        env.tiers[2].hosts.tags = tags(51);
      }),
    field: 'tiers[2].hosts.tags',
  },
  {
    label: 'a selector of 50,000 tags, refused without reading them',
    text: () =>
      edited((env) => {
        env.tiers[2].hosts.tags = tags(50_000);
      }),
    field: 'tiers[2].hosts.tags',
  },
  {
    label: 'issue 7: a selector of 100,000 tags (over 1 MiB as a file)',
    text: () =>
      edited((env) => {
        env.tiers[2].hosts.tags = tags(100_000);
      }),
    field: 'tiers[2].hosts.tags',
    cliField: 'at most 1,048,576 bytes',
  },
  {
    label: 'a tag value of 256 characters (DescribeInstances takes 255)',
    text: () =>
      edited((env) => {
        env.tiers[2].hosts.tags['fleetflow:tier'] = 'w'.repeat(256);
      }),
    field: 'tiers[2].hosts.tags',
  },
  {
    label: 'a tier of 101 alarms (DescribeAlarms takes 100 names a call)',
    text: () =>
      edited((env) => {
        env.tiers[2].alarms = alarms(101);
      }),
    field: 'tiers[2].alarms',
  },
  {
    label: 'a validation of 101 alarms',
    text: () =>
      edited((env) => {
        env.validation.alarms = alarms(101);
      }),
    field: 'validation.alarms',
  },
  {
    label: 'a validation of 11 alarm prefixes',
    text: () =>
      edited((env) => {
        env.validation.alarmPrefixes = alarms(11);
      }),
    field: 'validation.alarmPrefixes',
  },
  {
    label: 'an install with 51 parameters',
    text: () =>
      edited((env) => {
        env.tiers[2].install.parameters = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`p${i}`, ['x']]));
      }),
    field: 'tiers[2].install.parameters',
  },
  {
    label: 'issue 7: a 24 MB value (never echoed)',
    text: () =>
      edited((env) => {
        env.tiers[2].name = 'x'.repeat(HUGE);
      }),
    field: 'tiers[2].name',
    cliField: 'at most 1,048,576 bytes',
    hidden: 'x'.repeat(200),
  },
  {
    label: 'a 2,000-character tier name (echoed cut)',
    text: () =>
      edited((env) => {
        env.tiers[2].name = 'x'.repeat(2000);
      }),
    field: 'tiers[2].name',
    hidden: 'x'.repeat(200),
  },
  {
    label: 'a tier with 1,000 unknown fields',
    text: () =>
      edited((env) => {
        for (let i = 0; i < 1000; i += 1) env.tiers[2][`unknownField${i}`] = i;
      }),
    field: 'tiers[2]',
  },
  {
    label: 'a definition nested 100 levels deep',
    text: () =>
      edited((env) => {
        let deep: unknown = 'x';
        for (let i = 0; i < 100; i += 1) deep = [deep];
        env.tiers[2].install.parameters.component = deep;
      }),
    field: 'tiers[2].install.parameters.component',
  },
  {
    label: 'a file over 1 MiB (padded with spaces)',
    text: () => JSON.stringify(canonical) + ' '.repeat(MIB),
    field: 'at most 1,048,576 bytes',
    fileOnly: true,
  },
];

function expectBounded(message: string, c: Pick<EnvironmentCase, 'hidden'>): void {
  expect(bytes(message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  if (c.hidden) expect(message).not.toContain(c.hidden);
}

describe('bad environment definitions', () => {
  describe.each(ENVIRONMENT_CASES)('$label', (c) => {
    let text: string;
    let raw: unknown;
    beforeAll(() => {
      text = c.text();
      raw = JSON.parse(text);
    });

    it('fleetflow validate exits 2, naming the field', async () => {
      const run = await expectCliRefuses(['validate', '--env', writeEnvironment(text)], c.cliField ?? c.field);

      expectBounded(run.message, c);
    });

    it('fleetflow simulate deploy exits 2 before anything runs', async () => {
      const run = await expectCliRefuses(['simulate', 'deploy', '--env', writeEnvironment(text)], c.cliField ?? c.field);

      expectBounded(run.message, c);
    });

    // Plan Release reads only the definition synth validated and stored (synth refuses this one, below); handed the
    // file as it is, it refuses it as not what synth writes, before any AWS call. A file-only case (over 1 MiB) is not JSON Plan Release could get.
    if (!c.fileOnly) it('Plan Release refuses the file as it is, as not the stored definition, before any AWS call', async () => {
      const act = planRelease({ environment: raw, input: { release: '2.0.0' }, execution: 'deploy-2-0-0' });

      const err = await act.then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err!.message).toContain('the stored definition is not what synth writes');
      expectBounded(err!.message, c);
      expectNoAwsCall();
    });

    it('synth refuses it, naming the field', () => {
      // The CDK app reads the file (at most 1 MiB) and the stack validates what it read.
      const synth = () => {
        const definition = c.fileOnly || c.cliField ? readEnvironmentFile(writeEnvironment(text)) : raw;
        new FleetFlowStack(new App(), 'FleetFlow-corpus', { environment: definition });
      };

      let err: Error | undefined;
      try {
        synth();
      } catch (e) {
        err = e as Error;
      }
      expect(err).toBeInstanceOf(InvalidEnvironmentError);
      expect(err!.message).toContain(c.cliField ?? c.field);
      expectBounded(err!.message, c);
    });
  });

  it('issue 7: refuses a 100,000-tag selector in well under a second, without reading the tags', () => {
    const raw = JSON.parse(ENVIRONMENT_CASES.find((c) => c.label.includes('100,000 tags'))!.text());

    const started = performance.now();
    expect(() => parseEnvironment(raw)).toThrow(/tiers\[2\]\.hosts\.tags: has 100,000 keys; at most 50/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('keeps JSON.parse\'s own __proto__ property visible to the check (the schema would drop it)', () => {
    const raw = JSON.parse(injected('"tags":{', '"__proto__":{"fleetflow:tier":"db"},'));

    expect(Object.keys(raw.tiers[1].hosts.tags)).toContain('__proto__');
    expect(() => parseEnvironment(raw)).toThrow(/tiers\[1\]\.hosts\.tags\.__proto__: "__proto__" is not allowed as a key/);
  });
});

// ---------------------------------------------------------------------------------------
// Execution inputs
// ---------------------------------------------------------------------------------------

interface InputCase {
  readonly label: string;
  readonly input: () => unknown;
  readonly field: string;
  readonly hidden?: string;
}

const INPUT_CASES: InputCase[] = [
  { label: 'a 24 MB release (never echoed whole)', input: () => ({ release: 'r'.repeat(HUGE) }), field: 'release', hidden: 'r'.repeat(200) },
  { label: 'a __proto__ key', input: () => JSON.parse('{"release":"2.0.0","__proto__":{"requireApproval":false}}'), field: '__proto__' },
  { label: 'a constructor key', input: () => JSON.parse('{"release":"2.0.0","constructor":{"name":"x"}}'), field: 'constructor' },
  { label: 'a prototype key', input: () => JSON.parse('{"release":"2.0.0","prototype":1}'), field: 'prototype' },
  { label: 'a __proto__ key nested in a field', input: () => JSON.parse('{"release":"2.0.0","requireApproval":{"__proto__":{}}}'), field: 'requireApproval.__proto__' },
  { label: 'a release holding shell syntax', input: () => ({ release: '2.0.0; rm -rf /' }), field: 'release' },
  { label: 'a release of 65 characters', input: () => ({ release: 'r'.repeat(65) }), field: 'release' },
  { label: 'a release with a newline', input: () => ({ release: '2.0.0\n' }), field: 'release' },
  { label: 'a release that is a number', input: () => ({ release: 2 }), field: 'release' },
  { label: 'no release', input: () => ({}), field: 'release' },
  { label: 'a release that is a URL with credentials (never echoed)', input: () => ({ release: 'https://ci:hunter2@builds.example.com/2.0.0' }), field: 'release', hidden: 'hunter2' },
  { label: 'releaseFrom other than "next"', input: () => ({ releaseFrom: 'latest' }), field: 'releaseFrom' },
  { label: 'releaseFrom together with release', input: () => ({ releaseFrom: 'next', release: '2.0.0' }), field: 'releaseFrom' },
  { label: 'an unknown component', input: () => ({ release: '2.0.0', component: 'database' }), field: 'component' },
  { label: 'an unknown onValidationFailure', input: () => ({ release: '2.0.0', onValidationFailure: 'ignore' }), field: 'onValidationFailure' },
  { label: 'requireApproval as a string', input: () => ({ release: '2.0.0', requireApproval: 'yes' }), field: 'requireApproval' },
  {
    label: '100,000 unknown fields',
    input: () => ({ release: '2.0.0', ...Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`f${i}`, i])) }),
    field: 'unknown field(s) f0',
  },
  { label: 'a 24 MB string instead of an object', input: () => 'x'.repeat(HUGE), field: 'execution input', hidden: 'x'.repeat(200) },
  { label: 'an array instead of an object', input: () => [{ release: '2.0.0' }], field: 'execution input' },
];

describe('bad execution inputs', () => {
  it.each(INPUT_CASES)('refuses $label with InvalidInputError naming the field, before any AWS call', async (c) => {
    const err = await planRelease({ environment: storedCanonical, input: c.input(), execution: 'deploy-2-0-0' }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err!.message).toContain(c.field);
    expect(bytes(err!.message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    if (c.hidden) expect(err!.message).not.toContain(c.hidden);
    expectNoAwsCall();
  });
});

// ---------------------------------------------------------------------------------------
// CLI arguments
// ---------------------------------------------------------------------------------------

interface CliCase {
  readonly label: string;
  readonly argv: () => string[];
  readonly field: string;
  readonly hidden?: string;
}

const deploy = (...args: string[]) => ['simulate', 'deploy', ...args];

const CLI_CASES: CliCase[] = [
  { label: 'issue 7: --hosts 0x10', argv: () => deploy('--hosts', '0x10'), field: '--hosts' },
  { label: '--hosts 1e3', argv: () => deploy('--hosts', '1e3'), field: '--hosts' },
  { label: '--hosts 0', argv: () => deploy('--hosts', '0'), field: '--hosts' },
  { label: '--hosts -1', argv: () => deploy('--hosts=-1'), field: '--hosts' },
  { label: '--hosts 10.5', argv: () => deploy('--hosts', '10.5'), field: '--hosts' },
  { label: '--hosts " 5"', argv: () => deploy('--hosts', ' 5'), field: '--hosts' },
  { label: '--hosts +5', argv: () => deploy('--hosts', '+5'), field: '--hosts' },
  { label: '--hosts empty', argv: () => deploy('--hosts', ''), field: '--hosts' },
  { label: '--hosts 20001', argv: () => deploy('--hosts', '20001'), field: '--hosts' },
  { label: '--hosts of 10,000 digits', argv: () => deploy('--hosts', '9'.repeat(10_000)), field: '--hosts', hidden: '9'.repeat(200) },
  { label: 'issue 7: an invalid --release', argv: () => deploy('--release', 'bad release!'), field: '--release' },
  { label: '--release starting with a dash', argv: () => deploy('--release=-1.0.0'), field: '--release' },
  { label: '--release of 65 characters', argv: () => deploy('--release', 'r'.repeat(65)), field: '--release' },
  { label: '--release empty', argv: () => deploy('--release', ''), field: '--release' },
  { label: 'a 1 MB --release (echoed cut)', argv: () => deploy('--release', 'r'.repeat(MIB)), field: '--release', hidden: 'r'.repeat(200) },
  { label: 'an invalid --release for a window', argv: () => deploy('--window', 'tuesday-0300', '--release', 'bad release!'), field: '--release' },
  { label: '--component database', argv: () => deploy('--component', 'database'), field: '--component' },
  { label: '--on-failure ignore', argv: () => deploy('--on-failure', 'ignore'), field: '--on-failure' },
  { label: '--window with --component', argv: () => deploy('--window', 'tuesday-0300', '--component', 'monitoring'), field: '--window' },
  { label: 'an unknown --window', argv: () => deploy('--window', 'friday-1700'), field: '--window' },
  { label: '--fault naming an unknown host', argv: () => deploy('--fault', 'patch-fail:web-9'), field: '--fault patch-fail:web-9' },
  { label: '--fault naming a host beyond --hosts', argv: () => deploy('--hosts', '3', '--fault', 'unhealthy:web-4'), field: '--fault unhealthy:web-4' },
  { label: '--fault naming an unknown alarm', argv: () => deploy('--fault', 'alarm:no-such-alarm@60'), field: '--fault alarm:no-such-alarm@60' },
  { label: '--fault of an unknown kind', argv: () => deploy('--fault', 'explode:web-1'), field: '--fault' },
  { label: '--fault of 100,000 characters', argv: () => deploy('--fault', `patch-fail:${'w'.repeat(100_000)}`), field: '--fault', hidden: 'w'.repeat(200) },
  { label: 'a host fault among 20,000 hosts a tier (message bounded)', argv: () => deploy('--hosts', '20000', '--fault', 'patch-fail:web-20001'), field: '--fault patch-fail:web-20001' },
  { label: 'an unknown option', argv: () => deploy('--bogus'), field: '--bogus' },
  { label: 'an unknown option of 100,000 characters', argv: () => deploy(`--${'b'.repeat(100_000)}`), field: '--bbbb', hidden: 'b'.repeat(2000) },
  { label: '--release without its value', argv: () => deploy('--release'), field: '--release' },
  { label: '--env without its value', argv: () => deploy('--env'), field: '--env' },
  { label: '--release followed by another option', argv: () => deploy('--release', '--json'), field: '--release' },
  { label: '--hosts given twice', argv: () => deploy('--hosts', '2', '--hosts', '3'), field: '--hosts' },
  { label: 'a positional argument', argv: () => deploy('extra'), field: 'extra' },
  { label: 'a missing --env file', argv: () => deploy('--env', '/nonexistent/fleetflow.json'), field: '/nonexistent/fleetflow.json' },
  { label: 'an --env that is a directory', argv: () => deploy('--env', tmpdir()), field: 'not a regular file' },
  { label: 'an --env that is not JSON', argv: () => deploy('--env', writeEnvironment('{"name": ')), field: 'cannot read environment file' },
  { label: 'validate with an unknown option', argv: () => ['validate', '--bogus'], field: '--bogus' },
  { label: 'validate with a positional argument', argv: () => ['validate', 'environments/canonical.json'], field: 'environments/canonical.json' },
  { label: 'approve without --token', argv: () => ['approve'], field: '--token' },
  { label: 'reject with --token missing its value', argv: () => ['reject', '--token'], field: '--token' },
  { label: 'approve with a reason', argv: () => ['approve', '--token', 'AAAA', '--reason', 'why not'], field: '--reason' },
  { label: 'an unknown command', argv: () => ['simulate', 'campaing'], field: "unknown command 'campaing' (did you mean campaign?) (see: fleetflow simulate --help)" },
  { label: 'an unknown command of 1 MB (echoed cut)', argv: () => ['x'.repeat(MIB)], field: 'unknown command', hidden: 'x'.repeat(200) },
];

describe('bad CLI arguments', () => {
  it.each(CLI_CASES)('$label exits 2 before anything runs, naming it', async (c) => {
    const run = await expectCliRefuses(c.argv(), c.field);

    if (c.hidden) expect(run.message).not.toContain(c.hidden);
  });

  it('still runs a good command line (the corpus refuses bad input, not all input)', async () => {
    vi.mocked(simulateDeploy).mockResolvedValueOnce({ status: 'SUCCEEDED' } as never);

    const run = await fleetflow('simulate', 'deploy', '--json', '--hosts', '3', '--release', '2.0.0', '--fault', 'patch-fail:web-3');

    expect(run.status).toBe(0);
    expect(simulateDeploy).toHaveBeenCalledOnce();
    expect(vi.mocked(simulateDeploy).mock.calls[0]![0]).toMatchObject({ input: { release: '2.0.0' }, hostsPerTier: 3, faults: ['patch-fail:web-3'] });
  });
});

it('has at least 60 cases, and every example of class 6 of issue 7', () => {
  const cases = ENVIRONMENT_CASES.length + INPUT_CASES.length + CLI_CASES.length;
  const issue7 = [...ENVIRONMENT_CASES, ...CLI_CASES].filter((c) => c.label.startsWith('issue 7')).map((c) => c.label);

  expect(cases).toBeGreaterThanOrEqual(60);
  expect(issue7).toEqual(
    expect.arrayContaining([
      'issue 7: cron(banana)',
      'issue 7: the time zone Mars/Olympus',
      'issue 7: duplicate tier order values',
      'issue 7: a second data tier',
      'issue 7: a literal password in a parameter named dbPass',
      'issue 7: credentials embedded in a URL',
      'issue 7: a __proto__ key in a host selector',
      'issue 7: a 24 MB value (never echoed)',
      'issue 7: a selector of 100,000 tags (over 1 MiB as a file)',
      'issue 7: an invalid --release',
      'issue 7: --hosts 0x10',
    ]),
  );
});

// ---------------------------------------------------------------------------------------
// Compute execution inputs (allocate, scale-out, replace)
// ---------------------------------------------------------------------------------------
// Each is refused by its planner (Plan Allocate, Plan Scale Out, Plan Replace) with
// InvalidInputError before any AWS call, and on the command line with exit 2. (Import
// declarations are hoisted: these load with the ones at the top of the file.)

import { planAllocation } from '../../lambdas/compute/allocation';
import { planReplacement } from '../../lambdas/compute/plan-replacement';
import { planScaleOut } from '../../lambdas/compute/plan-scale-out';

interface ComputeInputCase {
  readonly label: string;
  readonly workflow: 'allocate' | 'scale-out' | 'replace';
  readonly input: () => unknown;
  readonly field: string;
  readonly hidden?: string;
}

const COMPUTE_INPUT_CASES: ComputeInputCase[] = [
  { label: 'scale-out: add 0', workflow: 'scale-out', input: () => ({ tier: 'web', add: 0 }), field: 'add' },
  { label: 'scale-out: a fractional add', workflow: 'scale-out', input: () => ({ tier: 'web', add: 2.5 }), field: 'add' },
  { label: 'scale-out: add over 5,000', workflow: 'scale-out', input: () => ({ tier: 'web', add: 5001 }), field: 'add' },
  { label: 'scale-out: an unknown field', workflow: 'scale-out', input: () => ({ tier: 'web', add: 1, force: true }), field: 'force' },
  { label: 'allocate: a tier count that is not an integer', workflow: 'allocate', input: () => ({ tiers: { web: 1.5 } }), field: 'tiers.web' },
  { label: 'allocate: a release with spaces', workflow: 'allocate', input: () => ({ release: '1.0 final' }), field: 'release' },
  { label: 'allocate: a __proto__ key among the tiers', workflow: 'allocate', input: () => JSON.parse('{"tiers":{"__proto__":{"web":9}}}'), field: 'tiers.__proto__' },
  { label: 'allocate: a 24 MB release (never echoed whole)', workflow: 'allocate', input: () => ({ release: 'r'.repeat(HUGE) }), field: 'release', hidden: 'r'.repeat(200) },
  { label: 'replace: an empty target list', workflow: 'replace', input: () => ({ targets: [] }), field: 'targets' },
  { label: 'replace: 501 targets', workflow: 'replace', input: () => ({ targets: Array.from({ length: 501 }, (_, i) => `web-${i + 1}`) }), field: 'targets' },
  { label: 'replace: a target that is not a host name', workflow: 'replace', input: () => ({ targets: ['web-1; reboot'] }), field: 'targets[0]' },
  { label: 'replace: an unknown mode', workflow: 'replace', input: () => ({ targets: ['web-1'], mode: 'everything' }), field: 'mode' },
  { label: 'replace: a list instead of an object', workflow: 'replace', input: () => [{ targets: ['web-1'] }], field: 'replace input' },
];

const COMPUTE_PLANNERS = {
  allocate: (input: unknown) => planAllocation({ environment: storedCanonical, input, execution: 'allocate-1' }),
  'scale-out': (input: unknown) => planScaleOut({ environment: storedCanonical, input, execution: 'scale-out-1' }),
  replace: (input: unknown) => planReplacement({ environment: storedCanonical, input, execution: 'replace-1' }),
};

describe('bad compute execution inputs', () => {
  it.each(COMPUTE_INPUT_CASES)('refuses $label with InvalidInputError naming the field, before any AWS call', async (c) => {
    const err = await COMPUTE_PLANNERS[c.workflow](c.input()).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err!.message).toContain(c.field);
    expect(bytes(err!.message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    if (c.hidden) expect(err!.message).not.toContain(c.hidden);
    expectNoAwsCall();
  });
});

const COMPUTE_CLI_CASES: CliCase[] = [
  { label: 'simulate scale-out --add 0', argv: () => ['simulate', 'scale-out', '--tier', 'web', '--add', '0'], field: '--add' },
  { label: 'simulate scale-out --add 1.5', argv: () => ['simulate', 'scale-out', '--tier', 'web', '--add', '1.5'], field: '--add' },
  { label: 'simulate scale-out without --tier', argv: () => ['simulate', 'scale-out', '--add', '2'], field: '--tier' },
  { label: 'simulate replace --mode everything', argv: () => ['simulate', 'replace', '--targets', 'web-1', '--mode', 'everything'], field: 'mode' },
  { label: 'simulate replace --targets with a space', argv: () => ['simulate', 'replace', '--targets', 'web 1'], field: 'targets[0]' },
  { label: 'simulate allocate --tiers web=1.5', argv: () => ['simulate', 'allocate', '--tiers', 'web=1.5'], field: '--tiers' },
  { label: 'simulate allocate --release with spaces', argv: () => ['simulate', 'allocate', '--release', '1.0 final'], field: 'release' },
  { label: 'simulate allocate --tier (an option of scale-out)', argv: () => ['simulate', 'allocate', '--tier', 'web'], field: '--tier' },
];

describe('bad compute CLI arguments', () => {
  it.each(COMPUTE_CLI_CASES)('$label exits 2 before anything runs, naming it', async (c) => {
    const run = await expectCliRefuses(c.argv(), c.field);

    if (c.hidden) expect(run.message).not.toContain(c.hidden);
  });
});
