"""Time pySuStaIn's MixtureSustain on the shared mixture cohort now, on this machine (for bench/mixture.ts).

Usage: python3 bench/pysustain-mixture.py PYSUSTAIN_CHECKOUT SHARED_MIXTURE_DIR
Prints one JSON line: wall and CPU seconds of the fit (EM and MCMC for K = 1..N_S_max, as
run_sustain_algorithm runs them) and the EM maximum per K.

pySuStaIn is run unmodified (commit 708fa22, as the shared reference) with the settings of the shared
summary: the 400 patients' rows of l_yes/l_no, 10 start points, N_S_max 3, 1e4 MCMC, seed 11, no
parallel start points, no plots. Modules it imports but this run never uses (tqdm, matplotlib,
pathos) are stubbed when absent: tqdm passes its iterable through, pathos' serial pool is map.
"""
import csv
import json
import os
import shutil
import sys
import tempfile
import time
import types


def stub_missing():
    try:
        import tqdm.auto  # noqa: F401
    except ImportError:
        tq = types.ModuleType("tqdm")
        auto = types.ModuleType("tqdm.auto")
        auto.tqdm = lambda it=None, *a, **k: it
        tq.auto = auto
        tq.tqdm = auto.tqdm
        sys.modules["tqdm"] = tq
        sys.modules["tqdm.auto"] = auto
    try:
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        mpl = types.ModuleType("matplotlib")
        for name in ("pyplot", "colors"):
            m = types.ModuleType("matplotlib." + name)
            setattr(mpl, name, m)
            sys.modules["matplotlib." + name] = m
        sys.modules["matplotlib"] = mpl
    try:
        import pathos  # noqa: F401
    except ImportError:
        pathos = types.ModuleType("pathos")
        serial = types.ModuleType("pathos.serial")

        class SerialPool:
            def map(self, f, *its):
                return list(map(f, *its))

        serial.SerialPool = SerialPool
        pathos.serial = serial
        pathos.multiprocessing = types.ModuleType("pathos.multiprocessing")
        sys.modules["pathos"] = pathos
        sys.modules["pathos.serial"] = serial
        sys.modules["pathos.multiprocessing"] = pathos.multiprocessing


def read_rows(path, keep):
    with open(path) as fh:
        r = csv.reader(fh)
        header = next(r)
        rows = [row for row in r]
    return header[1:], [[float(v) for v in row[1:]] for row, k in zip(rows, keep) if k]


def main():
    checkout, shared = sys.argv[1], sys.argv[2]
    stub_missing()
    sys.path.insert(0, checkout)
    import numpy as np
    from pySuStaIn.MixtureSustain import MixtureSustain

    with open(os.path.join(shared, "truth.csv")) as fh:
        r = csv.reader(fh)
        header = next(r)
        g = header.index("group")
        keep = [row[g] == "patient" for row in r]
    names, yes = read_rows(os.path.join(shared, "l_yes.csv"), keep)
    _, no = read_rows(os.path.join(shared, "l_no.csv"), keep)
    with open(os.path.join(shared, "settings.json")) as fh:
        st = json.load(fh)
    out = tempfile.mkdtemp(prefix="ms-bench-pysustain-")
    # removed however the run ends (an interrupted bench left these folders in /tmp)
    try:
        sustain = MixtureSustain(np.array(yes), np.array(no), names, st["N_startpoints"], st["N_S_max"], int(st["N_iterations_MCMC"]), out, "mixture", False, seed=st["seed"])
        t0, c0 = time.perf_counter(), time.process_time()
        # what run_sustain_algorithm does per K for the fit (EM with splitting, then MCMC with its tuning),
        # without its per-subject staging (whose numpy-1 idiom fails on numpy 2; ms-subtype's fit does no
        # staging either) and pickles
        data = sustain._AbstractSustain__sustainData
        prev_seq, prev_f, em = [], [], {}
        for s in range(st["N_S_max"]):
            seq, f, ll = sustain._estimate_ml_sustain_model_nplus1_clusters(data, prev_seq, prev_f)[:3]
            sustain._estimate_uncertainty_sustain_model(data, seq, f)
            prev_seq, prev_f = seq, f
            em[str(s + 1)] = float(np.asarray(ll).ravel()[0])
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(json.dumps({"wall": wall, "cpu": cpu, "em": em}))


if __name__ == "__main__":
    main()
