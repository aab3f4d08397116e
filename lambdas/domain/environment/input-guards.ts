/**
 * Guards for raw input (environment definitions, execution input, CLI arguments) before a
 * schema sees it: prototype keys, sizes, and how a value is shown back in a message.
 *
 * `JSON.parse` keeps `__proto__` as an own property, and a schema that copies objects
 * drops it silently (or, elsewhere, an assignment would set an object's prototype), so
 * the raw parsed value is checked first. Every value echoed in a message goes through
 * `showValue`, which shows at most a short start of it, never a credential in a URL.
 */

/** Keys that name or reach an object's prototype; refused anywhere in FleetFlow's input. */
export const PROTOTYPE_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/** Characters of a value shown in a message; the rest is cut and its length given. */
export const SHOWN_VALUE_CHARS = 120;
/** Characters of a key shown in a field path or a message. */
const SHOWN_KEY_CHARS = 64;

/** A message's field path, as people write it: `tiers[2].hosts.tags`. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((p, i) => {
      if (typeof p === 'number') return `[${p}]`;
      const key = shortText(String(p), SHOWN_KEY_CHARS);
      return /^[A-Za-z_$][\w$]*$/.test(key) ? `${i === 0 ? '' : '.'}${key}` : `[${JSON.stringify(key)}]`;
    })
    .join('');
}

/** Where each URL's user information (`user:pass` of `scheme://user:pass@host`) is, in order. */
export function urlUserInfo(text: string): Array<{ start: number; end: number; userInfo: string }> {
  const found: Array<{ start: number; end: number; userInfo: string }> = [];
  for (let at = text.indexOf('://'); at !== -1; at = text.indexOf('://', at + 3)) {
    // A scheme is letters (then letters, digits, "+", "-", ".") right before "://".
    if (at === 0 || !/[A-Za-z0-9+.-]/.test(text[at - 1]!)) continue;
    const start = at + 3;
    let end = start;
    while (end < text.length && !'/?#@ \t\r\n'.includes(text[end]!)) end += 1;
    if (text[end] !== '@' || end === start) continue;
    found.push({ start, end, userInfo: text.slice(start, end) });
  }
  return found;
}

/**
 * Whether the text carries credentials in a URL: `scheme://user:pass@host`, or a user
 * name that is itself a token (`https://<token>@host`); `ssh://git@host` is not one.
 */
export function hasUrlCredentials(text: string, isToken: (s: string) => boolean = () => false): boolean {
  return urlUserInfo(text).some(({ userInfo }) => userInfo.includes(':') || isToken(userInfo));
}

/** The text with every URL's user information replaced by `***`, including a cut one at the end. */
function redact(text: string, cut = false): string {
  let out = '';
  let from = 0;
  for (const { start, end } of urlUserInfo(text)) {
    out += `${text.slice(from, start)}***`;
    from = end;
  }
  out += text.slice(from);
  // A value cut inside "scheme://user:pa" shows no part of what follows "://".
  const open = out.lastIndexOf('://');
  if (cut && open !== -1 && !/[/?#\s]/.test(out.slice(open + 3)) && out.slice(open + 3).length > 0 && !out.slice(open + 3).startsWith('***')) {
    out = `${out.slice(0, open + 3)}***`;
  }
  return out;
}

function count(n: number, noun: string): string {
  return `${n.toLocaleString('en')} ${noun}${n === 1 ? '' : 's'}`;
}

function shortText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let kept = text.slice(0, maxChars);
  if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1);
  return kept;
}

/**
 * The value as a message shows it: JSON, at most about `maxChars` characters (a longer
 * string shows its start and its length, a larger object or array its start and its
 * size), and a URL's credentials as `***`. Linear in what is shown, not in the value.
 */
