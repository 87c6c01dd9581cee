import type { ConfigState, ViberInfo, ViberStatus } from '../../protocol/index.ts';

export interface ViberRecord {
  id: string;
  name: string;
  tokenHash: string;
  createdAt: string;
  revokedAt: string | null;
  info: ViberInfo | null;
  status: ViberStatus | null;
  configState: ConfigState | null;
  connectedAt: string | null;
  lastHeartbeatAt: string | null;
}

/** Registered vibers: their credential (a token hash), what they last reported, revocation. */
export interface VibersStore {
  insertViber(viber: Pick<ViberRecord, 'id' | 'name' | 'tokenHash' | 'createdAt'>): Promise<void>;
  getViber(id: string): Promise<ViberRecord | null>;
  findViberByTokenHash(tokenHash: string): Promise<ViberRecord | null>;
  /** Vibers that are not revoked, oldest first. */
  listVibers(): Promise<ViberRecord[]>;
  /** False when the viber does not exist or was already revoked. */
  revokeViber(id: string, at: string): Promise<boolean>;
  recordViberConnected(id: string, info: ViberInfo, at: string): Promise<void>;
  recordViberHeartbeat(id: string, status: ViberStatus, at: string): Promise<void>;
  recordViberConfigState(id: string, state: ConfigState): Promise<void>;
}
