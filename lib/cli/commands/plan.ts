/**
 * `fleetflow plan [--workflow W]`: what a workflow would do, by its own planning code, read-only
 * (lib/cli/plan.ts, lib/plan/). Each workflow takes the inputs `simulate <workflow>` takes, by the
 * same option names; an option of another workflow is refused.
 */
import { Option, type Command } from 'commander';
import { parseComputeInput } from '../../../lambdas/domain/compute-input';
import { parseReplaceDatabaseInput } from '../../../lambdas/domain/replace-database-input';
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import { inputOf } from '../compute';
import { action, type Values } from './action';
import { DEFAULT_ENV } from './options';
import { checkInput, OPTION_OF_FIELD, parseHosts } from './simulate';

/**
 * The workflows plan knows: lib/plan/plan-workflow.ts PLANNED_WORKFLOWS, written again here so the
 * help loads no planner (test/unit/plan/plan-cli.test.ts holds the two lists equal).
 */
export const WORKFLOWS = ['deploy', 'allocate', 'scale-out', 'scale-in', 'replace', 'restore-data', 'recover', 'replace-database'] as const;
type Workflow = (typeof WORKFLOWS)[number];

/** Each workflow's own options (commander's attribute names), as its simulate command declares them. */
const OPTIONS_OF: Record<Workflow, readonly string[]> = {
  deploy: ['release', 'component'],
  allocate: ['tiers', 'release', 'database'],
  'scale-out': ['tier', 'add'],
  'scale-in': ['tier', 'remove'],
  replace: ['targets', 'tier', 'mode'],
  'restore-data': ['source', 'reason'],
  recover: ['source', 'release'],
  'replace-database': ['instanceClass', 'allocatedStorage', 'engineVersion', 'parameterGroup', 'switchoverTimeout', 'maxLag'],
};
const ALL_INPUTS = [...new Set(Object.values(OPTIONS_OF).flat())];
/** An option as it is written: commander's attribute name (instanceClass) back to its flag (--instance-class). */
const flag = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description(
      "what a workflow would do, by its own planning code, read-only: hosts per tier to launch, replace, remove or repoint, batches in order with the capacity left, the database step (a blue/green replacement: supported or refused) and recovery point, the network checks, expected duration, transitions, cost and history budget; against AWS (standard credentials), or the simulated account with --simulated",
    )
    .addOption(new Option('--workflow <WORKFLOW>', 'the workflow to plan').choices([...WORKFLOWS]).default('deploy'))
    .option('--release <VERSION>', 'deploy: the release to plan (required); allocate, recover: the release when none is recorded')
    .addOption(new Option('--env <FILE>', 'the environment definition').default(DEFAULT_ENV, 'environments/canonical.json'))
    .option('--component <application|monitoring>', 'deploy: which tiers (default application)')
    .option('--tiers <TIER=N,...>', 'allocate: the count of some tiers instead of the declared one')
    .option('--database <HOW>', 'allocate: create, or latest-snapshot')
    .option('--tier <TIER>', 'scale-out: the tier to grow (required); scale-in: the tier to shrink (required); replace: only in this tier')
    .option('--add <N>', 'scale-out: hosts to add, 1-5000 (required)')
    .option('--remove <N>', "scale-in: hosts to remove, 1-5000 (required); never below the tier's capacity floor or declared count")
    .option('--targets <HOST,...|unhealthy>', 'replace: the hosts to replace, or every unhealthy one (required)')
    .option('--mode <MODE>', 'replace: standard or disaster-recovery')
    .option('--source <latest|latest-snapshot|SNAPSHOT|TIME>', 'restore-data (required), recover (default latest): where the data comes from')
    .option('--reason <TEXT>', 'restore-data: why')
    .option('--instance-class <CLASS>', "replace-database: the new instance's class (default: the current one's)")
    .option('--allocated-storage <GIB>', "replace-database: the new instance's storage in GiB, 20-65536, not less than the current")
    .option('--engine-version <VERSION>', "replace-database: the new instance's engine version, not lower than the current")
    .option('--parameter-group <NAME>', "replace-database: the new instance's DB parameter group, of its version's family (a major upgrade needs one)")
    .option('--switchover-timeout <SECONDS>', 'replace-database: SwitchoverTimeout, 30-3600 (default: 300)')
    .option('--max-lag <SECONDS>', "replace-database: switch over once the green's ReplicaLag is at most this, 0-600 (default: 5)")
    .option('--simulated', 'plan against the simulated account instead of AWS')
    .option('--hosts <N>', 'with --simulated: hosts per web/middle/monitoring tier (default 2; allocate and recover: none, as simulate starts them)')
    .option('--json', 'print one JSON document')
    .action(action((values) => plan(values)));
}

async function plan(values: Values): Promise<number> {
  const workflow = String(values.workflow) as Workflow;
  const foreign = ALL_INPUTS.find((name) => values[name] !== undefined && !OPTIONS_OF[workflow].includes(name));
  if (foreign !== undefined) throw new InvalidInputError(`${flag(foreign)} is not an input of --workflow ${workflow} (its options: ${OPTIONS_OF[workflow].map(flag).join(', ')})`);
  if (values.hosts !== undefined && !values.simulated) throw new InvalidInputError('--hosts sizes the simulated account: give it with --simulated');
  const input = workflow === 'deploy' ? deployInput(values) : inputOf(workflow, values, `plan --workflow ${workflow}`);
  // The input checked as the workflow checks it, so a bad option exits 2 before anything is read.
  if (workflow === 'replace-database') parseReplaceDatabaseInput(input);
  else if (workflow !== 'deploy') parseComputeInput(workflow, input);
  const environment = loadEnvironmentFile(String(values.env));
  // Unless --hosts is given, the simulated account starts as `simulate <workflow>` starts it (allocate, recover: with no instance).
  const simulated = values.simulated ? (values.hosts === undefined ? {} : { hostsPerTier: parseHosts(String(values.hosts)) }) : undefined;
  // Loaded on demand: the planner's modules (and their logger) load after the command line is checked.
  const { planCommand } = await import('../plan');
  return planCommand({
    workflow,
    environment,
    input,
    json: values.json === true,
    ...(simulated ? { simulated } : {}),
  });
}

function deployInput(values: Values): Record<string, unknown> {
  if (values.release === undefined) throw new InvalidInputError('plan needs --release VERSION');
  const input = { release: String(values.release), ...(values.component === undefined ? {} : { component: String(values.component) }) };
  checkInput(input, (field) => OPTION_OF_FIELD[field] ?? 'execution input');
  return input;
}
