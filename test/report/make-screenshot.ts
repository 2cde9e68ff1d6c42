/**
 * Screenshot of the report for docs/img/report.png.
 *   npx tsx test/report/make-screenshot.ts                      synthetic cohort (tests' REALISTIC fixture)
 *   npx tsx test/report/make-screenshot.ts out/report/report.html   an existing report (e.g. the demo's)
 * Flags: --full (a full-page screenshot next to the report instead of docs/img/report.png),
 *        --cv-pv (synthetic report with the cross-validated diagrams).
 */
import { dirname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { buildReport } from '../../src/report/index.js';
import { writeAtomic } from '../../src/io/atomic.js';
import { makeInputs, REALISTIC } from './fixtures.js';
import { projectRoot } from '../helpers/cli.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.js';

const args = process.argv.slice(2);
const full = args.includes('--full');
let html = args.find((a) => a.endsWith('.html'));
if (html === undefined) {
  const out = join(projectRoot, 'test-results', 'report-screenshot');
  const inputs = makeInputs(REALISTIC);
  inputs.options = { cvPositionalVariance: args.includes('--cv-pv') };
  const r = await buildReport(inputs);
  for (const [name, svg] of Object.entries(r.figures)) writeAtomic(join(out, 'figures', name), svg);
  html = join(out, 'report.html');
  writeAtomic(html, r.html);
}
html = resolve(html);
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
const page = await browser.newPage({ viewport: { width: 1280, height: 1180 } });
await page.goto('file://' + html);
await page.waitForSelector('#subject-table tbody tr');
const shot = full ? join(dirname(html), 'report-full.png') : join(projectRoot, 'docs', 'img', 'report.png');
await page.screenshot({ path: shot, fullPage: full });
await browser.close();
console.log(shot);
