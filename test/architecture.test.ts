import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// The dependency rules of DESIGN.md (Layout), checked on every source file, test file and the board.

const repo = join(import.meta.dirname, '..');

// cli, web -> client -> protocol; cli -> gateway/daemon -> agent -> core -> protocol.
// The agent knows nothing of sockets; the gateway knows nothing of models.
const LAYERS: Record<string, string[]> = {
  protocol: [],
  core: ['protocol'],
  client: ['protocol'],
  agent: ['core', 'protocol'],
  daemon: ['client', 'agent', 'core', 'protocol'], // client: the one backoff of every reconnect
  gateway: ['core', 'protocol'],
  cli: ['client', 'gateway', 'daemon', 'agent', 'core', 'protocol'],
};
const FORBIDDEN_PACKAGES: Record<string, RegExp> = {
  protocol: /^(?!zod$|node:)/,
  gateway: /^(ai|@ai-sdk\/.*)$/,
  agent: /^(ws|hono|@hono\/.*)$/,
};
/** What a test may use besides its layer: test support, in its one home. */
const TEST_SUPPORT = [/^test\/support\//];

// The gateway by concept, floor by floor from the ground: a folder imports only folders on lower
// floors, so no two folders import each other and nothing below knows what stands on it. The
// transports stand on top of the concepts; http/ holds what every concept's routes are built
// with, and app.ts (the root, '.') assembles them into the HTTP surface.
const GATEWAY_FLOORS: string[][] = [
  ['store'], // the durable state behind one interface, split by concept; its change feed
  ['bus'], // the topic bus, and the topics the change feed is published on
  ['metrics'], // the gateway's counters, the relay histogram, the Prometheus text
  ['auth'], // who a caller is
  ['http'], // middleware, errors, route context, SSE writing
  ['vibers', 'devices'], // connections, registry, presence, the viber service; the Devices routes
  ['environments', 'tasks', 'terminals', 'desktop'], // concepts on top of vibers, independent of each other
  ['settings'], // the model settings every viber pulls; keys sealed by environments' secret box
  ['channels'], // chat channels: platforms' messages start and answer tasks through the task router
  ['ports'], // opened ports: links signed under environments' master key, relayed over vibers' connections
  ['jobs'], // scheduled jobs: ticks claimed in the store start tasks as the task router builds them
  ['board'], // sign-in, the board's files, its push events
  ['mcp'], // the gateway as an MCP server: tools over tasks and vibers, with auth's scopes
  ['ws'], // the daemon socket and the one dispatch of daemon messages; the terminal and desktop sockets
  ['.'], // wiring: app.ts, start-gateway.ts, index.ts
];

// Tests and the board reach the product from outside: through the protocol and the clients, test
// support, and (for the board's own tests) the board's code. Only test/support/in-process/, the
// harnesses that run product code in the test's own process for the unit tests beside it, reaches
// in; the multi-process tests (test/e2e, test/browser) may not use it.
const OUTSIDE: Record<string, RegExp[]> = {
  'test/support/in-process/': [/^test\/support\//, /^src\/(protocol|core|client|agent|daemon|gateway)\//],
  // The MCP conformance suite's client: the agent's MCP client in its own process, as a daemon runs it.
  'test/conformance/mcp-client.ts': [/^src\/(protocol|core|client|agent)\//],
  'test/support/': [
    /^test\/support\/(?!in-process\/)/,
    /^src\/protocol\//,
    /^src\/client\//,
    /^web\/scripts\//,
  ],
  'test/': [
    /^src\/protocol\//,
    /^src\/client\//,
    /^test\/(?!support\/in-process\/)/,
    /^web\/(src|scripts)\//,
  ],
  'web/': [/^web\//, /^src\/protocol\//, /^src\/client\//],
};
/** The most specific OUTSIDE area a file of `area` falls in. */
const outsideArea = (path: string, area: string) =>
  ['test/support/in-process/', 'test/conformance/mcp-client.ts', 'test/support/'].find((prefix) =>
    path.startsWith(prefix),
  ) ?? area;

function files(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'build' || name.startsWith('.')) return [];
    if (statSync(path).isDirectory()) return files(path, pattern);
    return pattern.test(name) ? [path] : [];
  });
}

/** Every module a file imports: static, re-exported, side-effect and dynamic imports. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [
    ...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm),
    ...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ];
  return found.map((match) => match[1]!);
}

/** Relative imports as paths from the repository root; packages as they are written. */
function edges(file: string): { specifier: string; target: string | undefined }[] {
  return imports(file).map((specifier) => ({
    specifier,
    target: specifier.startsWith('.') ? relative(repo, join(dirname(file), specifier)) : undefined,
  }));
}

const isTest = (file: string) => file.endsWith('.test.ts');
const show = (file: string, specifier: string) => `${relative(repo, file)} -> ${specifier}`;

describe('dependency direction between the layers of src/', () => {
  for (const [layer, allowed] of Object.entries(LAYERS)) {
    it(`${layer} imports only ${allowed.join(', ') || 'nothing else'} (a test: and test support)`, () => {
      const violations: string[] = [];
      for (const file of files(join(repo, 'src', layer), /\.ts$/)) {
        for (const { specifier, target } of edges(file)) {
          if (target === undefined) {
            // Packages bind source files; a test may use what a client would (the AI SDK reading a stream).
            if (!isTest(file) && FORBIDDEN_PACKAGES[layer]?.test(specifier))
              violations.push(show(file, specifier));
            continue;
          }
          const [top, into] = target.split('/');
          if (top === 'src' && (into === layer || allowed.includes(into!))) continue;
          if (isTest(file) && TEST_SUPPORT.some((pattern) => pattern.test(target))) continue;
          violations.push(show(file, specifier));
        }
      }
      expect(violations).toEqual([]);
    });
  }
});

describe('the gateway by concept', () => {
  const gateway = join(repo, 'src', 'gateway');
  const floorOf = new Map(GATEWAY_FLOORS.flatMap((floor, index) => floor.map((folder) => [folder, index])));
  const folderOf = (path: string) => {
    const parts = relative(gateway, path).split('/');
    return parts.length === 1 ? '.' : parts[0]!;
  };
  const sources = files(gateway, /\.ts$/);

  it('has every folder on a floor', () => {
    expect(sources.map(folderOf).filter((folder) => !floorOf.has(folder))).toEqual([]);
  });

  it('imports only from lower floors', () => {
    const violations: string[] = [];
    for (const file of sources) {
      const from = folderOf(file);
      for (const { specifier, target } of edges(file)) {
        if (!target?.startsWith('src/gateway/')) continue;
        const to = folderOf(join(repo, target));
        if (to === from || floorOf.get(to)! < floorOf.get(from)!) continue;
        violations.push(`${show(file, specifier)} (${from} -> ${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('has no import cycle between its files', () => {
    expect(cyclesIn('src/gateway/')).toEqual([]);
  });
});

describe('the client', () => {
  // The followers take GatewayAccess (gateway-access.ts), not the client class that offers them.
  it('has no import cycle between its files', () => {
    expect(cyclesIn('src/client/')).toEqual([]);
  });
});

describe('tests and the board reach the product from outside', () => {
  const areas: [string, string[]][] = [
    ['test/', files(join(repo, 'test'), /\.ts$/)],
    ['web/', ['src', 'scripts'].flatMap((dir) => files(join(repo, 'web', dir), /\.(ts|js|svelte)$/))],
  ];
  for (const [area, areaFiles] of areas) {
    it(`${area} imports from the repository only what OUTSIDE allows`, () => {
      const violations: string[] = [];
      for (const file of areaFiles) {
        const rules = OUTSIDE[outsideArea(relative(repo, file), area)]!;
        for (const { specifier, target } of edges(file)) {
          if (target !== undefined && !rules.some((pattern) => pattern.test(target))) {
            violations.push(show(file, specifier));
          }
        }
      }
      expect(violations).toEqual([]);
    });
  }
});

/** Every import cycle among the files under `folder` (type-only imports count: they tie files too). */
function cyclesIn(folder: string): string[] {
  const graph = new Map(
    files(join(repo, folder), /\.ts$/).map((file) => [
      relative(repo, file),
      edges(file).flatMap(({ target }) => (target?.startsWith(folder) ? [target] : [])),
    ]),
  );
  const cycles: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'visiting') {
      cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
      return;
    }
    state.set(file, 'visiting');
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  return cycles;
}
