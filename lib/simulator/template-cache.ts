/**
 * Synthesized templates kept in files between processes. A synth of the stack takes
 * seconds; the test suite runs each file in a process of its own and synthesizes the same
 * environments again and again. A template is named by a hash of everything it is made
 * from (the sources, the aws-cdk-lib version, what the caller adds), so a changed source
 * is a new name, never a stale template.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The folders and files, relative to the repository, that a FleetFlow stack is built from. */
export const STACK_SOURCES = ['lib', 'lambdas', 'statemachines', 'package-lock.json'] as const;

/** Set to a directory to keep the simulator's templates there (the test suite does); unset, it synthesizes every time. */
export const TEMPLATE_CACHE_ENV = 'FLEETFLOW_TEMPLATE_CACHE';

/** sha256 of the sources' paths and contents (relative to the repository), the aws-cdk-lib version and `extra`. */
export function sourceHash(sources: readonly string[], extra: string): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(REPO_ROOT, 'node_modules/aws-cdk-lib/package.json')));
  for (const source of sources) {
    const path = join(REPO_ROOT, source);
    const files = statSync(path).isDirectory() ? readdirSync(path, { recursive: true, encoding: 'utf8' }).map((f) => join(source, f)).sort() : [source];
    for (const file of files) {
      const full = join(REPO_ROOT, file);
      if (statSync(full).isFile()) hash.update(`${file}\0`).update(readFileSync(full)).update('\0');
    }
  }
  return hash.update(extra).digest('hex').slice(0, 32);
}

/**
 * The file `dir/name` (a template as written), made by `write` when it is missing.
 * `write` returns the text; it lands under another name first, so a process running in
 * parallel reads a whole file or none.
 */
export function cachedFile(dir: string, name: string, write: () => string | Buffer): string {
  const path = join(dir, name);
  if (!existsSync(path)) {
    const text = write();
    mkdirSync(dir, { recursive: true });
    const partial = `${path}.${process.pid}`;
    writeFileSync(partial, text);
    renameSync(partial, path);
  }
  return path;
}
