import type { Config } from '../../config/schema.js';
import type { MediaTarget } from './media-target.js';
import { LocalMediaTarget, localTargetRoot } from './local-target.js';
import { S3MediaTarget } from './s3-target.js';

/** The media target `storage.target` describes. */
export function openMediaTarget(config: Config): MediaTarget {
  const t = config.storage.target;
  return t.type === 'local' ? new LocalMediaTarget(t.name, localTargetRoot(config.dataDir, t.path)) : new S3MediaTarget(t);
}
