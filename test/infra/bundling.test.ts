/**
 * The one synth that runs esbuild: proves every handler bundles into a loadable ESM
 * module with a source map, and that each function ships the bundle of its own handler.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaFunctions, STACK_ID, synthesizeCanonical, type LambdaFunctionInfo, type SynthesizedCanonical } from './support';

interface AssetManifest {
  readonly files: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }>;
}

describe('FleetFlow Lambda bundles', () => {
  let synth: SynthesizedCanonical;
  let functions: LambdaFunctionInfo[];
  let manifest: AssetManifest;
  /** The staged asset directory whose zip the function's Code points at. */
  const assetDir = (fn: LambdaFunctionInfo): string => {
    const key = (fn.properties.Code as { S3Key?: unknown }).S3Key;
    const asset = Object.values(manifest.files).find((f) => Object.values(f.destinations).some((d) => d.objectKey === key));
    if (!asset) throw new Error(`${fn.handler}: its code ${String(key)} is not an asset of the assembly`);
    return join(synth.outdir, asset.source.path);
  };

  // esbuild runs once per function (every workflow's tasks, some 50 of them): longer than the default hook timeout allows.
  beforeAll(() => {
    synth = synthesizeCanonical({ bundling: true });
    functions = lambdaFunctions(synth.json);
    manifest = JSON.parse(readFileSync(join(synth.outdir, `${STACK_ID}.assets.json`), 'utf8')) as AssetManifest;
  }, 600_000);
  afterAll(() => synth?.cleanup());

  it('bundles every handler into an ESM index.mjs with a source map', () => {
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      const dir = assetDir(fn);
      expect(existsSync(dir), `${fn.handler}: no asset at ${dir}`).toBe(true);
      expect(readdirSync(dir).sort(), fn.handler).toEqual(['index.mjs', 'index.mjs.map']);
      expect(statSync(join(dir, 'index.mjs')).size, fn.handler).toBeGreaterThan(0);
      expect(fn.properties.Handler, fn.handler).toBe('index.handler');
    }
  });

  it('builds a distinct bundle for every handler', () => {
    const assets = functions.map(assetDir);

    expect(new Set(assets).size).toBe(functions.length);
  });

  it('produces bundles that load in plain Node.js and export a handler function', () => {
    // A separate node process loads the bundles as Lambda would: no vitest transform, no TypeScript loader.
    const script = `
      const types = {};
      for (const [name, url] of JSON.parse(process.argv[1])) types[name] = typeof (await import(url)).handler;
      console.log(JSON.stringify(types));`;
    const bundles = functions.map((fn) => [fn.handler, pathToFileURL(join(assetDir(fn), 'index.mjs')).href]);

    const output = execFileSync(process.execPath, ['--input-type=module', '--enable-source-maps', '-e', script, JSON.stringify(bundles)], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', POWERTOOLS_SERVICE_NAME: 'fleetflow' },
    });

    expect(JSON.parse(output)).toEqual(Object.fromEntries(functions.map((fn) => [fn.handler, 'function'])));
  });
});
