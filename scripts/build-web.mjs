// Builds the portal's browser UI (portal/web, preact + TypeScript) into dist/web with vite:
// type-check first (the main tsconfig leaves portal/web out), then one bundle, no CDN.
// Usage: node scripts/build-web.mjs
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'vite';
import preact from '@preact/preset-vite';

const root = new URL('..', import.meta.url).pathname;
const web = join(root, 'portal/web');
const check = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(web, 'tsconfig.json')], { stdio: 'inherit' });
if (check.status !== 0) process.exit(check.status ?? 1);

await build({
  root: web,
  configFile: false,
  logLevel: 'warn',
  base: '/',
  plugins: [preact()],
  build: {
    outDir: join(root, 'dist/web'),
    emptyOutDir: true,
    // The appliance serves the bundle itself; browsers of the last few years run it as is.
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 800,
  },
});
