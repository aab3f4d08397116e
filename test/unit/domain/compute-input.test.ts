/**
 * The execution inputs of the compute workflows (allocate, scale-out, replace), as
 * parseComputeInput checks them before anything changes: what is accepted (and its
 * defaults), and what is refused with InvalidInputError naming the field and what it
 * received, in at most 1 KB.
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { MAX_REPLACE_TARGETS, parseComputeInput } from '../../../lambdas/domain/compute-input';

type Workflow = 'allocate' | 'scale-out' | 'replace';

const MAX_MESSAGE_BYTES = 1024;
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** The error parseComputeInput throws, or a failure when it throws none. */
function refusal(workflow: Workflow, input: unknown): Error {
  try {
    parseComputeInput(workflow, input);
  } catch (err) {
    return err as Error;
  }
  throw new Error(`${workflow} accepted ${JSON.stringify(input)?.slice(0, 200)}`);
}

const hostNames = (count: number) => Array.from({ length: count }, (_, i) => `web-${i + 1}`);

describe('parseComputeInput accepts', () => {
  it('an empty allocate input: every tier to its declared count, the recorded release, a missing database created empty', () => {
    const input = {};

    const parsed = parseComputeInput('allocate', input);

    expect(parsed).toEqual({ database: 'create' });
  });

  it('allocate with tier counts (0 included) and a first release', () => {
    const input = { tiers: { web: 3, middle: 0, 'web-admin': 5000 }, release: '1.2.0+build_7-rc.1' };

    const parsed = parseComputeInput('allocate', input);

    expect(parsed).toEqual({ tiers: { web: 3, middle: 0, 'web-admin': 5000 }, release: '1.2.0+build_7-rc.1', database: 'create' });
  });

  it.each([1, 17, 5000])('scale-out adding %i host(s)', (add) => {
    const parsed = parseComputeInput('scale-out', { tier: 'web', add });

    expect(parsed).toEqual({ tier: 'web', add });
  });

  it('replace by host names and instance IDs, in mode "standard" when none is given', () => {
    const input = { targets: ['web-1', 'i-0123456789abcdef0', 'db.host_2'] };

    const parsed = parseComputeInput('replace', input);

    expect(parsed).toEqual({ targets: ['web-1', 'i-0123456789abcdef0', 'db.host_2'], mode: 'standard' });
    // The default is in what is returned, not written into the caller's object.
    expect(input).not.toHaveProperty('mode');
  });

  it('replace of every unhealthy host of one tier, in disaster-recovery mode', () => {
    const parsed = parseComputeInput('replace', { targets: 'unhealthy', tier: 'web', mode: 'disaster-recovery' });

    expect(parsed).toEqual({ targets: 'unhealthy', tier: 'web', mode: 'disaster-recovery' });
  });

  it(`replace of exactly ${MAX_REPLACE_TARGETS} named hosts`, () => {
    const targets = hostNames(MAX_REPLACE_TARGETS);

    const parsed = parseComputeInput('replace', { targets });

    expect(parsed.targets).toHaveLength(500);
  });
});

interface RefusedCase {
  readonly label: string;
  readonly workflow: Workflow;
  readonly input: unknown;
  /** The field the message must name. */
  readonly field: string;
  /** What the message must show as received. */
  readonly received: string;
}

