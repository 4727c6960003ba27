#!/usr/bin/env node
// Opens the catalog once, which migrates its schema to this release's version, and says which
// version it found and left. Run by sipvault-catalog.service before the components start, and by
// sipvault-update after switching releases.
// Usage: catalog-migrate.mjs [--config F]
import { parseArgs } from 'node:util';

const dist = (p) => new URL(`../../dist/${p}`, import.meta.url).href;
const { loadConfig, ConfigError } = await import(dist('config/loader.js'));
const { Catalog, SCHEMA_VERSION } = await import(dist('storage/catalog/index.js'));

const { values } = parseArgs({ options: { config: { type: 'string', default: '/etc/sipvault/sipvault.yaml' } } });
try {
  const cfg = loadConfig(values.config);
  const catalog = Catalog.open(cfg.dataDir);
  try {
    catalog.ping();
    console.log(`catalog ${cfg.dataDir}: schema version ${catalog.schemaVersion} (this release writes ${SCHEMA_VERSION})`);
  } finally {
    catalog.close();
  }
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `catalog migration failed: ${err.message}`);
  process.exit(1);
}
