// scratch: screenshot each section of a report for design review
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.js';
const file = process.argv[2]!;
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.on('console', (m) => console.log('console', m.type(), m.text()));
await page.goto('file://' + file);
for (const id of ['overview', 'progression', 'sizes', 'confidence', 'cv', 'kmeans', 'cohort', 'subjects']) {
  const l = page.locator('#' + id);
  if ((await l.count()) > 0) await l.screenshot({ path: `/tmp/shots/${id}.png` });
}
await page.screenshot({ path: '/tmp/shots/top.png' });
await browser.close();
