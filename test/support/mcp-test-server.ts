import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

/**
 * A small stdio MCP server for the MCP client's tests, run as `node mcp-test-server.ts <mode>`:
 * - `tools` (default): `greet` (read-only), `crash` (the process exits while it runs), `wait`
 *   (read-only; answers only when cancelled, and records the cancellation), `fail` (an isError
 *   result; not read-only), `where` (read-only; its working directory), and `broken-schema`,
 *   listed with an input schema that is not valid JSON Schema;
 * - `garbage`: prints a line that is not JSON-RPC on stdout, then waits;
 * - `hang`: reads its input and never answers, not even `initialize`;
 * - `exit`: writes a complaint to stderr and exits at once.
 * MCP_TEST_MARKERS names a folder where the `tools` server writes `pid-<pid>` when it starts, the
 * `exit` one appends a line to `starts`, and `wait` appends to `cancelled` when its call is
 * cancelled.
 */

const mode = process.argv[2] ?? 'tools';
const markers = process.env.MCP_TEST_MARKERS;

if (mode === 'garbage') {
  process.stdout.write('Welcome to the test server! (this line is not JSON-RPC)\n');
  process.stdin.resume();
} else if (mode === 'hang') {
  process.stdin.resume();
} else if (mode === 'exit') {
  if (markers) appendFileSync(join(markers, 'starts'), `${process.pid}\n`);
  process.stderr.write('fatal: the test server has no configuration\n');
  process.exit(2);
} else {
  await serveTools();
}

async function serveTools(): Promise<void> {
  if (markers) appendFileSync(join(markers, `pid-${process.pid}`), '');
  const server = new Server(
    { name: 'openviber-test-server', version: '1.0.0' },
    { capabilities: { tools: {} } },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [
      {
        name: 'greet',
        description: 'Greets someone by name.',
        inputSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        annotations: { readOnlyHint: true },
      },
      {
        name: 'crash',
        description: 'Makes the server process exit while the call runs.',
        inputSchema: { type: 'object', properties: {} },
      },
      {
        name: 'wait',
        description: 'Answers only when the call is cancelled.',
        inputSchema: { type: 'object', properties: {} },
        annotations: { readOnlyHint: true },
      },
      {
        name: 'fail',
        description: 'Always reports an error.',
        inputSchema: { type: 'object', properties: {} },
      },
      {
        name: 'where',
        description: 'Tells its working directory.',
        inputSchema: { type: 'object', properties: {} },
        annotations: { readOnlyHint: true },
      },
      {
        name: 'broken-schema',
        description: 'Listed with an input schema that no JSON Schema validator accepts.',
        inputSchema: { type: 'object', properties: { size: { type: 'huge' } } },
      },
    ],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const args = request.params.arguments ?? {};
    switch (request.params.name) {
      case 'greet':
        return { content: [{ type: 'text', text: `Hello, ${String(args.name)}!` }] };
      case 'crash':
        process.stderr.write('crash: giving up in the middle of a call\n');
        setTimeout(() => process.exit(3), 20);
        return new Promise(() => {});
      case 'wait':
        return new Promise((resolve) => {
          extra.signal.addEventListener('abort', () => {
            if (markers) appendFileSync(join(markers, 'cancelled'), `${String(extra.requestId)}\n`);
            resolve({ content: [{ type: 'text', text: 'cancelled' }] });
          });
        });
      case 'where':
        return { content: [{ type: 'text', text: process.cwd() }] };
      case 'fail':
        return { content: [{ type: 'text', text: 'the widget is out of stock' }], isError: true };
      default:
        return { content: [{ type: 'text', text: `unknown tool ${request.params.name}` }], isError: true };
    }
  });
  await server.connect(new StdioServerTransport());
}
