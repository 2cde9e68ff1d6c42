/**
 * The brain view in a real browser (Debian's chromium through playwright-core): the section is there
 * and linked, its pictures are drawn, and the colour chromium paints inside a region is the colour
 * of that region's probability in brain-view.csv.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { writeReport } from '../../src/report/index.js';
import { encodeNifti1 } from '../../src/nifti/write.js';
import { makeInputs, SMALL } from './fixtures.js';
import { writeFixtureFiles } from './files.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.js';
import { decodePng } from './png-decode.js';

let browser: Browser;
let page: Page;
let dir = '';
let csv: string[][] = [];
const problems: string[] = [];
const M = 20;
/** Slabs along x, 4 voxels wide: thalamus 10, lesion_load 77, cortex 3, cerebellum 8, white matter 2 (no feature). */
const SLABS = [10, 77, 3, 8, 2];
const FEATURE: Record<number, string> = { 10: 'thalamus', 77: 'lesion_load', 3: 'cortex', 8: 'cerebellum' };

beforeAll(async () => {
  const f = writeFixtureFiles(makeInputs(SMALL));
  dir = f.dir;
  writeFileSync(f.features, JSON.stringify({ features: Object.entries(FEATURE).map(([l, name]) => ({ name, measure: name === 'lesion_load' ? 'lesion' : 'volume', labels: [Number(l)] })) }));
  const map = new Int16Array(M * M * M).map((_, i) => SLABS[Math.floor((i % M) / 4)]!);
  const mapFile = join(f.dir, 'ref.nii.gz');
  writeFileSync(mapFile, encodeNifti1(map, { dims: [M, M, M], dtype: 'int16', voxelSize: [2, 2, 2] }, true));
  const out = join(f.dir, 'out');
  const { htmlPath } = await writeReport({ model: f.model, subjects: f.subjects, features: f.features, brain: mapFile, brainStages: [2, 5], out });
  csv = readFileSync(join(out, 'brain-view.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto('file://' + htmlPath);
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('brain view in a headless browser', () => {
  it('has a linked section whose id contains "brain", with one drawn figure per subtype', async () => {
    expect(problems).toEqual([]);
    const section = page.locator('section[id*="brain"]');
    expect(await section.count()).toBe(1);
    expect(await page.locator('nav a[href="#brain"]').count()).toBe(1);
    const figs = section.locator('figure.fig');
    expect(await figs.count()).toBe(2);
    for (let i = 0; i < 2; i++) {
      expect(await figs.nth(i).locator('svg image').count()).toBe(2 * 3);
      const box = await figs.nth(i).locator('svg image').first().boundingBox();
      expect(box!.width).toBeGreaterThan(30);
    }
    expect(await section.textContent()).toContain('stage 5');
  });

  it('paints each region in the colour of its probability at that stage', async () => {
    const colours = [
      [0xd6, 0x27, 0x28],
      [0xc5, 0x1b, 0xc5],
    ]; // z = 1, z = 2 (the report's defaults)
    let tinted = 0;
    for (const [fig, subtype] of [
      [0, 0],
      [1, 1],
    ] as const) {
      for (const stage of [2, 5]) {
        const img = page.locator('section[id*="brain"] figure.fig').nth(fig).locator(`svg image[data-view="axial"][data-stage="${stage}"]`);
        const [w, h, rgb] = decodePng(new Uint8Array(await img.screenshot()));
        SLABS.forEach((label, k) => {
          const feature = FEATURE[label];
          const px = Math.floor(((4 * k + 2) / M) * w);
          const py = Math.floor(h / 2);
          const got = [...rgb.subarray((py * w + px) * 3, (py * w + px) * 3 + 3)];
          let want = [0xd4, 0xd4, 0xd4];
          if (feature !== undefined) {
            const p = (z: string) => Number(csv.find((r) => r[1] === String(subtype) && r[2] === String(stage) && r[3] === feature && r[4] === z)![5]);
            const exact = [p('1') - p('2'), p('2')];
            want = [0, 1, 2].map((c) => Math.round(255 - exact[0]! * (255 - colours[0]![c]!) - exact[1]! * (255 - colours[1]![c]!)));
            if (want.some((v) => v < 240)) tinted++;
          }
          got.forEach((v, c) => expect(Math.abs(v - want[c]!), `${feature ?? 'white matter'} subtype ${subtype} stage ${stage}: ${got} vs ${want}`).toBeLessThanOrEqual(2));
        });
      }
    }
    // the check saw real tints, not only white (normal) regions
    expect(tinted).toBeGreaterThan(4);
  });
});
