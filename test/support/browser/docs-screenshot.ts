import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../processes.ts';
import { screenshot } from './browser.ts';

/** The pictures the docs show: taken by the browser test that checks what they show, so they stay true. */
export const DOCS_SCREENSHOT_DIR = join(REPO_ROOT, 'docs', 'screenshots');

/** A screenshot under test-output/screenshots, copied to docs/screenshots/<name>.png; returns the first. */
export async function screenshotForDocs(page: Page, name: string): Promise<string> {
  const path = await screenshot(page, name);
  mkdirSync(DOCS_SCREENSHOT_DIR, { recursive: true });
  copyFileSync(path, join(DOCS_SCREENSHOT_DIR, `${name}.png`));
  return path;
}
