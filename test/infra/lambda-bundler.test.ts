/**
 * The bundler's schema plugin (lib/constructs/lambda-bundler.mjs): the SDK's schema modules with
 * their computed keys written as literals, so that esbuild drops the schemas a handler does not use,
 * and meaning exactly what they meant. Sizes are bytes, not timing.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleLambda, bundleLambdas, LAMBDA_ESBUILD, literalSchemaKeys, literalSchemaKeysPlugin } from '../../lib/constructs/lambda-bundler.mjs';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('literalSchemaKeys', () => {
  it('writes a computed key naming a module string constant as that string, and leaves every other key alone', () => {
    const source = [
      'const _xN = "xmlName";',
      'const _n = 3;',
      'export var A$ = [3, n0, _A, 0, [_F], [[() => B, { [_xN]: _Fi }], [0, {\n    [_xN]: `x`, [_n]: 1, [other]: 2 }]]];',
      'export var C = ok ? [_xN]: [];',
    ].join('\n');

    expect(literalSchemaKeys(source)).toBe(
      [
        'const _xN = "xmlName";',
        'const _n = 3;',
        'export var A$ = [3, n0, _A, 0, [_F], [[() => B, { "xmlName": _Fi }], [0, {\n    "xmlName": `x`, [_n]: 1, [other]: 2 }]]];',
        'export var C = ok ? [_xN]: [];',
      ].join('\n'),
    );
  });
});

describe('bundling with the schema plugin', () => {
  let dir: string;
  /** Each build's bundle and the bytes the EC2 client's schema module takes in it. */
  const builds: Record<'plain' | 'plugin', { file: string; schemaBytes: number; bytes: number }> = {} as never;
  const schemaBytes = (metafile: Metafile): number =>
    Object.entries(Object.values(metafile.outputs)[0]!.inputs)
      .filter(([input]) => input.includes('@aws-sdk/client-ec2/dist-es/schemas/'))
      .reduce((sum, [, { bytesInOutput }]) => sum + bytesInOutput, 0);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleetflow-bundler-'));
    // Inside the repository, so that esbuild resolves the SDK from its node_modules.
    const entry = join(REPO_ROOT, `.bundler-probe-${process.pid}.mjs`);
    writeFileSync(entry, "export { DescribeInstances$, RunInstances$, CreateTags$ } from '@aws-sdk/client-ec2';\n");
    try {
      for (const kind of ['plain', 'plugin'] as const) {
        const file = join(dir, `${kind}.mjs`);
        const { banner: _banner, ...options } = LAMBDA_ESBUILD;
        const result = await build({
          ...options,
          mainFields: [...LAMBDA_ESBUILD.mainFields!],
          entryPoints: [entry],
          outfile: file,
          metafile: true,
          logLevel: 'silent',
          plugins: kind === 'plugin' ? [literalSchemaKeysPlugin] : [],
        });
        builds[kind] = { file, schemaBytes: schemaBytes(result.metafile), bytes: statSync(file).size };
      }
    } finally {
      rmSync(entry, { force: true });
    }
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps only the EC2 schemas the commands used reach: a tenth of the client\'s schema module at most', () => {
    expect(builds.plain.schemaBytes, 'without the plugin esbuild keeps every EC2 schema').toBeGreaterThan(400 * 1024);
    expect(builds.plugin.schemaBytes).toBeLessThan(builds.plain.schemaBytes / 10);
  });

  it('gives each kept schema exactly the value it has without the plugin, through every schema it refers to', async () => {
    const plain = (await import(pathToFileURL(builds.plain.file).href)) as Record<string, unknown>;
    const plugin = (await import(pathToFileURL(builds.plugin.file).href)) as Record<string, unknown>;

    for (const name of ['DescribeInstances$', 'RunInstances$', 'CreateTags$']) expect(resolved(plugin[name]), name).toEqual(resolved(plain[name]));
  });
});

/** A schema with its thunks (`() => OtherSchema$`) followed, each schema written out once, for comparison. */
function resolved(value: unknown, seen = new Map<unknown, number>()): unknown {
  if (typeof value === 'function') return resolved((value as () => unknown)(), seen);
  if (value === null || typeof value !== 'object') return value;
  const known = seen.get(value);
  if (known !== undefined) return `#${known}`;
  seen.set(value, seen.size);
  if (Array.isArray(value)) return value.map((v) => resolved(v, seen));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolved(v, seen)]));
}

describe('bundling several handlers in one run', () => {
  it('writes each handler exactly the bytes it gets bundled alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetflow-many-'));
    try {
      // Two handlers sharing the SDK's EC2 client and the shared modules: what one run loads once for both.
      const entries = { 'rollout/install-release': 'lambdas/rollout/install-release.ts', 'compute/launch-hosts': 'lambdas/compute/launch-hosts.ts' };
      await bundleLambdas({ entries: Object.fromEntries(Object.entries(entries).map(([out, entry]) => [out, join(REPO_ROOT, entry)])), outdir: join(dir, 'many') });
      for (const [out, entry] of Object.entries(entries)) {
        await bundleLambda({ entry: join(REPO_ROOT, entry), outdir: join(dir, 'alone', out) });
        const together = readFileSync(join(dir, 'many', out, 'index.mjs'));
        expect(together.length, out).toBeGreaterThan(10_000);
        expect(together.equals(readFileSync(join(dir, 'alone', out, 'index.mjs'))), out).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
