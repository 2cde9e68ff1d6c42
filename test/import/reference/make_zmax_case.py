"""Reference numbers for pySuStaIn's threshold conventions (test/import/thresholds.test.ts).

Usage: python3 make_zmax_case.py PYSUSTAIN_DIR OUT.json DATA.csv
  (from this folder: ... zmax-case.json ../../../../shared/sustain/small/data.csv)
  PYSUSTAIN_DIR: a checkout of pySuStaIn (commit 708fa22), the folder that holds pySuStaIn/.
Needs numpy and scipy only: tqdm, matplotlib and pathos (progress bars, plots, parallel start points)
are replaced by empty stand-ins, as nothing here uses them.

The case is the one pySuStaIn's own ZscoreSustain.test_sustain uses: thresholds 1,2,3 for every
biomarker except a zero (unused) third threshold for biomarker 0, and Z_max 2 for biomarker 2 (below
its top threshold 3). On the small cohort's data (../shared/sustain/small/data.csv), for fixed random
sequences, it records ZscoreSustain._calculate_likelihood's total and per-subject log-likelihood.
"""
import csv
import json
import sys
import types

import numpy as np

for name in ['tqdm', 'tqdm.auto', 'matplotlib', 'matplotlib.pyplot', 'matplotlib.colors', 'pathos']:
    m = types.ModuleType(name)
    m.tqdm = lambda *a, **k: None
    m.pyplot = m
    m.serial = types.SimpleNamespace(SerialPool=lambda: None)
    sys.modules[name] = m
sys.path.insert(0, sys.argv[1])
import importlib.util

def load(name):
    spec = importlib.util.spec_from_file_location('pySuStaIn.' + name, f'{sys.argv[1]}/pySuStaIn/{name}.py')
    mod = importlib.util.module_from_spec(spec)
    sys.modules['pySuStaIn.' + name] = mod
    spec.loader.exec_module(mod)
    return mod

sys.modules['pySuStaIn'] = types.ModuleType('pySuStaIn')
load('AbstractSustain')
Z = load('ZscoreSustain')

rows = list(csv.reader(open(sys.argv[3])))
names = rows[0][1:]
data = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
B = data.shape[1]
Z_vals = np.tile(np.arange(1, 4), (B, 1)).astype(float)
Z_vals[0, 2] = 0
Z_max = np.full((B,), 5.0)
Z_max[2] = 2.0
model = Z.ZscoreSustain(data, Z_vals, Z_max, names, 1, 2, 10, '/tmp', 'ref', False, seed=3)
rng = np.random.default_rng(3)
N = int(np.sum(Z_vals > 0))
cases = []
for K in (1, 2):
    for rep in range(2):
        S = np.vstack([model._initialise_sequence(model._ZscoreSustain__sustainData, rng) for _ in range(K)])
        f = rng.dirichlet(np.ones(K))
        loglik, total_prob_subj, _, _, _ = model._calculate_likelihood(model._ZscoreSustain__sustainData, S, f)
        cases.append({
            'sequences': S.astype(int).tolist(),  # pySuStaIn's event numbering
            'fractions': f.tolist(),
            'loglik': float(loglik),
            'per_subject_loglik': np.log(total_prob_subj + 1e-250).tolist(),
        })
json.dump({'biomarkers': names, 'Z_vals': Z_vals.tolist(), 'Z_max': Z_max.tolist(), 'stage_zscore': model.stage_zscore.tolist(),
           'stage_biomarker_index': model.stage_biomarker_index.tolist(), 'cases': cases}, open(sys.argv[2], 'w'), indent=1)
