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
import { startHttpRedirect } from '../../portal/transport/http-redirect.js';
import { LiveConfig, effectiveConfig } from '../../config/overrides.js';
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
  // Settings changed through the portal API (storage target, retention) override the file's.
  const config = effectiveConfig(ctx.config, catalog.settings, (err) => logger.error({ err }, `settings in the catalog ignored: ${err.message}`));
  let recorder: Recorder;
  try {
    recorder = new Recorder(config, catalog, logger);
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
  let app: Awaited<ReturnType<typeof buildPortal>>;
  try {
    app = await buildPortal({ config: ctx.config, catalog, logger });
  } catch (err) {
    logger.fatal({ err }, `portal cannot start: ${(err as Error).message}`);
    catalog.close();
    return 1;
  }
  // Retention purge: once now, then every retention.purgeIntervalMinutes, re-read when the settings change.
  const live = new LiveConfig(ctx.config, catalog.settings, (err) => logger.error({ err }, `settings in the catalog ignored: ${err.message}`));
  const retention = new RetentionJob(
    catalog,
    { target: openMediaTarget(live.get()), spoolDir: join(ctx.config.dataDir, 'spool') },
    () => live.get().retention.purgeIntervalMinutes,
    logger.child({ job: 'retention' }),
  );
  const { host, port } = splitHostPort(ctx.config.portal.listen);
  try {
    await app.listen({ host, port });
  } catch (err) {
    logger.fatal({ err }, `portal cannot listen on portal.listen ${ctx.config.portal.listen}: ${(err as Error).message}`);
    catalog.close();
    return 1;
  }
  // Plain HTTP only ever answers with a redirect to the HTTPS listener.
  let redirect: import('node:http').Server | null = null;
  if (ctx.config.portal.httpRedirect) {
    try {
      redirect = await startHttpRedirect(ctx.config.portal.httpRedirect, port);
    } catch (err) {
      logger.fatal({ err }, `portal cannot listen on portal.httpRedirect ${ctx.config.portal.httpRedirect}: ${(err as Error).message}`);
      await app.close();
      catalog.close();
      return 1;
    }
  }
  retention.start();
  return runUntilStopped(logger, async () => {
    await retention.stop();
    if (redirect) {
      const server = redirect;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
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
