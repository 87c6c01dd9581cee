import { afterEach, beforeEach } from 'vitest';
import { type OpenViberHome, resolveHome } from '../../../src/core/home.ts';
import { makeTempDir, removeTempDir } from '../temp-dirs.ts';

/** A fresh OpenViber home in a temp folder, removed with the other temp folders of the test. */
export function tempHome(label = 'home'): OpenViberHome {
  return resolveHome({ OPENVIBER_HOME: makeTempDir(label) });
}

export interface TempHomeOfTest {
  /** The current test's home: a new one for each test. */
  readonly home: OpenViberHome;
}

/** A new OpenViber home before each test of the calling file, removed after it. */
export function useTempHome(label = 'home'): TempHomeOfTest {
  let home: OpenViberHome | undefined;
  beforeEach(() => {
    home = tempHome(label);
  });
  afterEach(() => {
    if (home) removeTempDir(home.root);
    home = undefined;
  });
  return {
    get home() {
      if (!home) throw new Error('the temp home exists only while a test runs');
      return home;
    },
  };
}
