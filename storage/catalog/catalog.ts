import { AccessProfilesRepo } from './access-profiles-repo.js';
import { AlarmsRepo } from './alarms-repo.js';
import { ApiTokensRepo } from './api-tokens-repo.js';
import { ActivityRepo } from './activity-repo.js';
import { AuditRepo } from './audit-repo.js';
import { openDatabase, type Database } from './database.js';
import { GroupsRepo } from './groups-repo.js';
import { InteractionsRepo } from './interactions-repo.js';
import { schemaVersion } from './migrate.js';
import { RetentionRepo } from './retention-repo.js';
import { SavedSearchesRepo } from './saved-searches-repo.js';
import { TagsRepo } from './tags-repo.js';
import { SessionsRepo } from './sessions-repo.js';
import { SettingsRepo } from './settings-repo.js';
import { BrandingRepo } from './branding-repo.js';
import { PreferencesRepo } from './preferences-repo.js';
import { SessionHistoryRepo } from './session-history-repo.js';
import { SpeechRepo } from './speech-repo.js';
import { StatusRepo } from './status-repo.js';
import { UsersRepo } from './users-repo.js';
import { UploadQueueRepo } from './upload-queue-repo.js';

/**
 * The catalog: one SQLite file shared by the recorder and the portal, behind one repository per
 * kind of record. Callers never see SQL, so another engine can replace this class later.
 */
export class Catalog {
  readonly interactions: InteractionsRepo;
  readonly history: SessionHistoryRepo;
  readonly users: UsersRepo;
  readonly sessions: SessionsRepo;
  /** Bearer tokens of integrations. */
  readonly apiTokens: ApiTokensRepo;
  readonly alarms: AlarmsRepo;
  readonly audit: AuditRepo;
  readonly uploads: UploadQueueRepo;
  readonly speech: SpeechRepo;
  readonly status: StatusRepo;
  /** Expiry, legal hold and tombstones (the purge job, deletions, holds). */
  readonly retention: RetentionRepo;
  /** Access profiles (call scope and permission flags) and user groups. */
  readonly accessProfiles: AccessProfilesRepo;
  readonly groups: GroupsRepo;
  /** Seed 000's System Activity Log (system audit rows and alarm events). */
  readonly activity: ActivityRepo;
  /** Configuration changed through the API (overrides of the YAML file). */
  readonly settings: SettingsRepo;
  /** The tag vocabulary and bulk tagging (seed 000 §1.14). */
  readonly tags: TagsRepo;
  /** Each user's saved interaction searches (seed 000 §1.8). */
  readonly savedSearches: SavedSearchesRepo;
  /** The portal's logo (seed 000 "Branding"). */
  readonly branding: BrandingRepo;
  /** Each portal user's own preferences (the list's columns). */
  readonly preferences: PreferencesRepo;
  private readonly pingStmt;

  private constructor(private readonly db: Database) {
    this.interactions = new InteractionsRepo(db);
    this.history = new SessionHistoryRepo(db);
    this.users = new UsersRepo(db);
    this.sessions = new SessionsRepo(db);
    this.apiTokens = new ApiTokensRepo(db);
    this.alarms = new AlarmsRepo(db);
    this.audit = new AuditRepo(db);
    this.uploads = new UploadQueueRepo(db);
    this.speech = new SpeechRepo(db);
    this.status = new StatusRepo(db);
    this.retention = new RetentionRepo(db);
    this.accessProfiles = new AccessProfilesRepo(db);
    this.groups = new GroupsRepo(db);
    this.activity = new ActivityRepo(db);
    this.settings = new SettingsRepo(db);
    this.tags = new TagsRepo(db);
    this.savedSearches = new SavedSearchesRepo(db);
    this.branding = new BrandingRepo(db);
    this.preferences = new PreferencesRepo(db);
    this.pingStmt = db.prepare('SELECT count(*) AS n FROM schema_migrations');
  }

  /** Opens `<dataDir>/catalog.sqlite`, creating and migrating it as needed. */
  static open(dataDir: string): Catalog {
    return new Catalog(openDatabase(dataDir));
  }

  /**
   * Runs `fn` as one transaction: writes of several repositories commit together (one commit
   * instead of one per write, which is what a call's set-up costs at hundreds per second).
   * IMMEDIATE: the write lock is taken first, waiting busy_timeout for it. A deferred transaction
   * that reads and then writes fails at once (SQLITE_BUSY_SNAPSHOT, no waiting) when the other
   * process committed in between, and a call's set-up would answer 500 for it.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Runs reads against one snapshot (a deferred transaction: it takes no write lock). */
  snapshot<T>(fn: () => T): T {
    return this.db.transaction(fn).deferred();
  }

  /** A trivial query for health checks; throws when the file is unusable. */
  ping(): void {
    this.pingStmt.get();
  }

  get schemaVersion(): number {
    return schemaVersion(this.db);
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
