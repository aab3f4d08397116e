/**
 * Validation of environment definitions. Every problem is reported with the field that
 * holds it and the value received, so a person can fix the file without reading code.
 */
import { readFileSync } from 'node:fs';
import { environmentSchema, isHostTier, type EnvironmentDefinition } from './model';
import { InvalidEnvironmentError } from './errors';

export function parseEnvironment(raw: unknown, source = 'environment'): EnvironmentDefinition {
  const parsed = environmentSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = formatPath(issue.path);
      const received = valueAt(raw, issue.path);
      // A secret pasted into the file must not be printed back into build logs.
      const secret = issue.message.includes('looks like a secret');
      const shown = received === undefined ? 'missing' : secret ? 'a value, not shown' : JSON.stringify(received);
      return `${field}: ${issue.message} (received ${shown})`;
    });
    throw new InvalidEnvironmentError(`${source} is invalid:\n- ${problems.join('\n- ')}`, problems);
  }
  const problems = semanticProblems(parsed.data);
  if (problems.length > 0) {
    throw new InvalidEnvironmentError(`${source} is invalid:\n- ${problems.join('\n- ')}`, problems);
  }
  return parsed.data;
}

export function loadEnvironmentFile(path: string): EnvironmentDefinition {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InvalidEnvironmentError(`cannot read environment file ${path}: ${(err as Error).message}`);
  }
  return parseEnvironment(raw, path);
}

/** Rules that span fields, which a schema cannot express. */
function semanticProblems(env: EnvironmentDefinition): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  env.tiers.forEach((tier, i) => {
    if (names.has(tier.name)) problems.push(`tiers[${i}].name: duplicate tier name (received "${tier.name}")`);
    names.add(tier.name);
    if (!isHostTier(tier)) return;
    if (tier.batch.maxUnavailable === '100%') {
      problems.push(`tiers[${i}].batch.maxUnavailable: would take the whole ${tier.name} tier out of service (received "100%")`);
    }
    if (tier.batch.rollback?.maxUnavailable === '100%') {
      problems.push(
        `tiers[${i}].batch.rollback.maxUnavailable: would take the whole ${tier.name} tier out of service to revert it (received "100%")`,
      );
    }
    if (tier.traffic.kind !== 'target-group' && !tier.health.command) {
      problems.push(
        `tiers[${i}].health.command: a tier with traffic kind "${tier.traffic.kind}" needs a health command, or nothing checks that a patched host is healthy (received missing)`,
      );
    }
    if (tier.traffic.kind === 'none' && tier.role !== 'monitoring') {
      problems.push(
        `tiers[${i}].traffic.kind: ${tier.role} tiers serve traffic and need a target group or a drain command (received "none")`,
      );
    }
  });
  if (!env.tiers.some(isHostTier)) problems.push('tiers: at least one web, middle or monitoring tier is required');
  env.tiers.forEach((tier, i) => {
    if (isHostTier(tier)) return;
    const runner = env.tiers.find((t) => t.name === tier.database.migration.runnerTier);
    if (!runner || !isHostTier(runner) || runner.role === 'monitoring') {
      problems.push(
        `tiers[${i}].database.migration.runnerTier: must name a web or middle tier of this environment (received "${tier.database.migration.runnerTier}")`,
      );
    }
  });
  if (env.polling.minSeconds > env.polling.maxSeconds) {
    problems.push(`polling.minSeconds: must not exceed polling.maxSeconds (received ${env.polling.minSeconds} > ${env.polling.maxSeconds})`);
  }
  return problems;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = raw;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