const REFUSED: RefusedCase[] = [
  { label: 'an unknown field in allocate', workflow: 'allocate', input: { bogus: 1 }, field: '"bogus"', received: 'allowed: tiers, release' },
  { label: 'an unknown field in scale-out', workflow: 'scale-out', input: { tier: 'web', add: 1, extra: 'x' }, field: '"extra"', received: 'allowed: tier, add' },
  { label: 'add given to replace', workflow: 'replace', input: { targets: ['web-1'], add: 2 }, field: '"add"', received: 'allowed: targets, tier, mode' },
  { label: 'add 0', workflow: 'scale-out', input: { tier: 'web', add: 0 }, field: 'add:', received: '(received 0)' },
  { label: 'a negative add', workflow: 'scale-out', input: { tier: 'web', add: -3 }, field: 'add:', received: '(received -3)' },
  { label: 'a fractional add', workflow: 'scale-out', input: { tier: 'web', add: 1.5 }, field: 'add:', received: '(received 1.5)' },
  { label: 'add over 5,000', workflow: 'scale-out', input: { tier: 'web', add: 5001 }, field: 'add:', received: '(received 5001)' },
  { label: 'add as a string', workflow: 'scale-out', input: { tier: 'web', add: '2' }, field: 'add:', received: '(received "2")' },
  { label: 'no add', workflow: 'scale-out', input: { tier: 'web' }, field: 'add:', received: '(received missing)' },
  { label: 'a tier name with capitals in scale-out', workflow: 'scale-out', input: { tier: 'Web', add: 1 }, field: 'tier:', received: '(received "Web")' },
  { label: 'a fractional tier count', workflow: 'allocate', input: { tiers: { web: 2.5 } }, field: 'tiers.web:', received: '(received 2.5)' },
  { label: 'a tier count as a string', workflow: 'allocate', input: { tiers: { web: '2' } }, field: 'tiers.web:', received: '(received "2")' },
  { label: 'a negative tier count', workflow: 'allocate', input: { tiers: { web: -1 } }, field: 'tiers.web:', received: '(received -1)' },
  { label: 'a tier count over 5,000', workflow: 'allocate', input: { tiers: { web: 5001 } }, field: 'tiers.web:', received: '(received 5001)' },
  { label: 'a tier name that is not one', workflow: 'allocate', input: { tiers: { 'Web Tier': 2 } }, field: 'tiers["Web Tier"]', received: '(received 2)' },
  { label: 'tiers as a list', workflow: 'allocate', input: { tiers: ['web'] }, field: 'tiers:', received: '(received ["web"])' },
  { label: 'a release with spaces', workflow: 'allocate', input: { release: '1.2 beta' }, field: 'release:', received: '(received "1.2 beta")' },
  { label: 'a release holding shell syntax', workflow: 'allocate', input: { release: '1.2.0; rm -rf /' }, field: 'release:', received: '"1.2.0; rm -rf /"' },
  { label: 'an empty release', workflow: 'allocate', input: { release: '' }, field: 'release:', received: '(received "")' },
  { label: 'no targets', workflow: 'replace', input: {}, field: 'targets:', received: '(received missing)' },
  { label: 'an empty target list', workflow: 'replace', input: { targets: [] }, field: 'targets:', received: '(received [])' },
  { label: `${MAX_REPLACE_TARGETS + 1} targets`, workflow: 'replace', input: { targets: hostNames(MAX_REPLACE_TARGETS + 1) }, field: 'targets:', received: '(501 items)' },
  { label: 'a target with a space', workflow: 'replace', input: { targets: ['web 1'] }, field: 'targets[0]:', received: '(received "web 1")' },
  { label: 'a target with a slash, second in the list', workflow: 'replace', input: { targets: ['web-1', 'web/2'] }, field: 'targets[1]:', received: '(received "web/2")' },
  { label: 'a target starting with a dash', workflow: 'replace', input: { targets: ['-web'] }, field: 'targets[0]:', received: '(received "-web")' },
  { label: 'a target that is a number', workflow: 'replace', input: { targets: [7] }, field: 'targets:', received: '(received [7])' },
  { label: 'targets that are neither a list nor "unhealthy"', workflow: 'replace', input: { targets: 'all' }, field: 'targets:', received: '(received "all")' },
  { label: 'an unknown mode', workflow: 'replace', input: { targets: ['web-1'], mode: 'yolo' }, field: 'mode:', received: '(received "yolo")' },
  { label: 'a tier that is not a tier name', workflow: 'replace', input: { targets: 'unhealthy', tier: 'web!' }, field: 'tier:', received: '(received "web!")' },
];

