import cliProgress from 'cli-progress';

/** Progress on stderr: a bar when stderr is a terminal and not --quiet, otherwise nothing at all. */
export interface Progress {
  /** Whether anything is drawn (work may be cut finer only for a bar someone sees). */
  readonly active: boolean;
  /** Advance by `n` units (default 1); `info` replaces the free-text part (phase, best log-likelihood...). */
  tick(n?: number, info?: string): void;
  setTotal(total: number): void;
  /** Follow a running count reported by the work itself (done so far of a total that may grow). */
  set(done: number, total: number, info?: string): void;
  info(text: string): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  quiet?: boolean;
  /** Force on/off regardless of TTY (tests). */
  enabled?: boolean;
}

const silent: Progress = { active: false, tick() {}, setTotal() {}, set() {}, info() {}, stop() {} };

export function createProgress(opts: ProgressOptions): Progress {
  const on = opts.enabled ?? (!opts.quiet && process.stderr.isTTY === true);
  if (!on) return silent;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${opts.label} |{bar}| {value}/{total} {rate}/s, {eta_formatted} left {info}`,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const start = Date.now();
  let value = 0;
  let infoText = '';
  bar.start(opts.total, 0, { rate: '0', info: '' });
  const payload = () => ({ rate: (value / Math.max((Date.now() - start) / 1000, 1e-3)).toFixed(1), info: infoText });
  return {
    active: true,
    tick(n = 1, info?: string) {
      value += n;
      if (info !== undefined) infoText = info;
      bar.update(value, payload());
    },
    setTotal(total: number) {
      bar.setTotal(total);
    },
    set(done: number, total: number, info?: string) {
      bar.setTotal(total);
      value = done;
      if (info !== undefined) infoText = info;
      bar.update(value, payload());
    },
    info(text: string) {
      infoText = text;
      bar.update(value, payload());
    },
    stop() {
      bar.stop();
    },
  };
}
