// Long-running components, each its own process so a portal crash never stops recording.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../config/logger.js';
import { splitHostPort } from '../../config/loader.js';
import { Catalog } from '../../storage/catalog/index.js';
import { Recorder } from '../../recorder/recorder.js';
import { buildPortal } from '../../portal/server.js';
import { RetentionJob } from '../../portal/jobs/retention.js';
import { openMediaTarget } from '../../storage/media/open-target.js';
import { ensureAdmin } from '../../portal/auth/bootstrap-admin.js';
import { SnmpService } from '../../snmp/snmp-service.js';
import type { CommandContext } from '../cli.js';

/** Resolves when SIGINT/SIGTERM arrives. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(sig));
  });
}

async function runUntilStopped(logger: Logger, stop: () => Promise<void>): Promise<number> {
  const sig = await untilSignal();
  logger.info({ signal: sig }, 'stopping');
  await stop();
  return 0;
}

export async function runRecorder(ctx: CommandContext): Promise<number> {
  const logger = createLogger(ctx.config.log.level, 'recorder');
  const catalog = Catalog.open(ctx.config.dataDir);
  let recorder: Recorder;
  try {
    recorder = new Recorder(ctx.config, catalog, logger);
    await recorder.start();
  } catch (err) {
    logger.fatal({ err }, `recorder cannot start: ${(err as Error).message}`);
    catalog.close();
    return 1;
  }
  return runUntilStopped(logger, async () => {
    await recorder.stop();
    catalog.close();
  });
}

export async function runPortal(ctx: CommandContext): Promise<number> {
  const logger = createLogger(ctx.config.log.level, 'portal');
  const catalog = Catalog.open(ctx.config.dataDir);
  ensureAdmin(catalog, logger);
  const app = await buildPortal({ config: ctx.config, catalog, logger });
  // Retention purge: once now, then every retention.purgeIntervalMinutes.
  const retention = new RetentionJob(catalog, { target: openMediaTarget(ctx.config), spoolDir: join(ctx.config.dataDir, 'spool') }, ctx.config.retention.purgeIntervalMinutes, logger.child({ job: 'retention' }));
  const { host, port } = splitHostPort(ctx.config.portal.listen);
  try {
    await app.listen({ host, port });
  } catch (err) {
    logger.fatal({ err }, `portal cannot listen on portal.listen ${ctx.config.portal.listen}: ${(err as Error).message}`);
    catalog.close();
    return 1;
  }
  retention.start();
  return runUntilStopped(logger, async () => {
    await retention.stop();
    await app.close();
    catalog.close();
  });
}

export async function runSnmp(ctx: CommandContext): Promise<number> {
  const logger = createLogger(ctx.config.log.level, 'snmp');
  const catalog = Catalog.open(ctx.config.dataDir);
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  let fatal: (err: Error) => void = () => undefined;
  const failed = new Promise<Error>((resolve) => (fatal = resolve));
  const service = new SnmpService({ config: ctx.config, catalog, logger, version: pkg.version, onFatal: (err) => fatal(err) });
  const stop = async () => {
    await service.stop();
    catalog.close();
  };
  try {
    await service.start();
  } catch (err) {
    logger.fatal({ err }, `snmp cannot start: ${(err as Error).message}`);
    await stop();
    return 1;
  }
  const outcome = await Promise.race([failed, runUntilStopped(logger, stop)]);
  if (outcome instanceof Error) {
    logger.fatal({ err: outcome }, `snmp agent cannot listen on snmp.agent.listen ${ctx.config.snmp.agent.listen}: ${outcome.message}`);
    await stop();
    return 1;
  }
  return outcome;
}
