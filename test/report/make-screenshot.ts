/**
 * Writes a report of the realistic synthetic fixture and screenshots it into docs/img/report.png:
 *   npx tsx test/report/make-screenshot.ts [outDir]
 * (The lead regenerates the screenshot on the demo data later.)
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildReport } from '../../src/report/index.js';
import { writeAtomic } from '../../src/io/atomic.js';
import { makeInputs, REALISTIC } from './fixtures.js';
import { projectRoot } from '../helpers/cli.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.js';

const out = process.argv[2] ?? join(projectRoot, 'test-results', 'report-screenshot');
const inputs = makeInputs(REALISTIC);
inputs.options = { cvPositionalVariance: process.argv.includes('--cv-pv') };
const { html, figures } = await buildReport(inputs);
for (const [name, svg] of Object.entries(figures)) writeAtomic(join(out, 'figures', name), svg);
writeAtomic(join(out, 'report.html'), html);
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
const page = await browser.newPage({ viewport: { width: 1280, height: 1180 } });
await page.goto('file://' + join(out, 'report.html'));
mkdirSync(join(projectRoot, 'docs', 'img'), { recursive: true });
const full = process.argv.includes('--full');
await page.screenshot({ path: join(projectRoot, 'docs', 'img', full ? 'report-full.png' : 'report.png'), fullPage: full });
await browser.close();
console.log(join(out, 'report.html'));
