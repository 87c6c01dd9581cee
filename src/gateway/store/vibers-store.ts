import type { ConfigState, ViberInfo, ViberStatus } from '../../protocol/index.ts';

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

/** Registered vibers: what they last reported, revocation. Their credentials are node devices' tokens. */
export interface VibersStore {
  insertViber(viber: Pick<ViberRecord, 'id' | 'name' | 'createdAt'>): Promise<void>;
  getViber(id: string): Promise<ViberRecord | null>;
  /** Vibers that are not revoked, oldest first. */
  listVibers(): Promise<ViberRecord[]>;
  /** False when the viber does not exist or was already revoked. */
  revokeViber(id: string, at: string): Promise<boolean>;
  recordViberConnected(id: string, info: ViberInfo, at: string): Promise<void>;
  recordViberHeartbeat(id: string, status: ViberStatus, at: string): Promise<void>;
  recordViberConfigState(id: string, state: ConfigState): Promise<void>;
}
