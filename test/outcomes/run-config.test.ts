import { describe, expect, it } from 'vitest';
import { parseConfig, resolvePaths } from '../../src/pipeline/config.js';
import { outcomesSettings } from '../../src/pipeline/steps-outcomes.js';
import { errorOf } from '../helpers/errors.js';

describe('the outcomes section of the run config', () => {
  it('is off by default, reads as the flags of `outcomes`, and resolves the clinical table against the config folder', () => {
    expect(parseConfig({}, 'c.json').outcomes.clinical).toBeNull();
    const cfg = resolvePaths(
      parseConfig({ outcomes: { clinical: 'clinical.csv', survival: ['t:e'], counts: ['n:years'], covariates: ['age'], treatment: 'arm', draws: 5 }, seed: 9 }, 'c.json'),
      '/data/study',
    );
    expect(cfg.outcomes.clinical).toBe('/data/study/clinical.csv');
    expect(outcomesSettings(cfg)).toEqual({
      survival: [{ time: 't', event: 'e' }],
      counts: [{ count: 'n', exposure: 'years' }],
      scores: [],
      covariates: ['age'],
      treatment: 'arm',
      treatmentReference: null,
      referenceSubtype: 0,
      draws: 5,
      seed: 9,
    });
  });

  it('names the key of a malformed setting', () => {
    expect(errorOf(() => parseConfig({ outcomes: { survival: ['cdp_years'] } }, 'c.json')).message).toMatch(/^c\.json, field outcomes\.survival\.0: expected "TIME:EVENT"/);
    expect(errorOf(() => parseConfig({ outcomes: { clinical: 'x.csv', draw: 3 } }, 'c.json')).message).toMatch(/field outcomes\.draw: unknown setting/);
  });
});
