import type { ConfigState, ViberInfo, ViberStatus } from '../../protocol/index.ts';
import type { Page, PageRequest } from './store-page.ts';

export interface ViberRecord {
  id: string;
  name: string;
  createdAt: string;
  revokedAt: string | null;
  info: ViberInfo | null;
  status: ViberStatus | null;
  configState: ConfigState | null;
  connectedAt: string | null;
  lastHeartbeatAt: string | null;
}

/** A viber's place in `viberPage`'s order: its name, then its id. */
export type ViberPageKey = readonly [name: string, id: string];

export interface ViberQuery extends PageRequest<ViberPageKey> {
  /** Vibers whose name contains this, ignoring ASCII case. */
  nameContains?: string;
  /** Only these vibers. */
  onlyIds?: readonly string[];
  /** None of these vibers. */
  exceptIds?: readonly string[];
}

/** Registered vibers: what they last reported, revocation. Their credentials are node devices' tokens. */
export interface VibersStore {
  insertViber(viber: Pick<ViberRecord, 'id' | 'name' | 'createdAt'>): Promise<void>;
  getViber(id: string): Promise<ViberRecord | null>;
  /** Vibers that are not revoked, oldest first. */
  listVibers(): Promise<ViberRecord[]>;
  /** A page of the vibers that are not revoked, by name (ignoring ASCII case), then by id. */
  viberPage(query: ViberQuery): Promise<Page<ViberRecord, ViberPageKey>>;
  /** False when the viber does not exist or was already revoked. */
  revokeViber(id: string, at: string): Promise<boolean>;
  recordViberConnected(id: string, info: ViberInfo, at: string): Promise<void>;
  recordViberHeartbeat(id: string, status: ViberStatus, at: string): Promise<void>;
  recordViberConfigState(id: string, state: ConfigState): Promise<void>;
}
