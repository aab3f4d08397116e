/**
 * Validation of environment definitions. Every problem is reported with the field that
 * holds it and the value received (its start, when long; never a secret), so a person can
 * fix the file without reading code. A message is at most 1 KB, whatever the definition.
 *
 * The raw parsed JSON is checked before the schema: prototype keys (`__proto__`,
 * `constructor`, `prototype`; JSON.parse keeps `__proto__` as an own property, which a
 * schema would drop silently), overlong strings, deep nesting, and the size of every
 * bounded collection (tiers, a selector's tags, alarms, parameters, ...), so that a
 * definition too large is refused in time linear in its size, before anything reads it.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { environmentSchema, isHostTier, LIMITS, type EnvironmentDefinition } from './model';
import { InvalidEnvironmentError } from './errors';
import { formatPath, rawInputProblems, showValue, type SizeLimit } from './input-guards';
import { isConnectionName, isSecretName, SECRET_VALUE_MESSAGE } from './secrets';

/** Bytes of one message (the limit FleetFlow keeps for every error it raises). */
export const MAX_MESSAGE_BYTES = 1024;
/** Bytes of one problem within a message. */
const MAX_PROBLEM_BYTES = 480;
/** Problems kept on the error (the message shows those that fit). */
const MAX_PROBLEMS = 50;
/** Characters of one string anywhere in a definition (the longest legitimate one is a 1,024-character parameter value). */
const MAX_STRING_CHARS = 4096;
/** Nesting of a definition (the deepest legitimate field is 7 levels down). */
const MAX_DEPTH = 16;

const COMMANDS = [
  ['tiers', '*', 'install'],
  ['tiers', '*', 'traffic', 'drain'],
  ['tiers', '*', 'traffic', 'undrain'],
  ['tiers', '*', 'health', 'command'],
  ['tiers', '*', 'database', 'migration'],
  ['tiers', '*', 'database', 'restore', 'check'],
  ['tiers', '*', 'database', 'restore', 'reconfigure'],
];

const SIZES: readonly SizeLimit[] = [
  { path: ['tiers'], max: LIMITS.tiers, why: 'tiers of one environment' },
  {
    path: ['tiers', '*', 'hosts', 'tags'],
    max: LIMITS.selectorTags,
    why: `EC2 allows ${LIMITS.selectorTags} tags per instance, so a selector of more matches none`,
  },
  { path: ['tiers', '*', 'alarms'], max: LIMITS.tierAlarms, why: 'one DescribeAlarms call reads 100 alarm names' },
  { path: ['tiers', '*', 'traffic', 'targetGroups'], max: 5, why: 'target groups of one tier' },
  { path: ['validation', 'alarms'], max: LIMITS.validationAlarms, why: 'one DescribeAlarms call reads 100 alarm names' },
  { path: ['validation', 'alarmPrefixes'], max: LIMITS.alarmPrefixes, why: 'one DescribeAlarms call per prefix' },
  { path: ['releaseWindows'], max: LIMITS.releaseWindows, why: 'release windows of one environment' },
  ...COMMANDS.flatMap((command) => [
    { path: [...command, 'parameters'], max: LIMITS.commandParameters, why: 'parameters of one SSM command' },
    { path: [...command, 'parameters', '*'], max: LIMITS.parameterValues, why: 'values of one SSM parameter' },
  ]),
];

/**
 * A definition given as JSON text (or the object itself), validated in full. Text longer than a
 * definition may be is refused before it is parsed. The planners do not use it: they read the
 * definition synth stored, already validated, with stored.ts's reader, which needs no zod.
 */