export function showValue(value: unknown, maxChars = SHOWN_VALUE_CHARS): string {
  const out: string[] = [];
  let budget = maxChars;
  /** Shows the text, or its start when the budget runs out; whether all of it fitted. */
  const emit = (text: string): boolean => {
    if (budget <= 0) return false;
    const fits = text.length <= budget;
    out.push(fits ? text : shortText(text, budget));
    budget -= text.length;
    return fits;
  };
  const show = (v: unknown, depth: number): boolean => {
    if (typeof v === 'string') {
      if (v.length + 2 <= budget) return emit(JSON.stringify(redact(v)));
      // Only the start is looked at (and redacted): a huge value costs nothing more.
      const start = redact(shortText(v, Math.max(budget - 2, 8)), true);
      out.push(`${JSON.stringify(start).slice(0, -1)}…" (${count(v.length, 'character')})`);
      budget = 0;
      return false;
    }
    if (v === undefined) return emit('undefined');
    if (v === null || typeof v === 'number' || typeof v === 'boolean') return emit(JSON.stringify(v) ?? String(v));
    if (typeof v !== 'object') return emit(String(typeof v));
    if (depth > 3) return emit(Array.isArray(v) ? '[…]' : '{…}');
    if (Array.isArray(v)) {
      if (!emit('[')) return false;
      for (let i = 0; i < v.length; i += 1) {
        if ((i > 0 && !emit(',')) || !show(v[i], depth + 1)) {
          out.push(`…] (${count(v.length, 'item')})`);
          return false;
        }
      }
      return emit(']');
    }
    const keys = Object.keys(v);
    if (!emit('{')) return false;
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i]!;
      if ((i > 0 && !emit(',')) || !emit(`${JSON.stringify(shortText(key, SHOWN_KEY_CHARS))}:`) || !show((v as Record<string, unknown>)[key], depth + 1)) {
        out.push(`…} (${count(keys.length, 'key')})`);
        return false;
      }
    }
    return emit('}');
  };
  show(value, 0);
  return out.join('');
}

/** Collections whose size FleetFlow bounds, by the shape of their path (`*` any key or index). */
export interface SizeLimit {
  readonly path: readonly string[];
  readonly max: number;
  readonly why: string;
}

export interface RawLimits {
  /** Characters of the whole value serialized as JSON. */
  readonly maxTotalChars?: number;
  /** Characters of one string (key or value). */
  readonly maxStringChars?: number;
  /** Nesting of objects and arrays. */
  readonly maxDepth?: number;
  readonly sizes?: readonly SizeLimit[];
}

/** At most this many problems are collected: the first ones name the field to fix. */
const MAX_PROBLEMS = 20;

/**
 * Problems of a raw parsed JSON value that must be refused before a schema sees it:
 * prototype keys anywhere, a string or a nesting beyond the limits, a bounded collection
 * that is too large, a whole value too large. Iterative (no recursion), and linear in the
 * size of the value; it stops at the first problems found.
 */
