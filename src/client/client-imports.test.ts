import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The client runs in the browser as well as in Node: everything it loads, its own files and the
// protocol files they reach, may import only each other, zod and eventsource-parser. Its tests
// (and the helpers they use, in test/support) run in Node only and are not part of it.

const CLIENT_DIR = dirname(fileURLToPath(import.meta.url));
const SRC_DIR = resolve(CLIENT_DIR, '..');
const ALLOWED_PACKAGES = new Set(['zod', 'eventsource-parser']);
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

function specifiers(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((match) => match[1] ?? match[2]!);
}

const clientEntries = readdirSync(CLIENT_DIR)
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
  .map((name) => join(CLIENT_DIR, name));

/** Every file the client's modules reach through relative imports, with the bad imports found. */
function walk(): { files: string[]; problems: string[] } {
  const seen = new Set<string>();
  const problems: string[] = [];
  const queue = [...clientEntries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const where = relative(SRC_DIR, file);
    for (const specifier of specifiers(file)) {
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        const folder = relative(SRC_DIR, target).split('/')[0];
        if (folder !== 'client' && folder !== 'protocol') problems.push(`${where} imports ${specifier}`);
        else queue.push(target);
      } else if (!ALLOWED_PACKAGES.has(specifier)) {
        problems.push(`${where} imports ${specifier}`);
      }
    }
  }
  return { files: [...seen].map((file) => relative(SRC_DIR, file)).sort(), problems };
}

describe('the client is browser-safe', () => {
  it('imports only src/protocol, zod and eventsource-parser, all the way down', () => {
    const { files, problems } = walk();
    expect(problems).toEqual([]);
    expect(files).toContain('client/gateway-client.ts');
    expect(files).toContain('protocol/rest-routes.ts');
    expect(files.every((file) => file.startsWith('client/') || file.startsWith('protocol/'))).toBe(true);
  });

  it("uses none of Node's globals in its own files", () => {
    for (const file of clientEntries) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/\b(Buffer|process|require|__dirname|setImmediate)\b/);
    }
  });

  it('would notice a Node import', () => {
    expect(specifiers(join(CLIENT_DIR, 'client-imports.test.ts'))).toContain('node:fs');
  });
});
