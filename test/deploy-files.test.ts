import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from './support/processes.ts';

// The scale-out deployment of docs/deploy.md ("Scale-out"): deploy/compose.yaml, its nginx
// balancer and the gateway image. No container engine runs here, so the files are read and checked
// against what the tests run: the same flags' variables, the same packages' services.

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  command?: string[];
  ports?: string[];
  volumes?: string[];
}

describe('deploy/compose.yaml', () => {
  const compose = parse(read('deploy/compose.yaml'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const gateways = ['gateway-a', 'gateway-b', 'gateway-c'].map((name) => compose.services[name]!);

  it('runs PostgreSQL, Redis, three gateways and a balancer', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'gateway-a',
      'gateway-b',
      'gateway-c',
      'lb',
      'postgres',
      'redis',
    ]);
    expect(compose.services.postgres!.image).toMatch(/^postgres:15/);
    expect(compose.services.redis!.image).toMatch(/^redis:/);
    expect(compose.services.lb!.ports).toEqual(['6007:6007']);
  });

  it('gives every gateway the same store, bus, operator token and master key, by the variables the CLI reads', () => {
    const cli = read('src/cli/commands/gateway.ts');
    for (const gateway of gateways) {
      expect(gateway.build).toEqual({ context: '..', dockerfile: 'deploy/gateway.Dockerfile' });
      const env = gateway.environment!;
      expect(env.OPENVIBER_STORE_URL).toMatch(
        /^postgres:\/\/openviber:\$\{POSTGRES_PASSWORD[^}]*\}@postgres:5432\/openviber$/,
      );
      expect(env.OPENVIBER_BUS_URL).toBe('redis://redis:6379');
      expect(Object.keys(env).sort()).toEqual([
        'OPENVIBER_BUS_URL',
        'OPENVIBER_MASTER_KEY',
        'OPENVIBER_OPERATOR_TOKEN',
        'OPENVIBER_STORE_URL',
      ]);
    }
    expect(cli).toContain('OPENVIBER_STORE_URL');
    expect(cli).toContain('OPENVIBER_BUS_URL');
    expect(read('src/gateway/environments/master-key.ts')).toContain("'OPENVIBER_MASTER_KEY'");
  });

  it('balances over the three gateways, passing WebSocket upgrades and unbuffered SSE', () => {
    const nginx = read('deploy/nginx.conf');
    for (const name of ['gateway-a', 'gateway-b', 'gateway-c'])
      expect(nginx).toContain(`server ${name}:6007`);
    expect(nginx).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(nginx).toContain('proxy_set_header Connection $connection_upgrade;');
    expect(nginx).toContain('proxy_buffering off;');
    expect(compose.services.lb!.volumes).toEqual(['./nginx.conf:/etc/nginx/conf.d/default.conf:ro']);
  });
});

describe('deploy/gateway.Dockerfile', () => {
  const dockerfile = read('deploy/gateway.Dockerfile');

  it('builds the board, runs `viber gateway` on Node 24 as a user that is not root, with no secret baked in', () => {
    expect(dockerfile.match(/^FROM .*/gm)).toEqual([
      'FROM node:24-bookworm-slim AS board',
      'FROM node:24-bookworm-slim',
    ]);
    expect(dockerfile).toContain('RUN npm run build --workspace web');
    expect(dockerfile).toContain('COPY --from=board --chown=gateway:gateway /build/web/build web/build');
    expect(dockerfile).toMatch(/^USER gateway$/m);
    expect(dockerfile).toMatch(
      /^ENTRYPOINT \["node", "\/opt\/openviber\/bin\/viber\.js", "gateway", "--host", "0\.0\.0\.0", "--port", "6007"\]$/m,
    );
    expect(dockerfile).not.toMatch(/^ENV .*(TOKEN|KEY|PASSWORD|STORE_URL|BUS_URL)/m);
  });
});
