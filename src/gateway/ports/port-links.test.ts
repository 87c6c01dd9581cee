import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PortLinks } from './port-links.ts';

const key = randomBytes(32);
const inAnHour = () => new Date(Date.now() + 3_600_000);

describe('port links', () => {
  it('opens exactly the port it was minted for, for whoever holds it, until it expires', () => {
    const links = new PortLinks(key);
    const token = links.mint({ viberId: 'viber-1', port: 3000, deviceId: 'dev-1', expiresAt: inAnHour() });
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(links.check(token, 'viber-1', 3000)).toMatchObject({ ok: true, deviceId: 'dev-1' });
    expect(links.check(token, 'viber-1', 3001)).toEqual({
      ok: false,
      status: 403,
      message: 'this link opens port 3000 of viber viber-1, not port 3001 of viber viber-1',
    });
    expect(links.check(token, 'viber-2', 3000)).toMatchObject({ ok: false, status: 403 });
    const later = new Date(Date.now() + 2 * 3_600_000);
    expect(links.check(token, 'viber-1', 3000, later)).toMatchObject({
      ok: false,
      status: 401,
      message: /expired/,
    });
  });

  it('refuses an altered token, one of another master key, and garbage, with 401', () => {
    const links = new PortLinks(key);
    const token = links.mint({ viberId: 'v', port: 80, deviceId: 'd', expiresAt: inAnHour() });
    const [body, signature] = token.split('.') as [string, string];
    // Another port in the payload, the old signature: not issued by this gateway.
    const forgedBody = Buffer.from(JSON.stringify({ v: 'v', p: 81, d: 'd', e: 9_999_999_999 })).toString(
      'base64url',
    );
    expect(links.check(`${forgedBody}.${signature}`, 'v', 81)).toMatchObject({ ok: false, status: 401 });
    expect(links.check(`${body}.${signature.slice(1)}x`, 'v', 80)).toMatchObject({ ok: false, status: 401 });
    const other = new PortLinks(randomBytes(32));
    expect(other.check(token, 'v', 80)).toMatchObject({ ok: false, status: 401 });
    for (const garbage of ['', 'abc', 'a.b.c', `${'x'.repeat(2000)}.y`])
      expect(links.check(garbage, 'v', 80)).toMatchObject({ ok: false, status: 401 });
  });

  it('works on every gateway sharing the master key', () => {
    const token = new PortLinks(key).mint({ viberId: 'v', port: 80, deviceId: 'd', expiresAt: inAnHour() });
    expect(new PortLinks(Buffer.from(key)).check(token, 'v', 80)).toMatchObject({ ok: true });
  });

  it('without a master key, says why and opens nothing', () => {
    const links = new PortLinks(undefined, 'the master key is missing');
    expect(links.problem).toBe('the master key is missing');
    expect(() => links.mint({ viberId: 'v', port: 80, deviceId: 'd', expiresAt: inAnHour() })).toThrow(
      /missing/,
    );
    expect(links.check('a.b', 'v', 80)).toMatchObject({ ok: false, status: 401 });
  });
});
