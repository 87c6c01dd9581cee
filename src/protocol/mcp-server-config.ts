import { z } from 'zod';

/**
 * MCP servers whose tools join the agent's (docs/mcp.md): a viber's own in its config.json, an
 * environment's in the environment's definition. A server is stdio (`command`, `args`, `env`,
 * `cwd`: a child process of the daemon) or Streamable HTTP (`url`, `headers`).
 */

/** Longest server name: the agent's tool names are `mcp__<server>__<tool>`, at most 64 characters. */
export const MCP_SERVER_NAME_MAX = 32;
/** A server's initialise and each tool call, unless its `timeoutMs` says otherwise. */
export const MCP_DEFAULT_TIMEOUT_MS = 30_000;
export const MCP_MAX_SERVERS = 50;

export const McpServerNameSchema = z
  .string()
  .regex(
    new RegExp(`^[a-z0-9][a-z0-9_-]{0,${MCP_SERVER_NAME_MAX - 1}}$`),
    `must be 1-${MCP_SERVER_NAME_MAX} lowercase letters, digits, hyphens or underscores, starting with a letter or digit`,
  );

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,200}$/;

/** `${secrets.NAME}`: replaced on the viber by the environment's secret NAME. */
const SECRET_REFERENCE = /\$\{secrets\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** One map of names to values whose keys are checked one by one, so the error names the key. */
function namedValues(pattern: RegExp, what: string) {
  return z.record(z.string(), z.string().max(100_000)).superRefine((values, context) => {
    for (const key of Object.keys(values)) {
      if (!pattern.test(key))
        context.addIssue({
          code: 'custom',
          path: [key],
          message: `"${key.slice(0, 130)}" is not a valid ${what}`,
        });
    }
  });
}

export const McpServerConfigSchema = z
  .strictObject({
    name: McpServerNameSchema,
    /** stdio: the program to start (looked up on the PATH the server gets). */
    command: z.string().trim().min(1).max(4096).optional(),
    args: z.array(z.string().max(100_000)).max(200).optional(),
    /** stdio: variables added to the server's environment (values may reference secrets). */
    env: namedValues(
      VARIABLE_NAME,
      'variable name (letters, digits and _, not starting with a digit)',
    ).optional(),
    /** stdio: its working directory (relative to the environment's working directory in an environment). */
    cwd: z.string().min(1).max(4096).optional(),
    /** Streamable HTTP: the server's MCP endpoint. */
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
      .max(2000)
      .optional(),
    /** Streamable HTTP: headers sent with every request (values may reference secrets). */
    headers: namedValues(HEADER_NAME, 'HTTP header name').optional(),
    /** Longest wait for the server to start and initialise, and for each tool call (ms). */
    timeoutMs: z.number().int().min(100).max(3_600_000).optional(),
    /** False: kept in the configuration but never started. */
    enabled: z.boolean().optional(),
  })
  .superRefine((server, context) => {
    const stdio = server.command !== undefined;
    const http = server.url !== undefined;
    if (stdio === http) {
      context.addIssue({
        code: 'custom',
        message: stdio
          ? 'give either command (stdio) or url (Streamable HTTP), not both'
          : 'needs command (a stdio server) or url (a Streamable HTTP server)',
      });
      return;
    }
    const misplaced = stdio ? (['headers'] as const) : (['args', 'env', 'cwd'] as const);
    for (const field of misplaced) {
      if (server[field] !== undefined) {
        context.addIssue({
          code: 'custom',
          path: [field],
          message: stdio
            ? 'only a Streamable HTTP server (url) takes headers'
            : `only a stdio server (command) takes ${field}`,
        });
      }
    }
  });
export type McpServerConfig = z.infer<typeof McpServerConfigSchema>;

/** A list of servers with unique names; a duplicate is refused at its own index. */
export const McpServerListSchema = z
  .array(McpServerConfigSchema)
  .max(MCP_MAX_SERVERS)
  .superRefine((servers, context) => {
    const seen = new Set<string>();
    servers.forEach((server, index) => {
      if (seen.has(server.name))
        context.addIssue({
          code: 'custom',
          path: [index, 'name'],
          message: `"${server.name}" is used by another server`,
        });
      seen.add(server.name);
    });
  });

/** How a server is reached. */
export const mcpTransportOf = (server: Pick<McpServerConfig, 'command'>): 'stdio' | 'http' =>
  server.command !== undefined ? 'stdio' : 'http';

/** Every value of a server that may reference secrets, with where it is (`env.TOKEN`). */
function referencingValues(server: McpServerConfig): Array<[path: string, value: string]> {
  return [
    ...(server.args ?? []).map((value, index): [string, string] => [`args.${index}`, value]),
    ...Object.entries(server.env ?? {}).map(([key, value]): [string, string] => [`env.${key}`, value]),
    ...Object.entries(server.headers ?? {}).map(([key, value]): [string, string] => [
      `headers.${key}`,
      value,
    ]),
  ];
}

/** The secrets a server references, each with the first place that names it. */
export function mcpSecretReferences(server: McpServerConfig): Array<{ name: string; path: string }> {
  const found = new Map<string, string>();
  for (const [path, value] of referencingValues(server)) {
    for (const match of value.matchAll(SECRET_REFERENCE))
      if (!found.has(match[1]!)) found.set(match[1]!, path);
  }
  return [...found].map(([name, path]) => ({ name, path }));
}

/**
 * The server with every `${secrets.NAME}` replaced by the secret's value, or the names it
 * references that `secrets` does not have.
 */
export function resolveMcpSecretReferences(
  server: McpServerConfig,
  secrets: Readonly<Record<string, string>>,
): { ok: true; server: McpServerConfig } | { ok: false; missing: string[] } {
  const missing = mcpSecretReferences(server)
    .map((reference) => reference.name)
    .filter((name) => !Object.hasOwn(secrets, name));
  if (missing.length > 0) return { ok: false, missing };
  const resolve = (value: string) => value.replace(SECRET_REFERENCE, (_, name: string) => secrets[name]!);
  const map = (values: Record<string, string> | undefined) =>
    values && Object.fromEntries(Object.entries(values).map(([key, value]) => [key, resolve(value)]));
  return {
    ok: true,
    server: {
      ...server,
      ...(server.args ? { args: server.args.map(resolve) } : {}),
      ...(server.env ? { env: map(server.env) } : {}),
      ...(server.headers ? { headers: map(server.headers) } : {}),
    },
  };
}
