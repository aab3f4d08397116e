/**
 * The `fleetflow` command line.
 *
 *   fleetflow simulate deploy [--env FILE] [--release VERSION] [--fault KIND:TARGET]... [--hosts N] [--json]
 *   fleetflow validate [--env FILE]
 *
 * Exit status: 0 when the deployment succeeded, 1 when it failed, 2 for bad usage.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parseExecutionInput } from '../../lambdas/domain/execution-input';
import { boundedMessage, InvalidInputError } from '../../lambdas/domain/contract/errors';
import { InvalidEnvironmentError } from '../../lambdas/domain/environment/errors';
import { MAX_TEMPLATE_BYTES, measureTemplate, templateSizeProblem } from './template-size';
import { showValue } from '../../lambdas/domain/environment/input-guards';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { InvalidFaultError, noFaults, parseFaults } from '../simulator/faults';
import { faultScope, queueRelease, seedAccount } from '../simulator/fleet';
import { isHostTier } from '../../lambdas/domain/environment/model';
import { simulateDeploy, type SimulationReport } from '../simulator/simulate';
import { releaseWindowInput } from '../../lambdas/domain/release-windows';
import { approve, reject, validateToken } from './approval';
import { campaignCommand, CampaignUsageError } from './campaign';
import { COMPUTE_USAGE, computeCommand, ComputeUsageError } from './compute';
import { formatHumanSummary } from './summary';

const DEFAULT_ENV = fileURLToPath(new URL('../../environments/canonical.json', import.meta.url));
const DEFAULT_RELEASE = '1.1.0';
/** Hosts per tier the simulated account can hold (`--hosts`). */
const MAX_HOSTS = 20_000;
/** Characters of one `--fault` value. */
const MAX_FAULT_CHARS = 256;

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
               | throttle:SERVICE@SECONDS+DURATION (every call in that window)
               | down:HOST (its service is down before the release)
               | stop:HOST@SECONDS | terminate:HOST@SECONDS (the instance goes away)
               | ssm-status:HOST@Cancelled|TimedOut|Undeliverable|Delayed (its install)
               | error:STATE[@N] (the Nth run of that task's handler throws)
               | lock:stale|malformed (the lock item left behind by a gone execution, or holderless)
               | drained:HOST (a clustered node drained by hand before the release)
               | unlock-throttle:N (the lock table's first N DeleteItem calls throttled)
               (repeatable; SERVICE: ec2, elbv2, ssm, cloudwatch, rds; an approval fault
               implies --require-approval)
      --window start as the environment's release window NAME does (EventBridge
               Scheduler): --release is queued as the window's next release first
      --hosts  hosts per web/middle/monitoring tier in the simulated account, 1-20000
               in decimal digits (default 2)
      --json   print one JSON document on stdout; progress goes to stderr
  fleetflow simulate campaign [--runs N] [--seed S] [--env FILE] [--component application|monitoring]
                             [--workflow deploy|allocate|replace|restore-data|recover] [--workers W] [--json]
      A seeded fault campaign: N simulated runs (default 100) of the workflow (a release,
      a surge release on a surge environment, an allocate, a replacement), each with a
      random combination and timing of faults, checked against FleetFlow's invariants; each
      violation is printed with the command that replays it. Exit 1 on any violation.
${COMPUTE_USAGE}  fleetflow validate [--env FILE]
      Check an environment definition and print the problems found.
  fleetflow plan --release VERSION [--env FILE] [--component application|monitoring] [--simulated [--hosts N]] [--json]
      The release a deploy would run, by its own planning code, read-only: hosts and batches per
      tier, the database step, validation, expected duration, transitions and cost. Against AWS
      (standard credentials), or the simulated account with --simulated.
  fleetflow approve --token TOKEN [--approver NAME]
  fleetflow reject --token TOKEN [--approver NAME] [--reason TEXT]
      Answer a release waiting for approval on AWS (the token is in the notification).
`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Runs the command line; returns the exit status. Every usage or validation error (an
 * unknown or repeated option, a missing value, a bad --hosts, --release or --fault, an
 * invalid environment) exits 2 before any state machine is synthesized or execution runs,
 * with a message of at most 1 KB naming the option or field.
 */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const [command, subcommand, ...rest] = argv;
    if (command === 'simulate' && subcommand === 'deploy') return await simulateCommand(rest);
    if (command === 'simulate' && subcommand === 'campaign') return await campaignCommand(rest);
    if (command === 'simulate' && (subcommand === 'allocate' || subcommand === 'scale-out' || subcommand === 'replace' || subcommand === 'restore-data' || subcommand === 'recover')) {
      return await computeCommand(subcommand, rest);
    }
    if (command === 'validate') return validateCommand(argv.slice(1));
    if (command === 'plan') return await planCommandLine(argv.slice(1));
    if (command === 'approve' || command === 'reject') return await answerCommand(command, argv.slice(1));
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command ${showValue(argv.join(' '))}`);
  } catch (err) {
    if (
      err instanceof UsageError ||
      err instanceof InvalidEnvironmentError ||
      err instanceof InvalidFaultError ||
      err instanceof InvalidInputError ||
      err instanceof CampaignUsageError ||
      err instanceof ComputeUsageError ||
      isParseArgsError(err)
    ) {
      process.stderr.write(`fleetflow: ${boundedMessage((err as Error).message)}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs, strict, no positionals, and no option given twice unless it is repeatable. */
function parseOptions<O extends Options>(args: readonly string[], options: O) {
  const parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: false, tokens: true });
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name) && !options[token.name]?.multiple) throw new UsageError(`--${token.name} is given more than once`);
    seen.add(token.name);
  }
  return parsed.values;
}

/** `--hosts`: a plain positive decimal integer (no sign, exponent, fraction, hex or leading zero) up to MAX_HOSTS. */
function parseHosts(text: string): number {
  if (!/^[1-9][0-9]{0,5}$/.test(text) || Number(text) > MAX_HOSTS) {
    throw new UsageError(`--hosts must be a whole number from 1 to ${MAX_HOSTS}, in decimal digits (received ${showValue(text)})`);
  }
  return Number(text);
}

/** The execution input checked as Plan Release checks it; a refusal names the option. */
function checkInput(input: Record<string, unknown>, option: (field: string) => string): void {
  try {
    parseExecutionInput(input);
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    const field = /^(\w+)/.exec(err.message)?.[1] ?? '';
    throw new UsageError(`${option(field)}: ${err.message}`);
  }
}

const OPTION_OF_FIELD: Record<string, string> = { release: '--release', component: '--component', onValidationFailure: '--on-failure' };

async function simulateCommand(args: readonly string[]): Promise<number> {
  const values = parseOptions(args, {
    env: { type: 'string', default: DEFAULT_ENV },
    release: { type: 'string', default: DEFAULT_RELEASE },
    fault: { type: 'string', multiple: true, default: [] },
    hosts: { type: 'string', default: '2' },
    component: { type: 'string' },
    'on-failure': { type: 'string' },
    'require-approval': { type: 'boolean', default: false },
    window: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const hosts = parseHosts(values.hosts);
  const long = values.fault.find((f) => f.length > MAX_FAULT_CHARS);
  if (long !== undefined) throw new UsageError(`--fault must be at most ${MAX_FAULT_CHARS} characters (received ${showValue(long)})`);
  const environment = loadEnvironmentFile(values.env);
  const progress = values.json ? process.stderr : process.stdout;
  const requireApproval = values['require-approval'] || values.fault.some((f) => f.startsWith('approval:'));
  const window = values.window === undefined ? undefined : environment.releaseWindows.find((w) => w.name === values.window);
  if (values.window !== undefined && !window) {
    const known = environment.releaseWindows.map((w) => w.name).join(', ') || 'none';
    throw new UsageError(`--window ${showValue(values.window)}: the environment has no such release window (windows: ${known})`);
  }
  if (window && (values.component !== undefined || values['on-failure'] !== undefined)) {
    throw new UsageError(`--window ${window.name} sets the component and the failure policy itself; leave out --component and --on-failure`);
  }
  const input = window
    ? releaseWindowInput(window)
    : {
        release: values.release,
        ...(values.component === undefined ? {} : { component: values.component }),
        ...(values['on-failure'] === undefined ? {} : { onValidationFailure: values['on-failure'] }),
        ...(requireApproval ? { requireApproval: true } : {}),
      };
  // The input is checked here as Plan Release checks it, so a bad option runs nothing.
  if (window) checkInput({ release: values.release }, () => '--release');
  checkInput(input, (field) => OPTION_OF_FIELD[field] ?? 'execution input');
  // Faults name hosts and alarms of the simulated fleet: checked before any state machine is synthesized.
  if (values.fault.length > 0) {
    const fleet = seedAccount(environment, noFaults(), { hostsPerTier: hosts });
    // A surge launches hosts: its faults may name them (web-3), as the compute commands' may.
    const surges = environment.tiers.some((t) => isHostTier(t) && t.batch.strategy === 'surge');
    parseFaults(values.fault, new Set([...fleet.hosts.values()].map((h) => h.name)), new Set(fleet.alarms.keys()), undefined, surges ? faultScope(environment) : undefined);
  }
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

async function planCommandLine(args: readonly string[]): Promise<number> {
  const values = parseOptions(args, {
    env: { type: 'string', default: DEFAULT_ENV },
    release: { type: 'string' },
    component: { type: 'string' },
    simulated: { type: 'boolean', default: false },
    hosts: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (values.release === undefined) throw new UsageError('plan needs --release VERSION');
  if (values.hosts !== undefined && !values.simulated) throw new UsageError('--hosts sizes the simulated account: give it with --simulated');
  const input = { release: values.release, ...(values.component === undefined ? {} : { component: values.component }) };
  checkInput(input, (field) => OPTION_OF_FIELD[field] ?? 'execution input');
  const environment = loadEnvironmentFile(values.env);
  // Loaded on demand: the planner's modules (and their logger) must not load before the simulator sets their environment.
  const { planCommand } = await import('./plan');
  return planCommand({ environment, input, json: values.json, ...(values.simulated ? { simulatedHostsPerTier: parseHosts(values.hosts ?? '2') } : {}) });
}

function validateCommand(args: readonly string[]): number {
  const values = parseOptions(args, { env: { type: 'string', default: DEFAULT_ENV } });
  const environment = loadEnvironmentFile(values.env);
  // The stack synthesized as `cdk synth` would: a definition whose template CloudFormation would refuse is refused here.
  const { stackName, bytes } = measureTemplate(environment);
  const tooLarge = templateSizeProblem(stackName, bytes);
  if (tooLarge) throw new InvalidEnvironmentError(`${values.env}: ${tooLarge}`);
  process.stdout.write(
    `${values.env}: environment "${environment.name}" is valid (${environment.tiers.length} tiers; template ${bytes.toLocaleString('en-US')} bytes of CloudFormation's ${MAX_TEMPLATE_BYTES.toLocaleString('en-US')})\n`,
  );
  return 0;
}

async function answerCommand(answer: 'approve' | 'reject', args: readonly string[]): Promise<number> {
  const values = parseOptions(args, {
    token: { type: 'string' },
    approver: { type: 'string', default: process.env.USER ?? 'unknown' },
    reason: { type: 'string', default: 'no reason given' },
  });
  if (answer === 'approve' && args.some((a) => a === '--reason' || a.startsWith('--reason='))) {
    throw new UsageError('--reason is for fleetflow reject; an approval takes no reason');
  }
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