export function parseEnvironmentPayload(raw: unknown, source = 'environment'): EnvironmentDefinition {
  if (typeof raw !== 'string') return parseEnvironment(raw, source);
  if (raw.length > LIMITS.definitionBytes) throw new Error(`${source}: the definition is ${raw.length} characters, more than ${LIMITS.definitionBytes}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new Error(`${source}: not a JSON definition (${(err as Error).message})`, { cause: err });
  }
  return parseEnvironment(parsed, source);
}

export function parseEnvironment(raw: unknown, source = 'environment'): EnvironmentDefinition {
  const early = rawInputProblems(raw, {
    maxTotalChars: LIMITS.definitionBytes,
    maxStringChars: MAX_STRING_CHARS,
    maxDepth: MAX_DEPTH,
    sizes: SIZES,
  });
  if (early.length > 0) throw invalid(source, early);
  const parsed = environmentSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, MAX_PROBLEMS).map((issue) => {
      const field = formatPath(issue.path);
      const received = valueAt(raw, issue.path);
      // A secret pasted into the file must not be printed back into build logs.
      const shown = received === undefined ? 'missing' : mayHoldSecret(issue.path, issue.message) ? 'a value, not shown' : showValue(received);
      return `${field}: ${issue.message} (received ${shown})`;
    });
    if (parsed.error.issues.length > MAX_PROBLEMS) problems.push(`… and ${parsed.error.issues.length - MAX_PROBLEMS} more problems`);
    throw invalid(source, problems);
  }
  // `$schema` names the JSON Schema an editor checks the file with (model.ts); FleetFlow ignores it.
  const { $schema: _schema, ...definition } = parsed.data;
  const problems = semanticProblems(definition);
  if (problems.length > 0) throw invalid(source, problems);
  return definition;
}

/**
 * The raw JSON of an environment file, refusing a file over 1 MiB (or not a regular file)
 * before reading it. The CDK app and the CLI read definitions through it.
 */
export function readEnvironmentFile(path: string): unknown {
  let text: string;
  try {
    const fd = openSync(path, 'r');
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw new InvalidEnvironmentError(`environment file ${shortSource(path)} is not a regular file`);
      if (stat.size > LIMITS.definitionBytes) {
        throw new InvalidEnvironmentError(
          `environment file ${shortSource(path)} is ${stat.size.toLocaleString('en')} bytes; an environment definition is at most ${LIMITS.definitionBytes.toLocaleString('en')} bytes (1 MiB)`,
        );
      }
      const buffer = Buffer.alloc(stat.size);
      let read = 0;
      while (read < stat.size) {
        const n = readSync(fd, buffer, read, stat.size - read, read);
        if (n === 0) break;
        read += n;
      }
      text = buffer.subarray(0, read).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (err instanceof InvalidEnvironmentError) throw err;
    throw new InvalidEnvironmentError(`cannot read environment file ${shortSource(path)}: ${boundText((err as Error).message, 300)}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidEnvironmentError(`cannot read environment file ${shortSource(path)}: ${boundText((err as Error).message, 300)}`);
  }
}

export function loadEnvironmentFile(path: string): EnvironmentDefinition {
  return parseEnvironment(readEnvironmentFile(path), path);
}

