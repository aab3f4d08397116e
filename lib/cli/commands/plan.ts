/** `fleetflow plan`: the release a deploy would run, read-only (lib/cli/plan.ts, lib/plan/). */
import { Option, type Command } from 'commander';
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import { action, type Values } from './action';
import { DEFAULT_ENV } from './options';
import { checkInput, OPTION_OF_FIELD, parseHosts } from './simulate';

export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description(
      'the release a deploy would run, by its own planning code, read-only: hosts and batches per tier, the database step, validation, expected duration, transitions and cost; against AWS (standard credentials), or the simulated account with --simulated',
    )
    .option('--release <VERSION>', 'the release to plan (required)')
    .addOption(new Option('--env <FILE>', 'the environment definition').default(DEFAULT_ENV, 'environments/canonical.json'))
    .option('--component <application|monitoring>', 'which tiers (default application)')
    .option('--simulated', 'plan against the simulated account instead of AWS')
    .option('--hosts <N>', 'with --simulated: hosts per web/middle/monitoring tier (default 2)')
    .option('--json', 'print one JSON document')
    .action(action((values) => plan(values)));
}

async function plan(values: Values): Promise<number> {
  if (values.release === undefined) throw new InvalidInputError('plan needs --release VERSION');
  if (values.hosts !== undefined && !values.simulated) throw new InvalidInputError('--hosts sizes the simulated account: give it with --simulated');
  const input = { release: String(values.release), ...(values.component === undefined ? {} : { component: String(values.component) }) };
  checkInput(input, (field) => OPTION_OF_FIELD[field] ?? 'execution input');
  const environment = loadEnvironmentFile(String(values.env));
  const hosts = values.simulated ? parseHosts(String(values.hosts ?? '2')) : undefined;
  // Loaded on demand: the planner's modules (and their logger) load after the command line is checked.
  const { planCommand } = await import('../plan');
  return planCommand({ environment, input, json: values.json === true, ...(hosts === undefined ? {} : { simulatedHostsPerTier: hosts }) });
}
