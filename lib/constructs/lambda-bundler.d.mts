// Types of lambda-bundler.mjs (plain JavaScript, so that the CDK construct can run it with plain Node).
import type { BuildOptions, Metafile, Plugin } from 'esbuild';

export declare const LAMBDA_ESBUILD: Readonly<BuildOptions & { mainFields: readonly string[] }>;
export declare function literalSchemaKeys(source: string): string;
export declare const literalSchemaKeysPlugin: Plugin;
export declare function bundleLambda(options: { entry: string; outdir: string; sourceMaps?: boolean }): Promise<Metafile>;
export declare function bundleLambdas(options: { entries: Record<string, string>; outdir: string }): Promise<void>;
