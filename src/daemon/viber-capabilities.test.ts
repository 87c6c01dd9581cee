import { describe, expect, it } from 'vitest';
import { chromiumStatus } from '../agent/tools/browser/index.ts';
import { optionalCapabilities } from './viber-info.ts';

describe('the capabilities a viber reports', () => {
  it('reports browser only where a Chromium is usable', () => {
    expect(optionalCapabilities({ OPENVIBER_CHROMIUM: '/nonexistent/chromium' })).toEqual([]);
    const here = chromiumStatus(process.env).available ? ['browser'] : [];
    expect(optionalCapabilities(process.env)).toEqual(here);
  });
});
