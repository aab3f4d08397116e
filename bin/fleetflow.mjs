#!/usr/bin/env node
// FleetFlow CLI launcher. The simulator needs Node 22+ (aws-local-stepfunctions uses
// Promise.withResolvers); the project's `node` devDependency ships it, so an older
// system Node hands over to that binary. TypeScript sources load through tsx.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  const bundled = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(bundled)) {
    console.error(`fleetflow needs Node.js 22 or newer (this is ${process.version}); run npm ci to install the bundled one.`);
    process.exit(2);
  }
  const result = spawnSync(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
