import { describe, expect, it } from 'vitest';
import { BOARD_SESSION_COOKIE } from '../../protocol/index.ts';
import {
  PORT_SANDBOX_CSP,
  requestHeadersForService,
  responseHeadersForBrowser,
  scopedCookie,
} from './port-headers.ts';

const valuesOf = (headers: Array<[string, string]>, name: string) =>
  headers.filter(([key]) => key.toLowerCase() === name).map(([, value]) => value);

describe('headers toward the service', () => {
  it('drops hop-by-hop headers, the gateway session cookie, its bearer tokens and the Referer', () => {
    const out = requestHeadersForService(
      [
        ['Host', 'gateway:8080'],
        ['Connection', 'keep-alive, X-Private'],
        ['X-Private', 'hop'],
        ['Keep-Alive', 'timeout=5'],
        ['Transfer-Encoding', 'chunked'],
        ['Cookie', `theme=dark; ${BOARD_SESSION_COOKIE}=ovs_secret; app=1`],
        ['Authorization', 'Bearer ovd_devicetoken'],
        ['Referer', 'http://gateway/ports/v/3000/token/'],
        ['X-Forwarded-For', '10.0.0.1'],
        ['Accept', 'text/html'],
        ['Origin', 'null'],
      ],
      3000,
      false,
    );
    expect(out).toEqual([
      ['Cookie', 'theme=dark; app=1'],
      ['Accept', 'text/html'],
      ['Origin', 'http://localhost:3000'],
    ]);
  });

  it("keeps the service's own Authorization, and drops a Cookie header that held only the session", () => {
    const out = requestHeadersForService(
      [
        ['authorization', 'Basic dXNlcjpwYXNz'],
        ['cookie', `${BOARD_SESSION_COOKIE}=ovs_secret`],
      ],
      8000,
      false,
    );
    expect(out).toEqual([['authorization', 'Basic dXNlcjpwYXNz']]);
  });

  it('keeps a WebSocket upgrade an upgrade, with its Sec-WebSocket headers', () => {
    const out = requestHeadersForService(
      [
        ['Connection', 'Upgrade'],
        ['Upgrade', 'websocket'],
        ['Sec-WebSocket-Key', 'abc=='],
        ['Sec-WebSocket-Version', '13'],
      ],
      8000,
      true,
    );
    expect(out).toEqual([
      ['Sec-WebSocket-Key', 'abc=='],
      ['Sec-WebSocket-Version', '13'],
      ['Connection', 'Upgrade'],
      ['Upgrade', 'websocket'],
    ]);
  });
});

describe('headers toward the browser', () => {
  it('adds the sandbox, no-referrer and open CORS; drops hop-by-hop and the service CORS', () => {
    const out = responseHeadersForBrowser(
      [
        ['Content-Type', 'text/html'],
        ['Transfer-Encoding', 'chunked'],
        ['Connection', 'close'],
        ['Access-Control-Allow-Origin', 'http://localhost:3000'],
        ['Referrer-Policy', 'unsafe-url'],
        ['Content-Security-Policy', "default-src 'self'"],
      ],
      '/ports/v/3000/',
      false,
    );
    expect(valuesOf(out, 'content-security-policy')).toEqual(["default-src 'self'", PORT_SANDBOX_CSP]);
    expect(PORT_SANDBOX_CSP).not.toContain('allow-same-origin');
    expect(valuesOf(out, 'referrer-policy')).toEqual(['no-referrer']);
    expect(valuesOf(out, 'access-control-allow-origin')).toEqual(['*']);
    expect(valuesOf(out, 'transfer-encoding')).toEqual([]);
    expect(valuesOf(out, 'connection')).toEqual([]);
    expect(valuesOf(out, 'content-type')).toEqual(['text/html']);
  });

  it("holds the service's cookies to the port's path, and drops one named like the gateway's", () => {
    const out = responseHeadersForBrowser(
      [
        ['Set-Cookie', 'sid=1; Path=/; Domain=example.com; HttpOnly'],
        ['Set-Cookie', `${BOARD_SESSION_COOKIE}=stolen; Path=/`],
        ['Set-Cookie', '__Host-x=1; Path=/; Secure'],
      ],
      '/ports/v/3000/',
      false,
    );
    expect(valuesOf(out, 'set-cookie')).toEqual(['sid=1; HttpOnly; Path=/ports/v/3000/']);
    expect(scopedCookie('novalue', '/p/')).toBeUndefined();
  });

  it("keeps a tunnel's Connection and Upgrade", () => {
    const out = responseHeadersForBrowser(
      [
        ['Connection', 'Upgrade'],
        ['Upgrade', 'websocket'],
        ['Sec-WebSocket-Accept', 'xyz'],
      ],
      '/ports/v/1/',
      true,
    );
    expect(out.slice(0, 3)).toEqual([
      ['Connection', 'Upgrade'],
      ['Upgrade', 'websocket'],
      ['Sec-WebSocket-Accept', 'xyz'],
    ]);
  });
});
