// Which ffmpeg makes the MP3s. Debian's gets security updates and is about 2.8x faster than the
// static 2018 build that @ffmpeg-installer/ffmpeg ships; that one is the fallback for a machine
// without the Debian package (it comes with `npm install`, no apt needed).
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';

export interface FfmpegBinary {
  path: string;
  source: 'debian' | 'bundled';
}

export const DEBIAN_FFMPEG = '/usr/bin/ffmpeg';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function debianFfmpeg(): FfmpegBinary | null {
  return executable(DEBIAN_FFMPEG) ? { path: DEBIAN_FFMPEG, source: 'debian' } : null;
}

export function bundledFfmpeg(): FfmpegBinary | null {
  try {
    // CommonJS, and it throws (a string) on a platform it has no binary for.
    const { path } = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string };
    return executable(path) ? { path, source: 'bundled' } : null;
  } catch {
    return null;
  }
}

/** Debian's ffmpeg when installed, else the bundled one, else null (no MP3s). */
export function findFfmpeg(): FfmpegBinary | null {
  return debianFfmpeg() ?? bundledFfmpeg();
}
