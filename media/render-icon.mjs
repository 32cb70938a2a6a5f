// Renders media/icon.svg to media/icon.png (128x128, transparent corners) with headless Chromium
// through playwright-core (never downloads a browser: uses /usr/bin/chromium or $E2E_CHROMIUM).
//   node media/render-icon.mjs
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';

const svg = readFileSync(new URL('./icon.svg', import.meta.url), 'utf8');
const browser = await chromium.launch({
  executablePath: process.env.E2E_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 }, deviceScaleFactor: 1 });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  const out = new URL('./icon.png', import.meta.url);
  await page.locator('svg').screenshot({ path: out.pathname, omitBackground: true });
  console.log(`wrote ${out.pathname}`);
} finally {
  await browser.close();
}
