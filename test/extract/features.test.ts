import { describe, it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { parseFeatures, loadFeatures, defaultFeaturesFile } from '../../src/extract/features.js';
import { UserError } from '../../src/common/errors.js';
import { tempDir, writeText, cleanup } from './fixtures.js';

afterAll(cleanup);

const errOf = (text: string): UserError => {
  try {
    parseFeatures(text, 'defs.json');
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected a UserError');
};

describe('feature definitions', () => {
  it('loads the bundled defaults with the fields normalise needs', () => {
    const fs = loadFeatures(defaultFeaturesFile());
    const by = new Map(fs.features.map((f) => [f.name, f]));
    expect([...by.keys()]).toEqual(['deep_grey_matter', 'cortical_grey_matter', 'cerebellum', 'brainstem', 'cerebral_white_matter', 'lateral_ventricles', 'lesion_load', 'icv']);
    expect(by.get('cortical_grey_matter')!.labels).toEqual([3, 42]);
    expect(by.get('lateral_ventricles')!.abnormal).toBe('increase');
    expect(by.get('lesion_load')).toMatchObject({ measure: 'lesion', abnormal: 'increase', transform: 'log', labels: [77, 78, 79] });
    expect(by.get('icv')).toMatchObject({ measure: 'icv', role: 'covariate', labels: 'nonzero', useEtiv: true });
    expect(by.get('brainstem')).toMatchObject({ abnormal: 'decrease', transform: 'none', role: 'biomarker' });
    expect(fs.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps the file order, fills defaults and lists the maps used', () => {
    const fs = parseFeatures(
      JSON.stringify({
        features: { z_last: { measure: 'volume', labels: [2], abnormal: 'decrease' }, a_nawm: { measure: 'mean', map: 't1t2', labels: [2, 41], excludeLesion: true, abnormal: 'decrease' } },
      }),
      'x.json',
    );
    expect(fs.features.map((f) => f.name)).toEqual(['z_last', 'a_nawm']);
    expect(fs.features[1]).toMatchObject({ excludeLesion: true, transform: 'none', role: 'biomarker', map: 't1t2' });
    expect(fs.maps).toEqual(['t1t2']);
  });

  it.each([
    [{ features: { gm: { measure: 'volume', labels: [3], abnormal: 'down' } } }, 'features.gm.abnormal'],
    [{ features: { gm: { measure: 'volume', abnormal: 'decrease' } } }, 'features.gm.labels'],
    [{ features: { gm: { measure: 'volume', labels: [3.5], abnormal: 'decrease' } } }, 'features.gm.labels'],
    [{ features: { gm: { measure: 'area', labels: [3], abnormal: 'decrease' } } }, 'features.gm.measure'],
    [{ features: { nawm: { measure: 'mean', labels: [2], abnormal: 'decrease' } } }, 'features.nawm.map'],
    [{ features: { gm: { measure: 'volume', labels: [3], map: 't1', abnormal: 'decrease' } } }, 'features.gm.map'],
    [{ features: { gm: { measure: 'volume', labels: [3] } } }, 'features.gm.abnormal'],
    [{ features: { gm: { measure: 'volume', labels: [3], abnormal: 'decrease', transform: 'sqrt' } } }, 'features.gm.transform'],
    [{ features: { gm: { measure: 'volume', labels: [3], abnormal: 'decrease', colour: 'red' } } }, 'features.gm'],
    [{ features: { '1gm': { measure: 'volume', labels: [3], abnormal: 'decrease' } } }, 'features.1gm'],
    [{ features: {} }, 'features'],
    [{ feature: {} }, 'features'],
    [[1, 2], '(top level)'],
  ])('refuses %j naming the key', (defs, key) => {
    const e = errOf(JSON.stringify(defs));
    expect(e.place.field).toBe(key);
    expect(e.message).toContain('defs.json');
    expect(e.message).toContain(`field ${key}`);
  });

  it('refuses broken JSON and a missing file with the file named', () => {
    expect(errOf('{"features": ').message).toMatch(/defs\.json: not valid JSON/);
    const d = tempDir();
    expect(() => loadFeatures(join(d, 'none.json'))).toThrow(/none\.json: feature definition file not found/);
    writeText(join(d, 'ok.json'), JSON.stringify({ features: { icv: { measure: 'icv', role: 'covariate' } } }));
    expect(loadFeatures(join(d, 'ok.json')).features[0]).toMatchObject({ labels: 'nonzero', abnormal: 'decrease', useEtiv: true });
  });
});
