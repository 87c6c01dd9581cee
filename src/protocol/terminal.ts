import { z } from 'zod';
import { LIMITS } from './limits.ts';

/** A tmux target: `session`, `session:window` or `session:window.pane`, or a pane id like `%3`. */
export const TerminalTargetSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^(%\d+|[A-Za-z0-9_.@-]+(:[A-Za-z0-9_-]+(\.\d+)?)?)$/, 'must be a tmux target such as work:0.1 or %3');

const appId = z.string().max(200).optional();
/** Correlates a request with its answer when several are in flight. */
const requestId = z.string().max(200).optional();

/** Gateway -> daemon terminal messages (protocol document, section 3 and 6). */
export const terminalToViberSchemas = [
  z.strictObject({ type: z.literal('terminal:list'), requestId }),
  z.strictObject({
    type: z.literal('terminal:create'),
    requestId,
    session: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'session names are letters, digits, _ and -'),
    cwd: z.string().max(4096).optional(),
  }),
  z.strictObject({ type: z.literal('terminal:attach'), target: TerminalTargetSchema, appId }),
  z.strictObject({ type: z.literal('terminal:detach'), target: TerminalTargetSchema, appId }),
  z.strictObject({
    type: z.literal('terminal:input'),
    target: TerminalTargetSchema,
    keys: z.string().max(LIMITS.maxTerminalInputChars),
    appId,
  }),
  z.strictObject({
    type: z.literal('terminal:resize'),
    target: TerminalTargetSchema,
    cols: z.number().int().min(2).max(1000),
    rows: z.number().int().min(2).max(1000),
    appId,
  }),
] as const;

export const TerminalPaneSchema = z.object({
  id: z.string(),
  target: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  command: z.string().optional(),
  active: z.boolean(),
});
export const TerminalWindowSchema = z.object({
  index: z.number().int(),
  name: z.string(),
  panes: z.array(TerminalPaneSchema),
});
export const TerminalSessionSchema = z.object({
  name: z.string(),
  windows: z.array(TerminalWindowSchema),
  attached: z.boolean().optional(),
});
export type TerminalSession = z.infer<typeof TerminalSessionSchema>;

/** Daemon -> gateway terminal messages. */
export const terminalFromViberSchemas = [
  z.strictObject({ type: z.literal('terminal:list-result'), requestId, sessions: z.array(TerminalSessionSchema) }),
  z.strictObject({ type: z.literal('terminal:created'), requestId, session: z.string(), target: z.string() }),
  /** Sent on attach and on resync: the pane's current screen, with escape sequences. */
  z.strictObject({
    type: z.literal('terminal:screen'),
    target: z.string(),
    appId,
    cols: z.number().int(),
    rows: z.number().int(),
    data: z.string(),
  }),
  z.strictObject({ type: z.literal('terminal:output'), target: z.string(), appId, data: z.string() }),
  z.strictObject({ type: z.literal('terminal:detached'), target: z.string(), appId, reason: z.string().max(500) }),
  z.strictObject({
    type: z.literal('terminal:error'),
    target: z.string().optional(),
    requestId,
    appId,
    code: z.string().max(100),
    message: z.string().max(2000),
  }),
] as const;
