/**
 * The one synth that runs esbuild, and the real one: `cdk synth` of the app (bin/app.ts, the
 * canonical environment, cdk-nag), exactly as `npm run synth` and a deployment run it. It
 * proves the CLI reads the assembly, that cdk-nag and the template-size check pass with no
 * size warning, that the state machine definitions are file assets beside the template, that
 * every handler bundles into a loadable ESM module of at most 900 KiB with no
 * source map, and that each function ships the bundle of its own handler. (`npm test` once ran
 * `cdk synth` again after the tests: a second bundling of every function.) Then one function
 * bundled with `-c fleetflow:sourceMaps=true`, the way to get source maps for debugging.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetFlowFunction, SOURCE_MAPS_CONTEXT } from '../../lib/constructs/fleetflow-function';
import { canonicalEnvironment, lambdaFunctions, measuredTemplateBytes, STACK_ID, type CfnTemplate, type LambdaFunctionInfo } from './support';

/** The largest bundle a function may ship (issue 17): the planners were 1.4-1.6 MiB with zod and every EC2 schema. */
const MAX_BUNDLE_BYTES = 900 * 1024;

interface AssetManifest {
  readonly files: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }>;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('cdk synth of the app, and its Lambda bundles', () => {
  let outdir: string;
  let synth: { status: number | null; stderr: string };
  let functions: LambdaFunctionInfo[];
  let manifest: AssetManifest;
  /** The staged asset directory whose zip the function's Code points at. */
  const assetDir = (fn: LambdaFunctionInfo): string => {
    const key = (fn.properties.Code as { S3Key?: unknown }).S3Key;
    const asset = Object.values(manifest.files).find((f) => Object.values(f.destinations).some((d) => d.objectKey === key));
    if (!asset) throw new Error(`${fn.handler}: its code ${String(key)} is not an asset of the assembly`);
    return join(outdir, asset.source.path);
  };

  // One esbuild run bundles every handler, then cdk-nag checks the stack: longer than the default hook timeout allows.
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'fleetflow-synth-'));
    const run = spawnSync('npx', ['--no-install', 'cdk', 'synth', '--quiet', '--output', outdir], { cwd: REPO_ROOT, encoding: 'utf8' });
    synth = { status: run.status, stderr: run.stderr };
    if (run.status !== 0) return;
    const json = JSON.parse(readFileSync(join(outdir, `${STACK_ID}.template.json`), 'utf8')) as CfnTemplate;
    functions = lambdaFunctions(json);
    manifest = JSON.parse(readFileSync(join(outdir, `${STACK_ID}.assets.json`), 'utf8')) as AssetManifest;
  }, 600_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('synthesizes with the CDK CLI: cdk-nag clean, within the template size, and no size warning', () => {
    expect(synth.status, synth.stderr).toBe(0);
    expect(synth.stderr).not.toMatch(/Template size is approaching limit/);
    expect(synth.stderr).not.toMatch(/\[Error at /);
  });

  it('writes the template `fleetflow validate` measures, to the byte, and leaves out the metadata cdk.json turns off', () => {
    const written = readFileSync(join(outdir, `${STACK_ID}.template.json`));
    const template = JSON.parse(written.toString('utf8')) as CfnTemplate;

    expect(written.length).toBe(measuredTemplateBytes(canonicalEnvironment()));
    // cdk.json: pathMetadata, assetMetadata and versionReporting false (lib/cli/template-size.ts cliContext).
    const metadataKeys = new Set(Object.values(template.Resources).flatMap((r) => Object.keys(r.Metadata ?? {})));
    expect([...metadataKeys]).toEqual(['fleetflow:handler']);
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::CDK::Metadata')).toEqual([]);
  });

  it('ships each state machine definition as a file asset in the bucket the Lambda code goes to, its placeholders filled by the template', () => {
    const template = JSON.parse(readFileSync(join(outdir, `${STACK_ID}.template.json`), 'utf8')) as CfnTemplate;
    const machines = Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
    const codeBucket = (functions[0]!.properties.Code as { S3Bucket?: unknown }).S3Bucket;

    expect(machines).toHaveLength(8);
    // One file per state machine, nothing else shipped as a definition (none resolved while CDK prepares the app).
    expect(Object.values(manifest.files).filter((f) => /^asset\.[0-9a-f]{64}\.json$/.test(f.source.path))).toHaveLength(8);
    for (const machine of machines) {
      const location = machine.Properties!.DefinitionS3Location as { Bucket: unknown; Key: string };
      const asset = Object.values(manifest.files).find((f) => Object.values(f.destinations).some((d) => d.objectKey === location.Key));
      expect(asset, location.Key).toBeDefined();
      expect(location.Bucket).toEqual(codeBucket);
      // What cdk deploy uploads: the JSON text whose placeholders DefinitionSubstitutions fill, named by its hash.
      const text = readFileSync(join(outdir, asset!.source.path), 'utf8');
      expect(JSON.parse(text)).toHaveProperty('StartAt');
      expect(location.Key).toBe(`${createHash('sha256').update(text).digest('hex')}.json`);
      for (const [, key] of text.matchAll(/\$\{([^}]+)\}/g)) expect(machine.Properties!.DefinitionSubstitutions, key).toHaveProperty(key!);
    }
  });

  it('bundles every handler into an ESM index.mjs alone: no source map ships by default', () => {
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      const dir = assetDir(fn);
      expect(existsSync(dir), `${fn.handler}: no asset at ${dir}`).toBe(true);
      expect(readdirSync(dir), fn.handler).toEqual(['index.mjs']);
      expect(readFileSync(join(dir, 'index.mjs'), 'utf8'), `${fn.handler} names a source map`).not.toMatch(/sourceMappingURL/);
      expect(statSync(join(dir, 'index.mjs')).size, fn.handler).toBeGreaterThan(0);
      expect(fn.properties.Handler, fn.handler).toBe('index.handler');
      const variables = (fn.properties.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {};
      expect(variables.NODE_OPTIONS ?? '', fn.handler).not.toMatch(/--enable-source-maps/);
    }
  });

  it(`keeps every bundle within ${MAX_BUNDLE_BYTES / 1024} KiB`, () => {
    const sizes = Object.fromEntries(functions.map((fn) => [fn.handler, statSync(join(assetDir(fn), 'index.mjs')).size]));
    const over = Object.entries(sizes).filter(([, bytes]) => bytes > MAX_BUNDLE_BYTES);

    expect(over, 'bundles over the limit (bench/bundles.ts says which packages take the bytes)').toEqual([]);
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

    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(bundles)], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', POWERTOOLS_SERVICE_NAME: 'fleetflow' },
    });

    expect(JSON.parse(output)).toEqual(Object.fromEntries(functions.map((fn) => [fn.handler, 'function'])));
  });
});