/** Rules that span fields, which a schema cannot express. */
function semanticProblems(env: EnvironmentDefinition): string[] {
  const problems: string[] = [];
  const names = new Map<string, number>();
  const orders = new Map<number, number>();
  let dataTier: number | undefined;
  env.tiers.forEach((tier, i) => {
    if (names.has(tier.name)) problems.push(`tiers[${i}].name: duplicate tier name (received "${tier.name}")`);
    names.set(tier.name, i);
    const sameOrder = orders.get(tier.order);
    if (sameOrder !== undefined) {
      problems.push(
        `tiers[${i}].order: tier ${tier.name} has the same order as tiers[${sameOrder}] (${env.tiers[sameOrder]!.name}); ` +
          `every tier needs its own order, so which rolls first is never a guess (received ${tier.order})`,
      );
    } else {
      orders.set(tier.order, i);
    }
    if (!isHostTier(tier)) {
      if (dataTier !== undefined) {
        problems.push(
          `tiers[${i}].role: an environment has at most one data tier; tiers[${dataTier}] (${env.tiers[dataTier]!.name}) is one (received "data")`,
        );
      } else {
        dataTier = i;
      }
      return;
    }
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
    const subnetIds = tier.launch?.subnets.map((subnet) => subnet.id) ?? [];
    const repeated = subnetIds.find((id, j) => subnetIds.indexOf(id) !== j);
    if (repeated) problems.push(`tiers[${i}].launch.subnets: lists subnet ${repeated} twice; hosts are spread evenly over distinct subnets (received "${repeated}")`);
    // More extra hosts than the tier has could never be launched by a surge, whose batches replace the tier's own hosts.
    const maxSurge = tier.batch.maxSurge;
    if (typeof maxSurge === 'number' && tier.count !== undefined && maxSurge > tier.count) {
      problems.push(`tiers[${i}].batch.maxSurge: at most the tier's count of ${tier.count} hosts, the most a surge ever replaces at once (received ${maxSurge})`);
    }
    if (tier.batch.strategy === 'surge' && !tier.launch) {
      problems.push(`tiers[${i}].batch.strategy: a surge launches new hosts for each batch and needs tiers[${i}].launch (received "surge")`);
    }
    // The host-side drain check is used by target-group tiers only (model.ts); it must end within the drain.
    const drainCheck = tier.traffic.kind === 'target-group' ? tier.drain.check : undefined;
    if (drainCheck && drainCheck.timeoutSeconds > tier.drain.timeoutSeconds) {
      problems.push(
        `tiers[${i}].drain.check.timeoutSeconds: must not exceed drain.timeoutSeconds, the time the whole drain may take (received ${drainCheck.timeoutSeconds} > ${tier.drain.timeoutSeconds})`,
      );
    }
    // A middle tier of queue consumers (workers) takes no traffic to move: patched in place, judged by its health command.
    if (tier.traffic.kind === 'none' && tier.role === 'web') {
      problems.push(
        `tiers[${i}].traffic.kind: web tiers serve traffic and need a target group or a drain command; "none" is for monitoring tiers and middle tiers of workers (received "none")`,
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
    const restore = tier.database.restore;
    restore?.tiers.forEach((name, j) => {
      const used = env.tiers.find((t) => t.name === name);
      if (!used || !isHostTier(used)) {
        problems.push(`tiers[${i}].database.restore.tiers[${j}]: must name a host tier of this environment (received "${name}")`);
      } else if (restore.tiers.indexOf(name) !== j) {
        problems.push(`tiers[${i}].database.restore.tiers[${j}]: names tier "${name}" twice`);
      }
    });
  });
  if (env.polling.minSeconds > env.polling.maxSeconds) {
    problems.push(`polling.minSeconds: must not exceed polling.maxSeconds (received ${env.polling.minSeconds} > ${env.polling.maxSeconds})`);
  }
  return problems;
}

/** The error for these problems: each problem bounded, the message at most 1 KB, the first problems first. */
function invalid(source: string, problems: readonly string[]): InvalidEnvironmentError {
  const bounded = problems.slice(0, MAX_PROBLEMS).map((p) => boundText(p, MAX_PROBLEM_BYTES));
  let message = `${shortSource(source)} is invalid:`;
  for (let i = 0; i < bounded.length; i += 1) {
    const line = `\n- ${bounded[i]}`;
    const rest = bounded.length - i - 1;
    const more = rest > 0 ? `\n- … and ${rest} more` : '';
    if (Buffer.byteLength(message + line + more, 'utf8') > MAX_MESSAGE_BYTES) {
      message += `\n- … and ${bounded.length - i} more`;
      break;
    }
    message += line;
  }
  return new InvalidEnvironmentError(message, bounded);
}

/** A file name or source as a message shows it: its end, when long. */
function shortSource(source: string): string {
  return source.length <= 160 ? source : `…${source.slice(-159)}`;
}

/** The text itself when it fits in `maxBytes` (UTF-8); otherwise its start and an ellipsis. */
function boundText(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let kept = text.slice(0, maxBytes);
  while (Buffer.byteLength(`${kept} …`, 'utf8') > maxBytes) kept = kept.slice(0, -Math.max(1, Math.floor((Buffer.byteLength(`${kept} …`, 'utf8') - maxBytes) / 4)));
  if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1);
  return `${kept} …`;
}

/** Whether a field may hold a secret: a secret or connection-string parameter, or a whole parameters object. */
function mayHoldSecret(path: readonly PropertyKey[], message: string): boolean {
  if (message.includes(SECRET_VALUE_MESSAGE)) return true;
  const at = path.lastIndexOf('parameters');
  if (at === -1) return false;
  const name = path[at + 1];
  return name === undefined || isSecretName(String(name)) || isConnectionName(String(name));
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = raw;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
