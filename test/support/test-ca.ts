import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { afterEach } from 'vitest';
import { makeTempDir } from './temp-dirs.ts';

/**
 * A throwaway CA for tests of a gateway served over https and wss (`viber gateway --tls-cert F
 * --tls-key F`), made with the openssl binary in a temp folder (removed after the test with the
 * others), and a way for the test process itself to trust it for a while. The commands are the
 * ones docs/remote-access.md shows.
 */

export interface TestPki {
  /** The CA certificate clients trust (`--ca`, OPENVIBER_CA_FILE). */
  ca: string;
  /** The gateway's certificate (signed by the CA, for IP 127.0.0.1 and DNS localhost) and key. */
  cert: string;
  key: string;
  /** The certificate with its chain after it (here the CA itself), as in a fullchain.pem. */
  fullchain: string;
  /** Two certificates in one file: one unrelated to the gateway, then the CA. */
  bundle: string;
  /** A private key that does not belong to `cert`. */
  otherKey: string;
}

export function makeTestPki(): TestPki {
  const dir = makeTempDir('tls');
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    ...['req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2'],
    ...['-subj', '/CN=OpenViber test CA', '-addext', 'basicConstraints=critical,CA:TRUE'],
    ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
  );
  openssl('req', ...ecKey, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    ...['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'],
    ...['-out', 'server.pem', '-days', '2', '-extfile', 'server.ext'],
  );
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', 'other.key');
  openssl(
    ...['req', '-x509', '-key', 'other.key', '-out', 'other.pem', '-days', '2', '-subj', '/CN=Unrelated'],
  );
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  writeFileSync(join(dir, 'fullchain.pem'), read('server.pem') + read('ca.pem'));
  writeFileSync(join(dir, 'bundle.pem'), read('other.pem') + read('ca.pem'));
  return {
    ca: join(dir, 'ca.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server.key'),
    fullchain: join(dir, 'fullchain.pem'),
    bundle: join(dir, 'bundle.pem'),
    otherKey: join(dir, 'other.key'),
  };
}

/**
 * Lets a test make its own process trust a test CA (global fetch, and so the REST client, and the
 * `ws` client), as `viber --ca` does for the CLI: `trust(pki)` adds the CA to this process's
 * default roots, and after each test of the calling file the roots are put back as they were.
 */
export function useTestCaTrust(): { trust(pki: TestPki): void } {
  const defaults = getCACertificates('default');
  afterEach(() => setDefaultCACertificates(defaults));
  return {
    trust(pki) {
      setDefaultCACertificates([...defaults, readFileSync(pki.ca, 'utf8')]);
    },
  };
}
