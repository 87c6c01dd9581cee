import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Field paths pino replaces with "[redacted]" wherever they appear in a log line. */
const REDACT_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  'password',
  '*.password',
];

let root: Logger | undefined;

function rootLogger(): Logger {
  if (root) return root;
  const level = process.env.OPENVIBER_LOG_LEVEL ?? 'info';
  // `viber up` keeps its terminal calm: every line goes to a file, only warnings and errors to
  // stderr, each as one line a person reads (`--verbose` and `--json-logs` put them all back).
  const file = process.env.OPENVIBER_LOG_FILE;
  if (file) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    root = pino(
      { level, redact: REDACT_PATHS },
      pino.multistream([
        { level: level as pino.Level, stream: pino.destination({ dest: file, append: true, sync: true }) },
        { level: 'warn', stream: { write: (line: string) => process.stderr.write(humanLine(line)) } },
      ]),
    );
    return root;
  }
  // `pretty` is forced by `viber up --verbose` for its daemon child, whose stderr is a pipe to a terminal.
  const format = process.env.OPENVIBER_LOG_FORMAT;
  const pretty = format === 'pretty' || (process.stderr.isTTY && format !== 'json');
  // Logs go to stderr: stdout belongs to command output (URLs, JSON, streamed task text).
  root = pretty
    ? pino({
        level,
        redact: REDACT_PATHS,
        transport: {
          target: 'pino-pretty',
          options: { destination: 2, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' },
        },
      })
    : pino({ level, redact: REDACT_PATHS }, pino.destination({ fd: 2, sync: true }));
  return root;
}

/** One logger per component; ids (taskId, viberId, requestId) go in as bindings on child loggers. */
export function createLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ component, ...bindings });
}

const LEVEL_NAMES: Record<number, string> = { 40: 'warning', 50: 'error', 60: 'fatal' };
/** Fields every line has, or that the human line already shows. */
const QUIET_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component', 'err']);

/**
 * One JSON log line as one line for a person: `warning gateway: message (key=value, ...)`, the
 * error's own message after a colon, no stack (the log file keeps it).
 */
export function humanLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = LEVEL_NAMES[Number(entry.level)] ?? 'log';
  const where = typeof entry.component === 'string' ? `${entry.component}: ` : '';
  const error = entry.err as { message?: unknown } | undefined;
  const cause = error && typeof error.message === 'string' ? `: ${error.message}` : '';
  const details = Object.entries(entry)
    .filter(([key, value]) => !QUIET_FIELDS.has(key) && value !== undefined && value !== null)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const extra = details.length ? ` (${details.join(', ')})` : '';
  const line = `${level} ${where}${String(entry.msg ?? '')}${cause}${extra}`;
  return `${line.replace(/\s*\n\s*/g, ' ')}\n`;
}
