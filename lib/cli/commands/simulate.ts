/**
 * `fleetflow simulate …`: the eight simulate commands, their options and help. Each
 * command declares only its own options (commander refuses any other, with a did-you-mean),
 * and its action checks the values before anything is synthesized or run.
 *
 * An option every simulate command takes is one line in EVERY_SIMULATION below; one every
 * command that simulates a single run takes (not the campaign), one line in ONE_RUN.
 */
import { progressOutput } from '../live-block';
import { type Command, Option } from 'commander';
import { boundedMessage, InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { parseExecutionInput } from '../../../lambdas/domain/execution-input';
import { showValue } from '../../../lambdas/domain/environment/input-guards';
import { isHostTier } from '../../../lambdas/domain/environment/model';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import { releaseWindowInput } from '../../../lambdas/domain/release-windows';
import { noFaults, parseFaults } from '../../simulator/faults';
import { faultScope, queueRelease, seedAccount } from '../../simulator/fleet';
import { simulateDeploy, type SimulationReport } from '../../simulator/simulate';
import { campaignCommand, type CampaignValues } from '../campaign';
import { computeCommand, type ComputeCommand, type ComputeValues } from '../compute';
import { formatHumanSummary } from '../summary';
import { writeRunReport } from '../../report/index';
import { checkReportFile } from './report-file';
import { action, type Values } from './action';
import { DEFAULT_ENV, repeatable } from './options';
import { capturedFleet, fleetOption } from './fleet-option';

const DEFAULT_RELEASE = '1.1.0';
/** Hosts per tier the simulated account can hold (`--hosts`). */
const MAX_HOSTS = 20_000;
/** Characters of one `--fault` value. */
const MAX_FAULT_CHARS = 256;

/** Options of every simulate command. */
const EVERY_SIMULATION: (() => Option)[] = [
  () => new Option('--env <FILE>', 'the environment definition, see docs/environment.md').default(DEFAULT_ENV, 'environments/canonical.json'),
  () => new Option('--json', 'print one JSON document on stdout; progress goes to stderr'),
];

/** Options of every simulate command that runs one workflow (all but the campaign). */
const ONE_RUN: (() => Option)[] = [
  () => repeatable(new Option('--fault <KIND:TARGET>', 'inject a fault (repeatable; docs/faults.md)')),
  () => new Option('--report <FILE>', 'write one self-contained HTML page of the run to FILE'),
  fleetOption,
];

/** `--hosts`, its meaning and default told by each command (`defaultValue`: set, else only described). */
function hostsOption(description: string, shownDefault: string, defaultValue?: string): Option {
  // commander shows a default only when there is a value: an unset one is told in the description.
  if (defaultValue !== undefined) return new Option('--hosts <N>', `${description}, 1-${MAX_HOSTS} in decimal digits`).default(defaultValue, shownDefault);
  return new Option('--hosts <N>', `${description}, 1-${MAX_HOSTS} in decimal digits (default: ${shownDefault})`);
}

/** A simulate subcommand with the options it shares with the others. */
function simulation(parent: Command, name: string, summary: string, oneRun = true): Command {
  const command = parent.command(name).summary(summary).description(summary);
  for (const option of [...EVERY_SIMULATION, ...(oneRun ? ONE_RUN : [])]) command.addOption(option());
  return command;
}

const DEPLOY_FAULTS = `
Faults (--fault, repeatable; docs/faults.md):
  patch-fail:HOST | unhealthy:HOST | drain-stuck:HOST | throttle:SERVICE
  | alarm:NAME@SECONDS | migration-fail | approval:approve|reject|timeout
  | db-status:STATUS@SECONDS[+DURATION] (the database reports an RDS status,
    e.g. modifying@0+300, storage-full@600)
  | throttle:SERVICE@SECONDS+DURATION (every call in that window)
  | down:HOST (its service is down before the release)
  | stop:HOST@SECONDS | terminate:HOST@SECONDS (the instance goes away)
  | ssm-status:HOST@Cancelled|TimedOut|Undeliverable|Delayed (its install)
  | error:STATE[@N] (the Nth run of that task's handler throws)
  | lock:stale|malformed (the lock item left behind by a gone execution, or holderless)
  | drained:HOST (a clustered node drained by hand before the release)
  | unlock-throttle:N (the lock table's first N DeleteItem calls throttled)
  SERVICE: ec2, elbv2, ssm, cloudwatch, rds; an approval fault implies --require-approval.
`;

const COMPUTE_FAULTS = `
Compute faults (--fault, repeatable; docs/faults.md), besides the release's:
  launch-fail:TIER[@AZ] | boot-fail:HOST | ssm-unmanaged:HOST
  | prerequisite-fail:HOST | missing-target-group:TIER (HOST may be one the
    run launches: web-3 is the third web host)
  | listener-missing:TIER | sg-blocked:TIER (nothing forwards to the tier's target
    groups; its load balancer may not reach the hosts: allocate, scale-out)
  | certificate-expiring:TIER | certificate-pending:TIER | record-missing:TIER (its
    HTTPS listener's ACM certificate expires in hours or awaits validation; its
    declared records are gone from the hosted zone: allocate, scale-out)
  | restart:SECONDS (StopExecution at SECONDS, then the same input started again)
  | throttle:rds@SECONDS+DURATION (every RDS call in that window)
--json reports launched, terminated, stopped and orphans besides the usual fields.
`;

const SCALE_IN_FAULTS = `
Faults (--fault, repeatable; docs/faults.md), these only (any other is refused):
drain-stuck:HOST, down:HOST, drained:HOST, stop:HOST@SECONDS,
terminate:HOST@SECONDS, throttle:SERVICE, error:STATE[@N], lock:...,
unlock-throttle:N, restart:SECONDS, protected:HOST[@stop|@terminate] and
asg:HOST (refused before the lock). --json reports terminated and stopped
besides the usual fields.
`;

const DATA_FAULTS = `
Data faults (--fault, repeatable; docs/faults.md), besides the release's and compute's:
  restore-fail | restored-db-invalid | reconfigure-fail:HOST | no-snapshot
--json adds newDatabase, oldDatabase, hostsOnDatabase (and for recover
recoveryPointTime, recoveryTimeSeconds) to the usual fields.
`;

const REPLACE_DATABASE_FAULTS = `
Replace-database faults (--fault, repeatable; docs/faults.md), besides the release's:
  switchover-timeout | green-check-fail | lag-never-settles
--json adds oldDatabase (unchanged, kept) and replaceDatabase (newDatabase,
hostsRepointed, endpointUnchanged, writes, downtimeSeconds) to the usual fields.
`;

/** Adds `simulate` and its subcommands to the program. */
export function registerSimulateCommands(program: Command): void {
  const simulate = program.command('simulate').description('run a workflow offline, against a simulated AWS account on a virtual clock');

  simulation(simulate, 'deploy', 'run a release of the environment (default: the canonical one) against a simulated AWS account')
    .option('--release <VERSION>', 'the release to install', DEFAULT_RELEASE)
    .addOption(new Option('--component <COMPONENT>', 'what the release installs (default: application)').choices(['application', 'monitoring']))
    .addOption(new Option('--on-failure <POLICY>', "when validation fails: roll back, or halt where it is (default: the environment's validation.onFailure)").choices(['rollback', 'halt']))
    .option('--require-approval', 'wait for a person to approve after the bake')
    .option('--window <NAME>', "start as the environment's release window NAME does (EventBridge Scheduler): --release is queued as the window's next release first")
    .addOption(hostsOption('hosts per web/middle/monitoring tier in the simulated account', '2', '2'))
    .addHelpText('after', DEPLOY_FAULTS)
    .action(action((values, command) => deployCommand(values, command)));

  simulation(simulate, 'campaign', 'a seeded fault campaign: N simulated runs, each checked against FleetFlow\'s invariants', false)
    .option('--runs <N>', 'simulated runs, 1-100000 (default: 100)')
    .option('--seed <S>', 'the seed the faults are drawn from (default: 1)')
    .option('--component <COMPONENT>', 'what each release installs, application or monitoring (--workflow deploy; default: application)')
    .option('--workflow <WORKFLOW>', 'deploy, allocate, scale-out, scale-in, replace, restore-data, recover or replace-database (default: deploy)')
    .option('--workers <W>', 'worker processes sharing the runs, 1-16 (default: 2, or 1 on one CPU)')
    .addOption(new Option('--worker <INDEX/COUNT>', 'internal: the runs of one worker process').hideHelp())
    .addHelpText('after', '\nEach violation is printed with the command that replays it. Exit 1 on any violation.\n')
    .action(action((values) => campaignCommand(values as CampaignValues)));

  compute(simulate, 'allocate', "build the environment's hosts (and database) on an empty simulated account, each tier to its declared count")
    .option('--tiers <TIER=N,...>', 'the count of some tiers instead of the declared one, such as web=2,middle=2')
    .option('--release <VERSION>', 'the release the new hosts get (default: the recorded one)')
    .option('--database <HOW>', 'create, or latest-snapshot: the account kept the database\'s snapshots, and the database is restored from the newest one')
    .addOption(hostsOption('hosts each tier already has', 'none: an empty account'))
    .addHelpText('after', COMPUTE_FAULTS);

  compute(simulate, 'scale-out', 'add hosts to one tier')
    .option('--tier <TIER>', 'the host tier to grow (required)')
    .option('--add <N>', 'hosts to add, 1-5000 (required)')
    .addOption(hostsOption('hosts per web/middle/monitoring tier in the simulated account', '2'))
    .addHelpText('after', COMPUTE_FAULTS);

  compute(simulate, 'scale-in', 'remove hosts from one tier: the oldest first, balanced across zones, drained, then stopped or terminated by the tier\'s retire policy')
    .option('--tier <TIER>', 'the host tier to shrink (required)')
    .option('--remove <N>', "hosts to remove, 1-5000 (required); never below the tier's capacity floor or declared count")
    .addOption(hostsOption('hosts per web/middle/monitoring tier in the simulated account', '2'))
    .addHelpText('after', SCALE_IN_FAULTS);

  compute(simulate, 'replace', 'replace hosts: new ones launched and in service, the old ones stopped')
    .option('--targets <HOST,...|unhealthy>', 'the hosts to replace, or every unhealthy one (required)')
    .option('--tier <TIER>', 'only in this tier')
    .option('--mode <MODE>', 'standard or disaster-recovery')
    .addOption(hostsOption('hosts per web/middle/monitoring tier in the simulated account', '2'))
    .addHelpText('after', COMPUTE_FAULTS);

  compute(simulate, 'restore-data', 'restore the database into a new instance, check it from a middle host, repoint every host that uses it in rolling batches, bake, record it')
    .option(
      '--source <latest|latest-snapshot|SNAPSHOT|TIME>',
      'latest (the latest restorable time, else the newest snapshot), latest-snapshot, a snapshot by identifier, or an ISO-8601 point in time such as 2026-11-29T09:00:00Z inside the restorable window (required)',
    )
    .option('--reason <TEXT>', 'why, recorded with the restore')
    .addOption(hostsOption('hosts per web/middle/monitoring tier in the simulated account', '2'))
    .addHelpText('after', DATA_FAULTS);

  compute(simulate, 'replace-database', 'replace the database instance through an RDS blue/green deployment: green created, checked, caught up, switched over; the old instance kept')
    .option('--instance-class <CLASS>', "the new instance's class, such as db.m6g.xlarge (default: the current one's)")
    .option('--allocated-storage <GIB>', "the new instance's storage in GiB, 20-65536, not less than the current (default: the current one's)")
    .option('--engine-version <VERSION>', "the new instance's engine version, not lower than the current (default: the current one's)")
    .option('--parameter-group <NAME>', "the new instance's DB parameter group, of its version's family (a major upgrade needs one; default: the current one's)")
    .option('--switchover-timeout <SECONDS>', 'SwitchoverTimeout, 30-3600 (default: 300)')
    .option('--max-lag <SECONDS>', 'switch over once the green\'s ReplicaLag is at most this, 0-600 (default: 5)')
    .addOption(hostsOption('hosts per web/middle/monitoring tier in the simulated account', '2'))
    .addHelpText('after', REPLACE_DATABASE_FAULTS);

  compute(simulate, 'recover', 'disaster recovery on an account that lost every instance and the database but kept its snapshots: allocate, restore the data, release the recorded release')
    .option('--source <latest|latest-snapshot|SNAPSHOT|TIME>', 'where the data comes from, as for restore-data (default latest)')
    .option('--release <VERSION>', 'the release to install (default: the recorded one)')
    .addOption(hostsOption('hosts each tier already has', 'none: an account that lost them'))
    .addHelpText('after', DATA_FAULTS);
}

function compute(simulate: Command, workflow: ComputeCommand, summary: string): Command {
  return simulation(simulate, workflow, summary).action(action((values, command) => computeCommand(workflow, values as unknown as ComputeValues, command)));
}

/** `--hosts`: a plain positive decimal integer (no sign, exponent, fraction, hex or leading zero) up to MAX_HOSTS. */
export function parseHosts(text: string): number {
  if (!/^[1-9][0-9]{0,5}$/.test(text) || Number(text) > MAX_HOSTS) {
    throw new InvalidInputError(`--hosts must be a whole number from 1 to ${MAX_HOSTS}, in decimal digits (received ${showValue(text)})`);
  }
  return Number(text);
}

/** The execution input checked as Plan Release checks it; a refusal names the option. */
export function checkInput(input: Record<string, unknown>, option: (field: string) => string): void {
  try {
    parseExecutionInput(input);
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    const field = /^(\w+)/.exec(err.message)?.[1] ?? '';
    throw new InvalidInputError(boundedMessage(`${option(field)}: ${err.message}`));
  }
}

export const OPTION_OF_FIELD: Record<string, string> = { release: '--release', component: '--component', onValidationFailure: '--on-failure' };

interface DeployValues {
  readonly env: string;
  readonly release: string;
  readonly fault: readonly string[];
  readonly hosts: string;
  readonly component?: string;
  readonly onFailure?: string;
  readonly requireApproval?: boolean;
  readonly window?: string;
  readonly json?: boolean;
  readonly report?: string;
  readonly fleet?: string;
}

async function deployCommand(given: Values, command?: Command): Promise<number> {
  const values = given as unknown as DeployValues;
  const hosts = parseHosts(values.hosts);
  checkReportFile(values.report);
  const long = values.fault.find((f) => f.length > MAX_FAULT_CHARS);
  if (long !== undefined) throw new InvalidInputError(`--fault must be at most ${MAX_FAULT_CHARS} characters (received ${showValue(long)})`);
  const environment = loadEnvironmentFile(values.env);
  const fleet = capturedFleet(values.fleet, environment, command);
  const progress = values.json ? process.stderr : process.stdout;
  const requireApproval = values.requireApproval === true || values.fault.some((f) => f.startsWith('approval:'));
  const window = values.window === undefined ? undefined : environment.releaseWindows.find((w) => w.name === values.window);
  if (values.window !== undefined && !window) {
    const known = environment.releaseWindows.map((w) => w.name).join(', ') || 'none';
    throw new InvalidInputError(`--window ${showValue(values.window)}: the environment has no such release window (windows: ${known})`);
  }
  if (window && (values.component !== undefined || values.onFailure !== undefined)) {
    throw new InvalidInputError(`--window ${window.name} sets the component and the failure policy itself; leave out --component and --on-failure`);
  }
  const input = window
    ? releaseWindowInput(window)
    : {
        release: values.release,
        ...(values.component === undefined ? {} : { component: values.component }),
        ...(values.onFailure === undefined ? {} : { onValidationFailure: values.onFailure }),
        ...(requireApproval ? { requireApproval: true } : {}),
      };
  // The input is checked here as Plan Release checks it, so a bad option runs nothing.
  if (window) checkInput({ release: values.release }, () => '--release');
  checkInput(input, (field) => OPTION_OF_FIELD[field] ?? 'execution input');
  // Faults name hosts and alarms of the simulated fleet: checked before any state machine is synthesized.
  if (values.fault.length > 0) {
    const seeded = seedAccount(environment, noFaults(), { hostsPerTier: hosts, ...(fleet ? { fleet } : {}) });
    // A surge launches hosts: its faults may name them (web-3), as the compute commands' may.
    const surges = environment.tiers.some((t) => isHostTier(t) && t.batch.strategy === 'surge');
    parseFaults(values.fault, new Set([...seeded.hosts.values()].map((h) => h.name)), new Set(seeded.alarms.keys()), undefined, surges ? faultScope(environment) : undefined);
  }
  // On a terminal, a live block of the tiers below the lines; elsewhere the lines alone.
  const output = progressOutput(progress, values.json === true);
  const report = await simulateDeploy({
    environment,
    input,
    prepare: (account) => {
      // A pipeline queued the release for the window.
      if (window) queueRelease(account, environment.name, window.component, values.release);
      output.watch(account);
    },
    faults: [...values.fault],
    hostsPerTier: hosts,
    ...(fleet ? { fleet } : {}),
    onProgress: output.onProgress,
  }).finally(output.finish);
  if (values.report !== undefined) writeRunReport(report, values.report);
  if (values.json) process.stdout.write(`${JSON.stringify(publicReport(report), null, 2)}\n`);
  else process.stdout.write(formatHumanSummary(report));
  return report.status === 'SUCCEEDED' ? 0 : 1;
}

/** The JSON document of `simulate deploy --json` (real time is left out: it is not reproducible). */
function publicReport(report: SimulationReport): Omit<SimulationReport, 'realTimeMs'> {
  const { realTimeMs: _realTime, ...rest } = report;
  return rest;
}
