/**
 * `fleetflow capture [--env FILE] [--out FILE]`: the environment's fleet as the account holds
 * it, read-only (lib/capture/), written as a fleet file for `simulate … --fleet FILE`.
 * Exit 0 with the file written (stdout without --out); 1 when the account does not hold what
 * the environment names (a target group); 2 for bad input or no AWS region or credentials; 3 when
 * AWS could not do it (permission, network), as every AWS command (lib/cli/aws/errors.ts).
 */
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { showValue } from '../../../lambdas/domain/environment/input-guards';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import type { FleetFile } from '../../capture/fleet-file';
import { action, EXIT, type Values } from './action';
import { DEFAULT_ENV } from './options';

export function registerCaptureCommand(program: Command): void {
  program
    .command('capture')
    .description(
      "read, read-only, the environment's hosts (tags, zones, states, releases), target groups (health checks, deregistration delays, targets), alarms, current database (its Parameter Store record), snapshots, restorable window and open blue/green deployments from AWS (standard credentials), as a fleet file for simulate --fleet",
    )
    .addOption(new Option('--env <FILE>', 'the environment definition').default(DEFAULT_ENV, 'environments/canonical.json'))
    .option('--out <FILE>', 'write the fleet file to FILE (default: stdout)')
    .action(action((values) => capture(values)));
}

async function capture(values: Values): Promise<number> {
  const out = values.out === undefined ? undefined : String(values.out);
  if (out !== undefined) checkOutFile(out);
  const environment = loadEnvironmentFile(String(values.env));
  // Loaded on demand: the SDK clients and the guard load after the command line is checked.
  const [{ captureFleet }, { refusalOf, exitCodeOf, AwsConfigurationError, AwsUnreachableError }, { ec2 }, { elbv2 }, { cloudwatch }, { rds }, { ssm }] = await Promise.all([
    import('../../capture/capture'),
    import('../aws/errors'),
    import('../../../lambdas/shared/aws/ec2'),
    import('../../../lambdas/shared/aws/elbv2'),
    import('../../../lambdas/shared/aws/cloudwatch'),
    import('../../../lambdas/shared/aws/rds'),
    import('../../../lambdas/shared/aws/ssm'),
  ]);
  let fleet: FleetFile;
  try {
    fleet = await captureFleet({ environment, clients: { ec2, elbv2, cloudwatch, rds, ssm } });
  } catch (err) {
    // The environment names a target group the account does not have: what a deploy would meet too.
    if ((err as Error).name === 'TargetGroupNotFoundException') {
      process.stderr.write(`fleetflow: capture: the account does not hold environment ${environment.name}'s target groups (${showValue((err as Error).message, 200)})\n`);
      return EXIT.failed;
    }
    const refusal = refusalOf(err);
    if (refusal instanceof AwsUnreachableError || refusal instanceof AwsConfigurationError) {
      process.stderr.write(`fleetflow: ${refusal.message}\n`);
      return exitCodeOf(refusal);
    }
    if (refusal) throw refusal;
    throw err;
  }
  const text = `${JSON.stringify(fleet, null, 2)}\n`;
  if (out === undefined) process.stdout.write(text);
  else {
    // Written whole or not at all: a capture retried after a failure never leaves half a file.
    const partial = `${resolve(out)}.partial-${process.pid}`;
    writeFileSync(partial, text, 'utf8');
    renameSync(partial, resolve(out));
  }
  process.stderr.write(`${summaryOf(fleet)}\n`);
  return EXIT.ok;
}

/** One line for the person: what was captured. */
export function summaryOf(fleet: FleetFile): string {
  const hosts = fleet.tiers.reduce((n, t) => n + t.hosts.length, 0);
  const groups = fleet.tiers.reduce((n, t) => n + t.targetGroups.length, 0);
  const snapshots = fleet.databases.reduce((n, d) => n + d.snapshots.length, 0);
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  return `captured ${fleet.environment} at ${fleet.capturedAt}: ${count(hosts, 'host')} in ${count(fleet.tiers.length, 'tier')}, ${count(groups, 'target group')}, ${count(fleet.alarms.length, 'alarm')}, ${count(fleet.databases.length, 'database')} with ${count(snapshots, 'snapshot')}`;
}

/** `--out`: a file name in a directory that exists, not a directory itself; checked before any call. */
function checkOutFile(file: string): void {
  const shown = showValue(file, 120);
  if (file.trim() === '') throw new InvalidInputError('--out needs a file name, such as fleet.json');
  const target = resolve(file);
  if (existsSync(target) && statSync(target).isDirectory()) throw new InvalidInputError(`--out ${shown} is a directory; give a file name, such as fleet.json`);
  const directory = dirname(target);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) throw new InvalidInputError(`--out ${shown}: the directory ${showValue(directory, 120)} does not exist`);
}
