/**
 * The built-in deny list: shell commands no autonomy mode may run. A safety net against the
 * classic catastrophes, not a sandbox: it reads each simple command of a command line (and the
 * text inside quotes, which `sh -c '...'` would run) after dropping wrappers such as sudo or env.
 */

const WRAPPERS = new Set([
  'sudo',
  'doas',
  'env',
  'nohup',
  'nice',
  'ionice',
  'time',
  'exec',
  'command',
  'builtin',
]);
const BLOCK_DEVICE = /^\/dev\/(sd|hd|vd|xvd|nvme|mmcblk|disk|rdisk|md|dm-|loop|sr)/;
const SYSTEM_DIRS = new Set(
  [
    'bin',
    'boot',
    'dev',
    'etc',
    'home',
    'lib',
    'lib32',
    'lib64',
    'opt',
    'proc',
    'root',
    'sbin',
    'srv',
    'sys',
    'usr',
    'var',
  ]
    .concat(['Users', 'System', 'Applications', 'Library', 'Volumes'])
    .flatMap((name) => [`/${name}`, `/${name}/`, `/${name}/*`]),
);
/** The ways a command line names the home folder. */
const HOME_FORMS = ['~', '$HOME', `\${HOME}`];
const ROOT_OR_HOME = new Set([
  '/',
  '/*',
  '/.',
  '/..',
  ...HOME_FORMS.flatMap((home) => [home, `${home}/`, `${home}/*`]),
  ...SYSTEM_DIRS,
]);
const POWER = new Set(['shutdown', 'reboot', 'halt', 'poweroff']);

/** The simple commands of a command line: split at ; & | && || newlines and $( ), plus quoted text. */
export function simpleCommands(command: string): string[] {
  const quoted = [...command.matchAll(/'([^']*)'|"([^"]*)"/g)].map((match) => match[1] ?? match[2] ?? '');
  return [command, ...quoted]
    .flatMap((text) => text.split(/&&|\|\||[;&|\n`()]|\$\(/))
    .map((segment) => segment.trim().replace(/\s+/g, ' '))
    .filter((segment) => segment.length > 0);
}

/** The words of a simple command with quotes and wrappers (sudo, env A=b, nohup, ...) removed. */
export function commandWords(segment: string): string[] {
  const words = segment.replace(/["']/g, '').split(' ').filter(Boolean);
  while (words.length > 0) {
    const first = words[0]!;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(first)) words.shift();
    else if (WRAPPERS.has(basename(first))) {
      words.shift();
      while (words[0]?.startsWith('-')) words.shift();
    } else if (basename(first) === 'timeout') {
      words.shift();
      while (words[0] && (words[0].startsWith('-') || /^\d/.test(words[0]))) words.shift();
    } else break;
  }
  return words;
}

/** Why the command is on the deny list, or undefined. */
export function deniedCommandReason(command: string): string | undefined {
  const compact = command.replace(/\s+/g, '');
  if (/(\w+|:)\(\)\{\1\|\1&\};?\1/.test(compact)) return 'a fork bomb';
  if (/>\s*\/dev\/(sd|hd|vd|xvd|nvme|mmcblk|disk|rdisk|md|dm-)/.test(command)) {
    return 'writing directly to a block device';
  }
  for (const segment of simpleCommands(command)) {
    const reason = deniedWords(commandWords(segment));
    if (reason) return reason;
  }
  return undefined;
}

function deniedWords(words: string[]): string | undefined {
  const name = basename(words[0] ?? '');
  const args = words.slice(1);
  if (name === 'rm' && isRecursive(args, 'rR') && args.some((arg) => ROOT_OR_HOME.has(arg))) {
    return 'recursive removal of the root, home or a system directory';
  }
  if (args.includes('--no-preserve-root')) return 'an operation on / with --no-preserve-root';
  if (/^mkfs(\..+)?$/.test(name) || name === 'mke2fs' || name === 'wipefs') return 'formatting a file system';
  if (name === 'dd' && args.some((arg) => arg.startsWith('of=') && BLOCK_DEVICE.test(arg.slice(3)))) {
    return 'dd onto a block device';
  }
  if (name === 'shred' && args.some((arg) => BLOCK_DEVICE.test(arg))) return 'shredding a block device';
  if (
    (name === 'chmod' || name === 'chown') &&
    isRecursive(args, 'R') &&
    args.some((arg) => ROOT_OR_HOME.has(arg))
  ) {
    return `recursive ${name} of the root, home or a system directory`;
  }
  if (POWER.has(name)) return `${name} of the machine`;
  if ((name === 'init' || name === 'telinit') && (args[0] === '0' || args[0] === '6'))
    return 'halting the machine';
  if (
    name === 'systemctl' &&
    args.some((arg) => /^(poweroff|reboot|halt|kexec|suspend|hibernate)$/.test(arg))
  ) {
    return 'powering off the machine';
  }
  return undefined;
}

function isRecursive(args: string[], letters: string): boolean {
  return args.some(
    (arg) =>
      arg === '--recursive' ||
      (/^-[A-Za-z]+$/.test(arg) && [...letters].some((letter) => arg.includes(letter))),
  );
}

function basename(word: string): string {
  const slash = word.lastIndexOf('/');
  return slash === -1 ? word : word.slice(slash + 1);
}

/** True when a command line chains, pipes, substitutes or redirects (an allow rule never covers those). */
export function hasShellControl(command: string): boolean {
  return /[;&|`<>\n]|\$\(/.test(command);
}
