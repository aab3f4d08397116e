/**
 * The AWS services a FleetFlow handler calls, read from its import graph at synth time: a
 * service is called when the handler reaches its client module, lambdas/shared/aws/<service>.ts,
 * the one place each SDK client is created (test/unit/handler-services.test.ts checks both that
 * and that this reading agrees with TypeScript's own scanner for every handler). A Lambda task
 * retries the throttling and transient names of exactly these services (./lambda-task.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { CfnResource } from 'aws-cdk-lib';
import { AWS_SERVICES, type AwsService } from '../../lambdas/shared/throttling';

/** The metadata key FleetFlowFunction ties a function to its handler module by (lib/constructs/fleetflow-function.ts). */
export const HANDLER_METADATA_KEY = 'fleetflow:handler';

const LAMBDAS_DIR = fileURLToPath(new URL('../../lambdas/', import.meta.url));
const CLIENT_MODULES: ReadonlyMap<string, AwsService> = new Map(AWS_SERVICES.map((service) => [`shared/aws/${service}.ts`, service]));
/** A relative module specifier after `from`, `import` or `import(`: static and dynamic imports, re-exports. */
const RELATIVE_IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** A module's relative imports, as paths from lambdas/ (a missing target is an error: the bundle would fail too). */
function importsOf(module: string): string[] {
  const source = readFileSync(join(LAMBDAS_DIR, module), 'utf8');
  return [...source.matchAll(RELATIVE_IMPORT)].map(([, specifier]) => {
    const base = normalize(join(dirname(module), specifier!));
    for (const candidate of [base, `${base}.ts`, join(base, 'index.ts'), base.replace(/\.js$/, '.ts')]) {
      try {
        if (statSync(join(LAMBDAS_DIR, candidate)).isFile()) return relative(LAMBDAS_DIR, join(LAMBDAS_DIR, candidate));
      } catch {
        // not this candidate
      }
    }
    throw new Error(`lambdas/${module} imports ${specifier}, which is no module under lambdas/`);
  });
}

const servicesCache = new Map<string, readonly AwsService[]>();

/** The services whose clients `handler` (a module path relative to lambdas/, e.g. `deploy/plan-release.ts`) reaches, sorted. */
export function servicesOfHandler(handler: string): readonly AwsService[] {
  const known = servicesCache.get(handler);
  if (known) return known;
  const seen = new Set<string>([handler]);
  const queue = [handler];
  const services = new Set<AwsService>();
  for (let module = queue.shift(); module !== undefined; module = queue.shift()) {
    const service = CLIENT_MODULES.get(module);
    if (service) services.add(service);
    for (const next of importsOf(module)) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  const sorted = AWS_SERVICES.filter((s) => services.has(s));
  servicesCache.set(handler, sorted);
  return sorted;
}

/**
 * The services `fn`'s handler calls. A FleetFlowFunction names its handler module in its metadata;
 * of any other function (one imported by ARN) the calls are unknown, so it gets every service
 * FleetFlow knows: retrying a name the task cannot raise costs template bytes, missing one would
 * fail a task AWS only asked to slow down (test/infra/workflow-definition.test.ts holds every task
 * of the canonical template to exactly its handler's services).
 */
export function servicesOfFunction(fn: lambda.IFunction): readonly AwsService[] {
  const handler = (fn.node.defaultChild as CfnResource | undefined)?.getMetadata?.(HANDLER_METADATA_KEY);
  return typeof handler === 'string' ? servicesOfHandler(handler) : AWS_SERVICES;
}
