import type BetterSqlite3 from 'better-sqlite3';

export interface LogoInfo {
  mime: string;
  bytes: number;
  sha256: string;
  width: number;
  height: number;
  updatedAt: string;
  updatedBy: string | null;
}

export interface Logo extends LogoInfo {
  image: Buffer;
}

interface LogoRow {
  mime: string;
  image?: Buffer;
  bytes: number;
  sha256: string;
  width: number;
  height: number;
  updated_at: number;
  updated_by: string | null;
}

const toInfo = (r: LogoRow): LogoInfo => ({
  mime: r.mime,
  bytes: r.bytes,
  sha256: r.sha256,
  width: r.width,
  height: r.height,
  updatedAt: new Date(r.updated_at).toISOString(),
  updatedBy: r.updated_by,
});

/** The portal's logo (seed 000 "Branding"): at most one; none means the product's name is shown. */
export class BrandingRepo {
  private readonly infoStmt;
  private readonly imageStmt;
  private readonly putStmt;
  private readonly deleteStmt;

  constructor(db: BetterSqlite3.Database) {
    this.infoStmt = db.prepare('SELECT mime, length(image) AS bytes, sha256, width, height, updated_at, updated_by FROM branding_logo WHERE id = 1');
    this.imageStmt = db.prepare('SELECT mime, image, length(image) AS bytes, sha256, width, height, updated_at, updated_by FROM branding_logo WHERE id = 1');
    this.putStmt = db.prepare(`INSERT INTO branding_logo (id, mime, image, sha256, width, height, updated_at, updated_by)
      VALUES (1, @mime, @image, @sha256, @width, @height, @now, @by)
      ON CONFLICT (id) DO UPDATE SET mime = excluded.mime, image = excluded.image, sha256 = excluded.sha256,
        width = excluded.width, height = excluded.height, updated_at = excluded.updated_at, updated_by = excluded.updated_by`);
    this.deleteStmt = db.prepare('DELETE FROM branding_logo WHERE id = 1');
  }

  /** The logo's description without the image (cheap: the sign-in page asks for it). */
  info(): LogoInfo | null {
    const row = this.infoStmt.get() as LogoRow | undefined;
    return row ? toInfo(row) : null;
  }

  logo(): Logo | null {
    const row = this.imageStmt.get() as LogoRow | undefined;
    return row ? { ...toInfo(row), image: row.image! } : null;
  }

  put(logo: { mime: string; image: Buffer; sha256: string; width: number; height: number }, by: string | null, now = Date.now()): LogoInfo {
    this.putStmt.run({ ...logo, now, by });
    return this.info()!;
  }

  /** True when there was a logo to remove. */
  remove(): boolean {
    return this.deleteStmt.run().changes > 0;
  }
}
