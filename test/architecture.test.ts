import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// DESIGN.md's dependency direction: cli -> gateway/daemon -> agent -> core -> protocol.
// The agent knows nothing of sockets; the gateway knows nothing of models.
const ALLOWED: Record<string, string[]> = {
  protocol: [],
  core: ['protocol'],
  agent: ['core', 'protocol'],
  daemon: ['agent', 'core', 'protocol'],
  gateway: ['core', 'protocol'],
  cli: ['gateway', 'daemon', 'agent', 'core', 'protocol'],
};
const FORBIDDEN_PACKAGES: Record<string, RegExp> = {
  protocol: /^(?!zod$|node:)/,
  gateway: /^(ai|@ai-sdk\/.*)$/,
  agent: /^(ws|hono|@hono\/.*)$/,
};

const root = join(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map(
    (match) => match[1]!,
  );
}

describe('dependency direction', () => {
  for (const [layer, allowed] of Object.entries(ALLOWED)) {
    it(`${layer} imports only ${allowed.join(', ') || 'nothing else'}`, () => {
      const violations: string[] = [];
      for (const file of sourceFiles(join(root, layer))) {
        for (const specifier of imports(file)) {
          if (specifier.startsWith('.')) {
            const target = relative(root, join(file, '..', specifier)).split('/')[0]!;
            if (target !== layer && !allowed.includes(target))
              violations.push(`${relative(root, file)} -> ${specifier}`);
          } else if (FORBIDDEN_PACKAGES[layer]?.test(specifier)) {
            violations.push(`${relative(root, file)} -> ${specifier}`);
          }
        }
      }
      expect(violations).toEqual([]);
    });
  }
});
