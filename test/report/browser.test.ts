/**
 * The report in a real browser: Debian's chromium driven by playwright-core, the page opened from
 * file:// with the network unused. Checks what a reader does: figures show, the table filters, sorts,
 * pages and downloads.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { writeReport } from '../../src/report/index.js';
import { makeInputs, SMALL, type FixtureOptions } from './fixtures.js';
import { writeFixtureFiles } from './files.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.js';

const COHORT: FixtureOptions = { ...SMALL, maxSubtypes: 3, subjects: 150, samples: 60, biomarkers: [...SMALL.biomarkers, 'brainstem'] };

let browser: Browser;
let page: Page;
let figureCount = 0;
let csvPath = '';
const problems: string[] = [];
const requests: string[] = [];

beforeAll(async () => {
  const f = writeFixtureFiles(makeInputs(COHORT));
  csvPath = f.subjects;
  const out = join(f.dir, 'out');
  const { htmlPath, figurePaths } = await writeReport({
    model: f.model,
    subjects: f.subjects,
    cv: f.cv,
    kmeans: f.kmeans,
    normaliserReport: f.normaliser,
    features: f.features,
    errors: f.errors,
    out,
    options: { cvPositionalVariance: true },
  });
  figureCount = figurePaths.length;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto('file://' + htmlPath);
  await page.waitForSelector('#subject-table tbody tr');
});

afterAll(async () => {
  await browser?.close();
});

const rowCount = () => page.locator('#subject-table tbody tr').count();
const column = async (label: string) => {
  const headers = await page.locator('#subject-table thead th').allTextContents();
  const j = headers.indexOf(label);
  expect(j).toBeGreaterThanOrEqual(0);
  return page.locator(`#subject-table tbody tr td:nth-child(${j + 1})`).allTextContents();
};

describe('report in a headless browser', () => {
  it('loads with no console error and fetches nothing from the network', () => {
    expect(problems).toEqual([]);
    expect(requests.every((u) => u.startsWith('file://') || u.startsWith('data:') || u.startsWith('blob:'))).toBe(true);
  });

  it('shows every figure as a drawn SVG', async () => {
    const figs = page.locator('figure.fig');
    expect(await figs.count()).toBe(figureCount);
    for (let i = 0; i < figureCount; i++) {
      const box = await figs.nth(i).locator('.svg > svg').boundingBox();
      expect(box, `figure ${i}`).not.toBeNull();
      expect(box!.width).toBeGreaterThan(100);
      expect(box!.height).toBeGreaterThan(60);
      expect(await figs.nth(i).locator('svg path, svg rect, svg line').count()).toBeGreaterThan(3);
    }
  });

  it('pages the table and filters it as the reader types', async () => {
    expect(await rowCount()).toBe(100);
    await expect.poll(() => page.locator('#subject-count').textContent()).toBe('150 subjects');
    await page.locator('#page-next').click();
    expect(await rowCount()).toBe(50);
    await page.locator('#subject-search').fill('sub-001');
    expect(await rowCount()).toBe(10);
    expect(await page.locator('#subject-count').textContent()).toBe('10 of 150 subjects match');
    const ids = await column('Subject');
    expect(ids.every((s) => s.startsWith('sub-001'))).toBe(true);
    await page.locator('#subject-search').fill('no-such-subject');
    expect(await rowCount()).toBe(0);
    await page.locator('#subject-search').fill('');
    expect(await rowCount()).toBe(100);
  });

  it('filters by subtype and by stage 0', async () => {
    await page.locator('#subject-filter').selectOption('stage0');
    const stages = await column('Stage');
    expect(stages.length).toBeGreaterThan(0);
    expect(stages.every((s) => s === '0')).toBe(true);
    await page.locator('#subject-filter').selectOption('1');
    const subtypes = await column('Subtype');
    expect(subtypes.length).toBeGreaterThan(0);
    expect(subtypes.every((s) => s.startsWith('S2 '))).toBe(true);
    expect((await column('Stage')).every((s) => s !== '0')).toBe(true);
    await page.locator('#subject-filter').selectOption('all');
  });

  it('sorts by a column when its header is clicked, and reverses on a second click', async () => {
    const header = page.locator('#subject-table thead th', { hasText: /^Stage$/ });
    await header.click();
    expect(await header.getAttribute('aria-sort')).toBe('descending');
    const desc = (await column('Stage')).map(Number);
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    await header.click();
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
    const asc = (await column('Stage')).map(Number);
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    expect(asc[0]).toBe(0);
    const subj = page.locator('#subject-table thead th', { hasText: /^Subject$/ });
    await subj.click();
    const ids = await column('Subject');
    expect(ids[0]).toBe('sub-0001');
  });

  it('downloads the subject table as CSV from the embedded data', async () => {
    const [all] = await Promise.all([page.waitForEvent('download'), page.locator('#download-all').click()]);
    expect(all.suggestedFilename()).toBe('subjects.csv');
    expect(readFileSync((await all.path())!, 'utf8')).toBe(readFileSync(csvPath, 'utf8'));
    await page.locator('#subject-search').fill('sub-002');
    const [shown] = await Promise.all([page.waitForEvent('download'), page.locator('#download-shown').click()]);
    const lines = readFileSync((await shown.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(lines[0]).toMatch(/^subject_id,ml_subtype,/);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toHaveLength(10);
    expect(lines.slice(1).every((l) => l.startsWith('sub-002'))).toBe(true);
    expect(problems).toEqual([]);
  });
});
