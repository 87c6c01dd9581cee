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
  // `pretty` is forced by `viber up` for its daemon child, whose stderr is a pipe to a terminal.
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
