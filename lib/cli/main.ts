/**
 * The `fleetflow` command line.
 *
 *   fleetflow simulate deploy [--env FILE] [--release VERSION] [--fault KIND:TARGET]... [--hosts N] [--json]
 *   fleetflow validate [--env FILE]
 *
 * Exit status: 0 when the deployment succeeded, 1 when it failed, 2 for bad usage.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { InvalidEnvironmentError } from '../environment/errors';
import { loadEnvironmentFile } from '../environment/parse';
import { InvalidFaultError } from '../simulator/faults';
import { queueRelease } from '../simulator/fleet';
import { simulateDeploy, type SimulationReport } from '../simulator/simulate';
import { releaseWindowInput } from '../release-windows';
import { approve, reject, validateToken } from './approval';
import { formatHumanSummary } from './summary';

const DEFAULT_ENV = fileURLToPath(new URL('../../environments/canonical.json', import.meta.url));
const DEFAULT_RELEASE = '1.1.0';

const USAGE = `Usage:
  fleetflow simulate deploy [--env FILE] [--release VERSION] [--component application|monitoring]
                           [--on-failure rollback|halt] [--require-approval] [--window NAME]
                           [--fault KIND:TARGET]... [--hosts N] [--json]
      Run a release of the environment (default: the canonical one) against a
      simulated AWS account on a virtual clock.
      --fault  patch-fail:HOST | unhealthy:HOST | drain-stuck:HOST | throttle:SERVICE
               | alarm:NAME@SECONDS | migration-fail | approval:approve|reject|timeout
               | db-status:STATUS@SECONDS[+DURATION] (the database reports an RDS
               status, e.g. modifying@0+300, storage-full@600)
               (repeatable; SERVICE: ec2, elbv2, ssm, cloudwatch; an approval fault
               implies --require-approval)
      --window start as the environment's release window NAME does (EventBridge
               Scheduler): --release is queued as the window's next release first
      --hosts  hosts per web/middle/monitoring tier in the simulated account (default 2)
      --json   print one JSON document on stdout; progress goes to stderr
  fleetflow validate [--env FILE]
      Check an environment definition and print the problems found.
  fleetflow approve --token TOKEN [--approver NAME]
  fleetflow reject --token TOKEN [--approver NAME] [--reason TEXT]
      Answer a release waiting for approval on AWS (the token is in the notification).
`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const [command, subcommand, ...rest] = argv;
    if (command === 'simulate' && subcommand === 'deploy') return await simulateCommand(rest);
    if (command === 'validate') return validateCommand(argv.slice(1));
    if (command === 'approve' || command === 'reject') return await answerCommand(command, argv.slice(1));
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command "${argv.join(' ')}"`);
  } catch (err) {
    if (err instanceof UsageError || err instanceof InvalidEnvironmentError || err instanceof InvalidFaultError || isParseArgsError(err)) {
      process.stderr.write(`fleetflow: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}

async function simulateCommand(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      env: { type: 'string', default: DEFAULT_ENV },
      release: { type: 'string', default: DEFAULT_RELEASE },
      fault: { type: 'string', multiple: true, default: [] },
      hosts: { type: 'string', default: '2' },
      component: { type: 'string' },
      'on-failure': { type: 'string' },
      'require-approval': { type: 'boolean', default: false },
      window: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const hosts = Number(values.hosts);
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > 20_000) throw new UsageError(`--hosts must be a whole number from 1 to 20000 (received "${values.hosts}")`);
  const environment = loadEnvironmentFile(values.env);
  const progress = values.json ? process.stderr : process.stdout;
  // Options go into the execution input unchecked: the workflow itself refuses bad values.
  const requireApproval = values['require-approval'] || values.fault.some((f) => f.startsWith('approval:'));
  const window = values.window === undefined ? undefined : environment.releaseWindows.find((w) => w.name === values.window);
  if (values.window !== undefined && !window) {
    const known = environment.releaseWindows.map((w) => w.name).join(', ') || 'none';
    throw new UsageError(`--window ${values.window}: the environment has no such release window (windows: ${known})`);
  }
  const input = window
    ? releaseWindowInput(window)
    : {
        release: values.release,
        ...(values.component === undefined ? {} : { component: values.component }),
        ...(values['on-failure'] === undefined ? {} : { onValidationFailure: values['on-failure'] }),
        ...(requireApproval ? { requireApproval: true } : {}),
      };
  const report = await simulateDeploy({
    environment,
    input,
    // A pipeline queued the release for the window.
    ...(window ? { prepare: (account) => queueRelease(account, environment.name, window.component, values.release) } : {}),
    faults: values.fault,
    hostsPerTier: hosts,
    onProgress: (line) => progress.write(`${line}\n`),
  });
  if (values.json) process.stdout.write(`${JSON.stringify(publicReport(report), null, 2)}\n`);
  else process.stdout.write(formatHumanSummary(report));
  return report.status === 'SUCCEEDED' ? 0 : 1;
}

function validateCommand(args: readonly string[]): number {
  const { values } = parseArgs({ args: [...args], options: { env: { type: 'string', default: DEFAULT_ENV } }, strict: true });
  const environment = loadEnvironmentFile(values.env);
  process.stdout.write(`${values.env}: environment "${environment.name}" is valid (${environment.tiers.length} tiers)\n`);
  return 0;
}

async function answerCommand(answer: 'approve' | 'reject', args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      token: { type: 'string' },
      approver: { type: 'string', default: process.env.USER ?? 'unknown' },
      reason: { type: 'string', default: 'no reason given' },
    },
    strict: true,
  });
  let token: string;
  try {
    token = validateToken(values.token);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (answer === 'approve') await approve(token, values.approver);
  else await reject(token, values.approver, values.reason);
  process.stdout.write(`${answer === 'approve' ? 'approved' : 'rejected'}\n`);
  return 0;
}

/** The JSON document of `simulate deploy --json` (real time is left out: it is not reproducible). */
function publicReport(report: SimulationReport): Omit<SimulationReport, 'realTimeMs'> {
  const { realTimeMs: _realTime, ...rest } = report;
  return rest;
}

function isParseArgsError(err: unknown): boolean {
  return typeof (err as { code?: unknown })?.code === 'string' && String((err as { code: string }).code).startsWith('ERR_PARSE_ARGS');
}
