/**
 * `--fleet FILE` of every simulate command that runs one workflow: the account is seeded from a
 * fleet `fleetflow capture` wrote (lib/capture/) instead of the generated one. The file is read
 * and checked against the environment before anything is synthesized or run; a malformed file,
 * or one whose tiers, target groups or databases are not the environment's, is refused (exit 2).
 */
import { Option, type Command } from 'commander';
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import type { EnvironmentDefinition } from '../../../lambdas/domain/environment/model';
import { showValue } from '../../../lambdas/domain/environment/input-guards';
import { checkFleetMatches, loadFleetFile, type FleetFile } from '../../capture/fleet-file';

export function fleetOption(): Option {
  return new Option('--fleet <FILE>', 'seed the simulated account from a fleet file `fleetflow capture` wrote, instead of generating one');
}

/** The fleet `--fleet` names, checked against the environment; undefined without --fleet. */
export function capturedFleet(fleetFile: unknown, environment: EnvironmentDefinition, command?: Command): FleetFile | undefined {
  if (fleetFile === undefined) return undefined;
  // --hosts sizes the generated fleet; a captured one has the hosts it has.
  if (command?.getOptionValueSource('hosts') === 'cli') throw new InvalidInputError('--hosts sizes a generated fleet and --fleet gives the captured one: leave one out');
  const fleet = loadFleetFile(String(fleetFile));
  checkFleetMatches(fleet, environment, `--fleet ${showValue(String(fleetFile), 80)}`);
  return fleet;
}
