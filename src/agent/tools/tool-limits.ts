/** Bounds every tool keeps, in one place so docs/tools.md and the tests agree with the code. */
export const TOOL_LIMITS = {
  /** Longest text field a tool returns to the model; longer text is cut and kept as an artifact. */
  maxOutputChars: 30_000,
  /** Longest serialized result of any tool (a safety net over structured results). */
  maxResultChars: 100_000,
  /** Characters of output kept in a tool-call evidence excerpt. */
  evidenceExcerptChars: 500,
  /** Shell: output kept in memory before it spills to an artifact file. */
  shellMemoryBytes: 1024 * 1024,
  shellDefaultTimeoutSeconds: 120,
  shellMaxTimeoutSeconds: 600,
  /** Shell: time between SIGTERM and SIGKILL to the process group. */
  shellKillGraceMs: 2_000,
  /** Shell: how long to wait for output pipes to close after bash exits (background children hold them). */
  shellPipeGraceMs: 1_000,
  /** read_file / edit_file: files read whole up to this size; larger files need a line range. */
  maxFileBytes: 10 * 1024 * 1024,
  readFileDefaultLines: 2_000,
  /** write_file / save_artifact: largest content accepted. */
  maxWriteBytes: 10 * 1024 * 1024,
  listDirectoryDefaultEntries: 200,
  listDirectoryMaxEntries: 1_000,
  globDefaultMatches: 500,
  globMaxMatches: 2_000,
  grepDefaultMatches: 200,
  grepMaxMatches: 1_000,
  /** grep: files larger than this are skipped; a matched line is cut to this many characters. */
  grepMaxFileBytes: 5 * 1024 * 1024,
  grepMaxLineChars: 300,
  webFetchTimeoutMs: 30_000,
  webFetchMaxBytes: 5 * 1024 * 1024,
  webSearchTimeoutMs: 15_000,
  webSearchDefaultResults: 8,
  webSearchMaxResults: 20,
  /** remember: longest rule or habit. */
  maxMemoryEntryChars: 500,
} as const;
