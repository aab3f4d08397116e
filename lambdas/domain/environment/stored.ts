/**
 * The planners' reader of the stored environment: the definition synth validated in full
 * (parse.ts, with zod and the rules across fields) and wrote into the template once
 * (statemachines/constructs/stored-environment.ts). Nothing else writes it, so it is not
 * validated again at run time: zod and the model's schema would be 445 KiB of every planner's
 * bundle, parsed on every cold start, to re-check what synth already refused or accepted.
 *
 * What is checked is that the document is the one synth writes, not a raw environment file nor
 * something truncated: the fields synth always fills in (its defaults included) are there, with
 * their types. Anything else fails at once, naming what is wrong, before anything is read or changed.
 */
import { LIMITS } from './limits';
import type { EnvironmentDefinition } from './model';

/** A definition is at most 1 MiB of JSON: a longer text is not one synth wrote. */
const MAX_DEFINITION_CHARS = LIMITS.definitionBytes;
const HOST_ROLES = ['web', 'middle', 'monitoring'];

/**
 * The stored definition, from the JSON text a planner's payload holds (or the object, when a
 * caller passes one). Throws an Error naming the first difference from what synth writes.
 */
export function readStoredEnvironment(raw: unknown): EnvironmentDefinition {
  let value = raw;
  if (typeof raw === 'string') {
    if (raw.length > MAX_DEFINITION_CHARS) throw notStored(`${raw.length} characters, more than a definition's ${MAX_DEFINITION_CHARS}`);
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw notStored(`not JSON (${(err as Error).message.slice(0, 120)})`);
    }
  }
  const problem = shapeProblem(value);
  if (problem) throw notStored(problem);
  return value as EnvironmentDefinition;
}

function notStored(problem: string): Error {
  return new Error(`environment: the stored definition is not what synth writes (${problem}); deploy the stack again from a valid definition`);
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The first way `value` differs from a definition synth wrote, or undefined. */
function shapeProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'not an object';
  // parseEnvironment drops `$schema`: a definition that still has it was never parsed.
  if ('$schema' in value) return '$schema is present, as in an environment file';
  if (typeof value.name !== 'string' || value.name === '') return 'name is not a string';
  if (!isObject(value.validation)) return 'validation is missing';
  if (!Array.isArray(value.releaseWindows)) return 'releaseWindows is missing';
  if (!isObject(value.polling) || typeof value.polling.minSeconds !== 'number' || typeof value.polling.maxSeconds !== 'number') return 'polling is missing';
  if (!Array.isArray(value.tiers) || value.tiers.length === 0) return 'tiers is not a list of tiers';
  for (const [i, tier] of value.tiers.entries()) {
    if (!isObject(tier) || typeof tier.name !== 'string' || typeof tier.order !== 'number') return `tiers[${i}] has no name or order`;
    if (tier.role === 'data') {
      if (!isObject(tier.database)) return `tiers[${i}].database is missing`;
    } else if (!HOST_ROLES.includes(tier.role as string)) {
      return `tiers[${i}].role is not a tier role`;
    } else if (!isObject(tier.hosts) || !isObject(tier.batch) || !isObject(tier.traffic) || !isObject(tier.drain) || !isObject(tier.health)) {
      return `tiers[${i}] lacks hosts, batch, traffic, drain or health`;
    }
  }
  return undefined;
}
