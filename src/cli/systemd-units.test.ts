import { describe, expect, it } from 'vitest';
import { quoteWord, renderUnit, unitDir } from './systemd-units.ts';

describe('systemd units', () => {
  it('quotes words with spaces or quotes and doubles % (a specifier otherwise)', () => {
    expect(quoteWord('/usr/bin/node')).toBe('/usr/bin/node');
    expect(quoteWord('OPENVIBER_HOME=/home/a b/.openviber')).toBe('"OPENVIBER_HOME=/home/a b/.openviber"');
    expect(quoteWord('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteWord('/srv/100%')).toBe('/srv/100%%');
  });

  it('puts units in $XDG_CONFIG_HOME/systemd/user', () => {
    expect(unitDir({ XDG_CONFIG_HOME: '/tmp/xdg', HOME: '/home/a' })).toBe('/tmp/xdg/systemd/user');
  });

  it('renders a home with a space as one quoted Environment word', () => {
    const unit = renderUnit('daemon', {
      home: '/home/a b/.openviber',
      port: 6007,
      nodePath: '/n/node',
      path: '/bin',
    });
    expect(unit).toContain('Environment="OPENVIBER_HOME=/home/a b/.openviber"\n');
    expect(unit).toMatch(/^ExecStart=\/n\/node \S+\/bin\/viber\.js start$/m);
  });
});
