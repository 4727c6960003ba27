#!/usr/bin/env node
// Prints one value of the validated sipvault config (defaults applied, paths resolved), for the
// image's shell scripts: `config-get.mjs --config F dataDir` or `... portal.listen`.
import { parseArgs } from 'node:util';

const { loadConfig, ConfigError } = await import(new URL('../../dist/config/loader.js', import.meta.url).href);
const { values, positionals } = parseArgs({ allowPositionals: true, options: { config: { type: 'string', default: '/etc/sipvault/sipvault.yaml' } } });
if (positionals.length !== 1) {
  console.error('usage: config-get.mjs [--config F] KEY (dotted, e.g. portal.listen)');
  process.exit(2);
}
try {
  let value = loadConfig(values.config);
  for (const part of positionals[0].split('.')) {
    if (value === null || typeof value !== 'object' || !(part in value)) throw new Error(`no config key ${positionals[0]}`);
    value = value[part];
  }
  console.log(typeof value === 'object' ? JSON.stringify(value) : String(value));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `config-get.mjs: ${err.message}`);
  process.exit(1);
}
