// `sipvault start`: a small supervisor that runs each component as its own process (as systemd
// does in the appliance) and restarts one that dies, so a portal crash never stops recording.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../config/logger.js';
import { Catalog } from '../../storage/catalog/index.js';
import type { CommandContext } from '../cli.js';

const COMPONENTS = ['recorder', 'portal', 'snmp'] as const;
const BIN = fileURLToPath(new URL('../../../bin/sipvault', import.meta.url));

export async function runStart(ctx: CommandContext): Promise<number> {
  const logger = createLogger(ctx.config.log.level, 'supervisor');
  // Migrate once here so the components do not race to create the schema on a fresh install.
  Catalog.open(ctx.config.dataDir).close();

  const children = new Map<string, ChildProcess>();
  let stopping = false;
  const backoff = new Map<string, number>();

  const launch = (name: string) => {
    const args = [BIN, name, ...(ctx.configPath ? ['--config', ctx.configPath] : [])];
    const child = spawn(process.execPath, args, { stdio: 'inherit', env: process.env });
    const startedAt = Date.now();
    children.set(name, child);
    child.on('exit', (code, signal) => {
      children.delete(name);
      if (stopping) return;
      // A component that ran for a while gets a fresh back-off; one that dies at once waits longer each time.
      const delay = Date.now() - startedAt > 60_000 ? 1000 : Math.min((backoff.get(name) ?? 500) * 2, 30_000);
      backoff.set(name, delay);
      logger.error({ component: name, code, signal, restartInMs: delay }, `${name} exited; restarting`);
      setTimeout(() => !stopping && launch(name), delay).unref();
    });
  };
  for (const name of COMPONENTS) launch(name);
  logger.info({ dataDir: ctx.config.dataDir, sip: ctx.config.sip.listen, portal: ctx.config.portal.listen }, 'sipvault started');

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(sig));
  });
  stopping = true;
  logger.info({ signal }, 'stopping components');
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          const kill = setTimeout(() => child.kill('SIGKILL'), (ctx.config.sip.shutdownGraceSeconds + 15) * 1000);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  return 0;
}
