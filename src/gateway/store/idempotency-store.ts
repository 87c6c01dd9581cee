export interface IdempotencyRecord {
  key: string;
  requestHash: string;
  status: number;
  body: string;
  createdAt: string;
}

/** Stored first responses of side-effecting POSTs, by `Idempotency-Key` (DESIGN.md, rule 6). */
export interface IdempotencyStore {
  getIdempotency(key: string): Promise<IdempotencyRecord | null>;
  /** Keeps the first record for a key; a later one with the same key is ignored. */
  putIdempotency(record: IdempotencyRecord): Promise<void>;
  /** Deletes records created before `olderThan`; returns how many. */
  purgeIdempotency(olderThan: string): Promise<number>;
}
