/**
 * How every FleetFlow Lambda is bundled, written once. The CDK construct (fleetflow-function.ts)
 * runs this file as a process for each function (`node lambda-bundler.mjs <entry> <outdir>
 * [--source-maps]`), and the bench (bench/bundles.ts) imports it, so the sizes and import times
 * the bench prints are those of what deploys. Plain JavaScript so that plain Node runs it, with
 * no TypeScript loader (its types: lambda-bundler.d.mts).
 *
 * Why not NodejsFunction's own esbuild call: it runs the esbuild CLI, which takes no plugins, and
 * the plugin below is what lets esbuild tree-shake the SDK's schemas (EC2's schema module was 540 KiB of
 * every EC2 bundle; 21-37 KiB with the plugin).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** The esbuild settings of every function (esbuild's own option names). */
export const LAMBDA_ESBUILD = Object.freeze({
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  // ES modules first: the SDK's modular clients ship `module` builds ("sideEffects": false) that esbuild tree-shakes.
  mainFields: ['module', 'main'],
  // Bundled CommonJS (a few SDK dependencies) may still call `require` for Node's built-ins.
  banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
  logLevel: 'warning',
});

/** The SDK's generated schema modules: `@aws-sdk/<client>/dist-es/schemas/schemas_0.js` (and nested clients'). */
const SCHEMA_MODULE = /[\\/]node_modules[\\/]@aws-sdk[\\/].+[\\/]dist-es[\\/](?:.+[\\/])?schemas[\\/]schemas_\d+\.js$/;

/**
 * The SDK's schema module with every computed key `{ [_xN]: ... }` whose name is one of the
 * module's own top-level `const _xN = "xmlName"` strings written as that string literal instead.
 *
 * Why: a schema is an array literal, free of side effects, except that esbuild cannot know a
 * computed key is a string (turning a key into a property name may call toString), so it keeps
 * every schema of the client: all 3,400 of EC2's, 540 KiB, where FleetFlow uses a dozen. With the
 * literal key the array is pure and an unused schema is dropped. The value of every key is the
 * same string as before, so the module means exactly what it meant. Keys naming anything else
 * (or a `const` that is not a plain string) are left as they are.
 */
export function literalSchemaKeys(source) {
  const strings = new Map();
  for (const m of source.matchAll(/^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) strings.set(m[1], m[2]);
  return source.replace(/([{,]\s*)\[(_\w+)\]:/g, (whole, before, name) => (strings.has(name) ? `${before}${strings.get(name)}:` : whole));
}

/** The esbuild plugin that applies `literalSchemaKeys` to the SDK's schema modules as esbuild loads them. */
export const literalSchemaKeysPlugin = Object.freeze({
  name: 'fleetflow-literal-schema-keys',
  setup(esbuild) {
    esbuild.onLoad({ filter: SCHEMA_MODULE }, (args) => ({ contents: literalSchemaKeys(readFileSync(args.path, 'utf8')), loader: 'js' }));
  },
});

/**
 * Bundles one handler module into `outdir/index.mjs` (and `index.mjs.map` when `sourceMaps`).
 * Returns esbuild's metafile (which inputs take the output's bytes).
 */
export async function bundleLambda({ entry, outdir, sourceMaps = false }) {
  const result = await build({
    ...LAMBDA_ESBUILD,
    mainFields: [...LAMBDA_ESBUILD.mainFields],
    entryPoints: [entry],
    outfile: join(outdir, 'index.mjs'),
    sourcemap: sourceMaps,
    metafile: true,
    plugins: [literalSchemaKeysPlugin],
  });
  return result.metafile;
}

/**
 * Bundles several handlers in one esbuild run: `entries` maps an output directory (relative to
 * `outdir`) to its handler module, and each gets `outdir/<dir>/index.mjs`, byte for byte what
 * `bundleLambda` writes for it alone (no code splitting: every bundle stands alone). Why: one run
 * loads and transforms each shared module (the SDK's, the schema plugin's work) once, where a run
 * per function repeated it some fifty times; a synth spent most of its time there.
 * No source maps: a map names its sources relative to where it is written, so maps are bundled
 * one function at a time, where they are written.
 */
export async function bundleLambdas({ entries, outdir }) {
  await build({
    ...LAMBDA_ESBUILD,
    mainFields: [...LAMBDA_ESBUILD.mainFields],
    entryPoints: Object.entries(entries).map(([dir, entry]) => ({ in: entry, out: join(dir, 'index') })),
    outdir,
    outExtension: { '.js': '.mjs' },
    plugins: [literalSchemaKeysPlugin],
  });
}

// Run as a program by the CDK construct:
//   node lambda-bundler.mjs <entry> <outdir> [--source-maps]   one handler
//   node lambda-bundler.mjs --many <outdir> <dir>=<entry>...   several (bundleLambdas)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const usage = () => {
    process.stderr.write(`usage: node ${fileURLToPath(import.meta.url)} <entry> <outdir> [--source-maps] | --many <outdir> <dir>=<entry>...\n`);
    process.exit(2);
  };
  if (args[0] === '--many') {
    const [, outdir, ...pairs] = args;
    if (!outdir || pairs.length === 0 || pairs.some((pair) => !/^[^=]+=.+$/.test(pair))) usage();
    await bundleLambdas({ entries: Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])), outdir });
  } else {
    const [entry, outdir, ...flags] = args;
    if (!entry || !outdir || flags.some((flag) => flag !== '--source-maps')) usage();
    await bundleLambda({ entry, outdir, sourceMaps: flags.includes('--source-maps') });
  }
}
