/**
 * EventBridge Scheduler schedule expressions and time zones, checked as Scheduler accepts
 * them, so that a window that could never be created fails `cdk synth` and
 * `fleetflow validate` instead of the deployment.
 *
 * - `at(yyyy-mm-ddThh:mm:ss)`: a one-time schedule at a real calendar date and time.
 * - `rate(value unit)`: value a positive whole number; unit `minute`, `hour` or `day` when
 *   the value is 1, `minutes`, `hours` or `days` otherwise.
 * - `cron(minutes hours day-of-month month day-of-week year)`: six fields separated by
 *   spaces; minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC,
 *   day-of-week 1-7 or SUN-SAT, year 1970-2199; wildcards `,` `-` `*` `/` in every field,
 *   `?` in day-of-month or day-of-week, `L` and `W` in day-of-month, `L` and `#` in
 *   day-of-week. Exactly one of day-of-month and day-of-week is `?`; `#` stands alone.
 * - time zones: IANA names as `Intl` knows them (`UTC`, `Europe/Berlin`), not offsets.
 */

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** `?` allowed (day-of-month, day-of-week). */
  readonly any?: boolean;
}

const FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, any: true },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, any: true },
  { name: 'year', min: 1970, max: 2199 },
];

/** Why the expression is not one EventBridge Scheduler accepts, or undefined. */
export function scheduleProblem(expression: string): string | undefined {
  if (expression.length > 256) return 'must be at most 256 characters';
  const match = /^(cron|rate|at)\((.*)\)$/.exec(expression);
  if (!match) return 'must be cron(...), rate(...) or at(...), e.g. "cron(0 3 ? * TUE *)", "rate(1 day)" or "at(2026-11-25T03:00:00)"';
  const [, kind, body] = match as unknown as [string, 'cron' | 'rate' | 'at', string];
  if (kind === 'at') return atProblem(body);
  if (kind === 'rate') return rateProblem(body);
  return cronProblem(body);
}

function atProblem(body: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
  const usage = 'at(...) takes a date and time yyyy-mm-ddThh:mm:ss, e.g. "at(2026-11-25T03:00:00)"';
  if (!m) return usage;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const real =
    date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && date.getUTCHours() === h && date.getUTCMinutes() === mi && date.getUTCSeconds() === s;
  return real ? undefined : `${usage}; ${body} is not a real date and time`;
}

function rateProblem(body: string): string | undefined {
  const m = /^([1-9]\d{0,8}) (minute|minutes|hour|hours|day|days)$/.exec(body);
  if (!m) return 'rate(...) takes a positive whole number and a unit (minute(s), hour(s) or day(s)), e.g. "rate(1 day)" or "rate(12 hours)"';
  const [, value, unit] = m as unknown as [string, string, string];
  const plural = unit.endsWith('s');
  if (value === '1' && plural) return `rate(1 ...) takes a singular unit: "rate(1 ${unit.slice(0, -1)})"`;
  if (value !== '1' && !plural) return `rate(${value} ...) takes a plural unit: "rate(${value} ${unit}s)"`;
  return undefined;
}

function cronProblem(body: string): string | undefined {
  const fields = body.split(' ');
  if (fields.length !== 6 || fields.some((f) => f === '')) {
    return 'cron(...) takes six fields separated by single spaces: minutes hours day-of-month month day-of-week year, e.g. "cron(0 3 ? * TUE *)"';
  }
  for (let i = 0; i < FIELDS.length; i += 1) {
    const problem = cronFieldProblem(fields[i]!, FIELDS[i]!);
    if (problem) return `cron(...) ${FIELDS[i]!.name} field "${fields[i]!.slice(0, 32)}": ${problem}`;
  }
  const [, , dayOfMonth, , dayOfWeek] = fields as [string, string, string, string, string, string];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    return 'cron(...) must have "?" in exactly one of day-of-month and day-of-week (the other says which days), e.g. "cron(0 3 ? * TUE *)"';
  }
  return undefined;
}

function cronFieldProblem(field: string, spec: CronField): string | undefined {
  if (field === '?') return spec.any ? undefined : '"?" is only allowed in day-of-month and day-of-week';
  const items = field.split(',');
  if (spec.name === 'day-of-week' && field.includes('#') && items.length > 1) return '"#" must stand alone (one day-of-week expression)';
  for (const item of items) {
    const problem = cronItemProblem(item, spec);
    if (problem) return problem;
  }
  return undefined;
}

function cronItemProblem(item: string, spec: CronField): string | undefined {
  if (item === '') return 'has an empty list entry';
  if (spec.name === 'day-of-month') {
    if (item === 'L' || item === 'LW') return undefined;
    const w = /^(\d{1,2})W$/.exec(item);
    if (w) return inRange(w[1]!, spec);
  }
  if (spec.name === 'day-of-week') {
    if (item === 'L') return undefined;
    const last = /^([A-Za-z]{3}|\d)L$/.exec(item);
    if (last) return valueProblem(last[1]!, spec);
    const nth = /^([A-Za-z]{3}|\d)#([1-5])$/.exec(item);
    if (nth) return valueProblem(nth[1]!, spec);
    if (item.includes('#')) return `"${item.slice(0, 16)}" must be DAY#N with N from 1 to 5, e.g. "3#2" (the second Tuesday)`;
  }
  const [range, step, extra] = item.split('/');
  if (extra !== undefined) return `"${item.slice(0, 16)}" has more than one "/"`;
  if (step !== undefined && (!/^\d{1,4}$/.test(step) || Number(step) < 1 || Number(step) > spec.max)) {
    return `"${item.slice(0, 16)}": the increment after "/" must be a whole number from 1 to ${spec.max}`;
  }
  if (range === '*') return undefined;
  const bounds = range!.split('-');
  if (bounds.length > 2) return `"${item.slice(0, 16)}" is not a value, a range a-b or *`;
  for (const bound of bounds) {
    const problem = valueProblem(bound, spec);
    if (problem) return problem;
  }
  return undefined;
}

function valueProblem(value: string, spec: CronField): string | undefined {
  if (spec.names && /^[A-Za-z]{3}$/.test(value)) {
    return spec.names.includes(value.toUpperCase()) ? undefined : `"${value}" is not one of ${spec.names.join(', ')}`;
  }
  return inRange(value, spec);
}

function inRange(value: string, spec: CronField): string | undefined {
  const names = spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : '';
  if (!/^\d{1,4}$/.test(value) || Number(value) < spec.min || Number(value) > spec.max) {
    return `"${value.slice(0, 16)}" is not a value from ${spec.min} to ${spec.max}${names}`;
  }
  return undefined;
}

/** Why the name is not an IANA time zone EventBridge Scheduler accepts, or undefined. */
export function timeZoneProblem(name: string): string | undefined {
  const usage = 'must be an IANA time zone name such as "UTC", "Europe/Berlin" or "America/New_York"';
  if (name.length > 64 || !/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return usage;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
  } catch {
    return `${usage}; "${name}" is not a time zone`;
  }
  // Intl reads names in any case; the zone's own spelling is what Scheduler knows.
  const exact = supportedTimeZones().find((z) => z.toLowerCase() === name.toLowerCase());
  if (exact !== undefined && exact !== name) return `${usage}; write it as "${exact}"`;
  if (exact === undefined && !/^[A-Z]/.test(name)) return `${usage}; zone names start with a capital letter`;
  return undefined;
}

let timeZones: readonly string[] | undefined;
function supportedTimeZones(): readonly string[] {
  timeZones ??= [...Intl.supportedValuesOf('timeZone'), 'UTC'];
  return timeZones;
}
