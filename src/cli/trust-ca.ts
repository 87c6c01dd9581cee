import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import type { Command } from 'commander';
import { CliError } from './cli-error.ts';

/**
 * A private CA for gateways served over https:// and wss:// (`viber gateway --tls-cert/--tls-key`
 * with a certificate signed by your own CA). `trustExtraCa` adds the CA's certificates to this
 * process's default trusted roots (Node's bundled roots stay), so every TLS connection the process
 * makes without its own `ca` trusts them: global fetch (REST, SSE, the daemon's config pull) and
 * the `ws` client (the daemon socket, terminals) alike. It needs `tls.setDefaultCACertificates`
 * (Node >= 22.19 / 24.5; the project runs on Node 24).
 *
 * main.ts calls `trustCaFor` before every command's action: `--ca FILE` when the command has that
 * option (`addCaOption`, or `.option('--ca <file>', CA_OPTION_HELP)`), otherwise OPENVIBER_CA_FILE.
 */

export const CA_FILE_ENV = 'OPENVIBER_CA_FILE';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The help of `--ca <file>`, the same on every command that has it. */
export const CA_OPTION_HELP = `also trust this CA certificate (PEM) for https:// and wss:// gateways (or ${CA_FILE_ENV})`;

/** Adds `--ca <file>` to a command; main.ts applies it before the command's action runs. */
export function addCaOption(command: Command): Command {
  return command.option('--ca <file>', CA_OPTION_HELP);
}

/**
 * Reads the PEM file at `path` (one certificate or a bundle), checks every certificate in it, and
 * adds them to the default CA certificates of this process. `source` names where the path came
 * from in error messages (`--ca`, `OPENVIBER_CA_FILE`). Adding the same certificate twice is a
 * no-op. Returns the subjects of the certificates now trusted.
 */
export function trustExtraCa(path: string, source = '--ca'): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`${source} ${path}: ${(error as Error).message}`, 2);
  }
  const pems = text.match(PEM_CERTIFICATE) ?? [];
  if (pems.length === 0) {
    throw new CliError(
      `${source} ${path}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)`,
      2,
    );
  }
  const subjects = pems.map((pem) => {
    try {
      return new X509Certificate(pem).subject.replace(/\n/g, ', ');
    } catch (error) {
      throw new CliError(`${source} ${path}: not a valid certificate: ${(error as Error).message}`, 2);
    }
  });
  const current = getCACertificates('default');
  const known = new Set(current.map(normalise));
  const added = pems.filter((pem) => !known.has(normalise(pem)));
  if (added.length > 0) setDefaultCACertificates([...current, ...added]);
  return subjects;
}

/** The CA a command should trust: its `--ca` option, else OPENVIBER_CA_FILE, else none. */
export function trustCaFor(options: { ca?: unknown }, env: NodeJS.ProcessEnv = process.env): void {
  if (typeof options.ca === 'string') trustExtraCa(options.ca, '--ca');
  else if (env[CA_FILE_ENV]) trustExtraCa(env[CA_FILE_ENV], CA_FILE_ENV);
}

/** PEM text compared without its line breaks, so a re-wrapped copy counts as the same certificate. */
function normalise(pem: string): string {
  return pem.replace(/\s+/g, '');
}