describe('parseComputeInput refuses', () => {
  it.each(REFUSED)('$label with InvalidInputError naming the field and the value received', (c) => {
    const err = refusal(c.workflow, c.input);

    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toMatch(new RegExp(`^${c.workflow} input[: ]`));
    expect(err.message).toContain(c.field);
    expect(err.message).toContain(c.received);
    expect(err.message).toMatch(/; nothing was changed$/);
    expect(bytes(err.message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  });

  it.each([
    ['a top-level __proto__', 'replace', '{"targets":["web-1"],"__proto__":{"mode":"disaster-recovery"}}', 'field __proto__'],
    ['a __proto__ among the tier counts', 'allocate', '{"tiers":{"web":2,"__proto__":{"web":9}}}', 'field tiers.__proto__'],
    ['a constructor key', 'scale-out', '{"tier":"web","add":1,"constructor":{"prototype":{}}}', 'field constructor'],
    ['a prototype key', 'allocate', '{"prototype":1}', 'field prototype'],
  ] as const)('%s (as JSON.parse keeps it) with InvalidInputError naming the key', (_label, workflow, json, field) => {
    const input: unknown = JSON.parse(json);

    const err = refusal(workflow, input);

    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toContain(`${workflow} input ${field}: that key is not allowed`);
    expect(bytes(err.message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    // Nothing reached a prototype along the way.
    expect(({} as Record<string, unknown>).mode).toBeUndefined();
    expect(({} as Record<string, unknown>).web).toBeUndefined();
  });

  it.each([
    ['null', null, 'null'],
    ['a list', [{ targets: ['web-1'] }], '[{"targets":["web-1"]}]'],
    ['a string', 'web-1', '"web-1"'],
    ['a number', 42, '42'],
    ['a boolean', true, 'true'],
    ['nothing', undefined, 'undefined'],
  ] as const)('%s instead of an object, showing what it received', (_label, input, shown) => {
    for (const workflow of ['allocate', 'scale-out', 'replace'] as const) {
      const err = refusal(workflow, input);

      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err.message).toBe(`${workflow} input must be a JSON object (received ${shown}); nothing was changed`);
    }
  });

  it('a 1 MB target and a 1 MB release without echoing either whole', () => {
    const long = 'x'.repeat(1024 * 1024);

    const target = refusal('replace', { targets: [long] });
    const release = refusal('allocate', { release: long });

    for (const err of [target, release]) {
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(bytes(err.message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(err.message).not.toContain('x'.repeat(200));
      expect(err.message).toContain('1,048,576 characters');
      expect(err.message).toMatch(/; nothing was changed$/);
    }
    expect(target.message).toContain('targets[0]:');
    expect(release.message).toContain('release:');
  });

  it('naming at most three problems when many fields are wrong', () => {
    const input = { tiers: { a: 1.5, b: -1, c: 'x', d: 5001, e: null } };

    const err = refusal('allocate', input);

    expect(err.message.match(/\(received /g)).toHaveLength(3);
    expect(err.message).toContain('tiers.a:');
    expect(err.message).not.toContain('tiers.d:');
    expect(err.message).toMatch(/; nothing was changed$/);
  });

  // Product defect (see the report): zod's unrecognized-keys message lists every unknown key
  // in full, and parseComputeInput echoes it as is, so 1,000 unknown fields (or one 5,000-character
  // key) give a message that only InvalidInputError's 1 KB cut stops: it ends mid-key with
  // "… (message cut at 1024 of N bytes)" instead of the value received and "; nothing was changed"
  // (the deploy input says "unknown field(s) f0, f1, f2, f3, f4 and 995 more").
  it.each([
    ['1,000 unknown fields', Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, i])), 'f0'],
    ['one unknown field with a 5,000-character name', { ['k'.repeat(5000)]: 1 }, 'kkkk'],
  ])('%s, naming a few of them and ending "; nothing was changed"', (_label, input, field) => {
    const err = refusal('allocate', input);

    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toContain(field);
    expect(err.message).not.toContain('k'.repeat(300));
    expect(err.message).not.toContain('"f999"');
    expect(err.message).toMatch(/; nothing was changed$/);
  });
});