export function rawInputProblems(raw: unknown, limits: RawLimits = {}): string[] {
  const problems: string[] = [];
  const maxString = limits.maxStringChars ?? Number.POSITIVE_INFINITY;
  const maxDepth = limits.maxDepth ?? 64;
  let total = 0;
  const stack: Visit[] = [{ value: raw, depth: 0 }];
  while (stack.length > 0 && problems.length < MAX_PROBLEMS) {
    const visit = stack.pop()!;
    const { value } = visit;
    if (typeof value === 'string') {
      total += value.length + 3;
      if (value.length > maxString) {
        problems.push(`${formatPath(pathOf(visit))}: is ${value.length.toLocaleString('en')} characters long; at most ${maxString.toLocaleString('en')} (value not shown)`);
      }
      continue;
    }
    if (value === null || typeof value !== 'object') {
      total += 8;
      continue;
    }
    if (visit.depth >= maxDepth) {
      problems.push(`${formatPath(pathOf(visit))}: nested deeper than ${maxDepth} levels`);
      continue;
    }
    const path = limits.sizes && visit.depth <= MAX_LIMITED_DEPTH ? pathOf(visit) : undefined;
    const limit = path && limits.sizes?.find((l) => matchesPath(l.path, path));
    const size = Array.isArray(value) ? value.length : Object.keys(value).length;
    if (limit && size > limit.max) {
      problems.push(
        `${formatPath(pathOf(visit))}: has ${size.toLocaleString('en')} ${Array.isArray(value) ? 'entries' : 'keys'}; at most ${limit.max} (${limit.why})`,
      );
      // Its entries are not read: refusing it must not cost more than its size.
      total += size;
      continue;
    }
    if (Array.isArray(value)) {
      total += 2 + value.length;
      for (let i = value.length - 1; i >= 0; i -= 1) stack.push({ value: value[i], parent: visit, key: i, depth: visit.depth + 1 });
      continue;
    }
    const keys = Object.keys(value);
    total += 2;
    for (let i = keys.length - 1; i >= 0; i -= 1) {
      const key = keys[i]!;
      total += key.length + 4;
      if (PROTOTYPE_KEYS.includes(key)) {
        problems.push(`${formatPath([...pathOf(visit), key])}: "${key}" is not allowed as a key (it would reach the object's prototype)`);
        continue;
      }
      if (key.length > maxString) {
        problems.push(`${formatPath(pathOf(visit))}: has a key ${key.length.toLocaleString('en')} characters long; at most ${maxString.toLocaleString('en')}`);
        continue;
      }
      stack.push({ value: (value as Record<string, unknown>)[key], parent: visit, key, depth: visit.depth + 1 });
    }
  }
  if (limits.maxTotalChars !== undefined && total > limits.maxTotalChars && problems.length < MAX_PROBLEMS) {
    problems.unshift(`(root): is about ${total.toLocaleString('en')} characters as JSON; at most ${limits.maxTotalChars.toLocaleString('en')} (1 MiB)`);
  }
  return problems;
}

/** A value being walked, and how it was reached (the path is built only for a message). */
interface Visit {
  readonly value: unknown;
  readonly parent?: Visit;
  readonly key?: PropertyKey;
  readonly depth: number;
}

/** Size limits apply this deep at most (a path is built only down to it). */
const MAX_LIMITED_DEPTH = 8;

function pathOf(visit: Visit): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let v: Visit | undefined = visit; v?.parent; v = v.parent) path.push(v.key!);
  return path.reverse();
}

function matchesPath(pattern: readonly string[], path: readonly PropertyKey[]): boolean {
  return pattern.length === path.length && pattern.every((p, i) => p === '*' || p === String(path[i]));
}

/** The path of the first prototype key in the value (depth first), if any. Iterative and linear. */
export function prototypeKeyPath(raw: unknown): PropertyKey[] | undefined {
  const stack: Visit[] = [{ value: raw, depth: 0 }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const { value } = visit;
    if (value === null || typeof value !== 'object') continue;
    const keys = Object.keys(value);
    const bad = keys.find((k) => PROTOTYPE_KEYS.includes(k));
    if (bad !== undefined) return [...pathOf(visit), bad];
    for (let i = keys.length - 1; i >= 0; i -= 1) {
      const key = Array.isArray(value) ? i : keys[i]!;
      stack.push({ value: (value as Record<PropertyKey, unknown>)[key], parent: visit, key, depth: visit.depth + 1 });
    }
  }
  return undefined;
}

/**
 * Step Functions adds this key to the input of an execution started by another one with
 * `associateWithParent` (disaster recovery starts allocate, restore-data and deploy so).
 */
export const PARENT_EXECUTION_KEY = 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID';

export function withoutParentMarker(input: object): object {
  if (!Object.hasOwn(input, PARENT_EXECUTION_KEY)) return input;
  const { [PARENT_EXECUTION_KEY]: _parent, ...rest } = input as Record<string, unknown>;
  return rest;
}
