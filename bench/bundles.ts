/**
 * What each Lambda bundle weighs and what it costs a cold start, for `npm run bench`: every
 * handler is built by the stack's own bundler (lib/constructs/lambda-bundler.mjs),
 * its metafile says which packages take the bytes, and a fresh `node` process imports it while
 * measuring the CPU time the import takes. Timing lives here only, never in a test.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Metafile } from 'esbuild';
import { bundleLambda } from '../lib/constructs/lambda-bundler.mjs';

const LAMBDAS_DIR = new URL('../lambdas/', import.meta.url);

/** The workflow folders that hold handlers (one handler per file, each exporting `handler`). */
const HANDLER_DIRS = ['rollout', 'deploy', 'database', 'compute', 'surge', 'restore-data', 'recover'];

export interface BundleFigures {
  /** Handler module, relative to `lambdas/`. */
  readonly handler: string;
  /** Bytes of the minified bundle (`index.mjs`). */
  readonly bytes: number;
  /** Bytes of its source map, when built with one. */
  readonly mapBytes: number;
  /** The packages (or the repository's own code) that take the bundle's bytes, largest first. */
  readonly parts: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
  /** Where the bundle was written. */
  readonly file: string;
}

/** Every handler module, sorted. */
export function handlerModules(): string[] {
  const dir = fileURLToPath(LAMBDAS_DIR);
  return HANDLER_DIRS.flatMap((d) =>
    readdirSync(join(dir, d))
      .filter((f) => f.endsWith('.ts') && readFileSync(join(dir, d, f), 'utf8').includes('export const handler'))
      .map((f) => `${d}/${f}`),
  ).sort();
}

/** The package a metafile input belongs to (`zod`, `@aws-sdk/client-ec2`), or `fleetflow` for the repository's own code. */
function packageOf(input: string): string {
  const at = input.lastIndexOf('node_modules/');
  if (at === -1) return 'fleetflow';
  const parts = input.slice(at + 'node_modules/'.length).split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** Builds `handler` into `outdir/<handler without .ts>/index.mjs` as the stack would (with a source map when asked). */
export async function buildBundle(handler: string, outdir: string, sourceMaps = false): Promise<BundleFigures> {
  const dir = join(outdir, handler.replace(/\.ts$/, ''));
  const file = join(dir, 'index.mjs');
  const metafile = await bundleLambda({ entry: fileURLToPath(new URL(handler, LAMBDAS_DIR)), outdir: dir, sourceMaps });
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(metafile));
  return { handler, bytes: statSync(file).size, mapBytes: sourceMaps ? statSync(`${file}.map`).size : 0, parts: partsOf(metafile), file };
}

/** The bytes each package contributes to the (single) output, largest first. */
function partsOf(metafile: Metafile): BundleFigures['parts'] {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytesInOutput);
  }
  return [...byPackage.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/**
 * CPU milliseconds a fresh `node` spends importing the bundle (user + system, every thread of
 * the process, as Lambda's init bills them), the median of `runs` processes. CPU time rather than
 * wall time, so that other work on the machine changes the figure less.
 */
export function coldImportCpuMs(file: string, options: { runs?: number; sourceMaps?: boolean } = {}): number {
  const script = `
    const start = process.cpuUsage();
    const mod = await import(process.argv[1]);
    const used = process.cpuUsage(start);
    if (typeof mod.handler !== 'function') throw new Error('no handler exported');
    console.log((used.user + used.system) / 1000);`;
  const samples: number[] = [];
  for (let i = 0; i < (options.runs ?? 5); i += 1) {
    const flags = options.sourceMaps ? ['--enable-source-maps'] : [];
    const run = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script, pathToFileURL(file).href], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', POWERTOOLS_SERVICE_NAME: 'fleetflow' },
    });
    if (run.status !== 0) throw new Error(`importing ${file} failed: ${run.stderr.slice(0, 400)}`);
    samples.push(Number(run.stdout.trim()));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}