describe('source maps for debugging: -c fleetflow:sourceMaps=true', () => {
  let outdir: string;
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'fleetflow-sourcemaps-'));
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  /** One function (Check Bake: a small bundle) synthesized, and bundled, with the context `value`. */
  const functionWith = (value: unknown) => {
    const app = new App({ outdir, context: { [SOURCE_MAPS_CONTEXT]: value }, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'SourceMaps');
    const fn = new FleetFlowFunction(stack, 'CheckBake', { handler: 'deploy/check-bake.ts', description: 'Check Bake, with source maps' });
    return { app, fn };
  };

  it('ships index.mjs.map beside the bundle and sets --enable-source-maps', () => {
    const { app, fn } = functionWith('true');
    const assembly = app.synth();

    const template = assembly.getStackByName('SourceMaps').template as CfnTemplate;
    const [info] = lambdaFunctions(template);
    const variables = (info!.properties.Environment as { Variables: Record<string, string> }).Variables;
    expect(variables.NODE_OPTIONS).toBe('--enable-source-maps');
    const staged = join(outdir, (fn.function.node.findChild('Code') as unknown as { assetPath: string }).assetPath);
    expect(readdirSync(staged).sort()).toEqual(['index.mjs', 'index.mjs.map']);
  }, 120_000);

  it('refuses a value other than true or false, in one line, before anything is bundled', () => {
    expect(() => functionWith('yes')).toThrow(/^context fleetflow:sourceMaps: must be true or false \(received "yes"\)$/);
  });
});
