import { UserError } from '../common/errors.js';

/**
 * Shards: subject at cohort position p (0-based) belongs to shard (p mod n) + 1. Round robin
 * rather than blocks, so a manifest sorted by site or scanner spreads evenly over the array job.
 */
export interface Shard {
  /** 1-based */
  index: number;
  count: number;
}

export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  if (text === 'auto') return shardFromSlurm(env);
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new UserError(`--shard takes i/n (e.g. 3/10, 1-based) or "auto", got "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new UserError(`--shard ${text}: i must be from 1 to n`);
  return { index, count };
}

/**
 * SLURM array jobs: SLURM_ARRAY_TASK_ID, _COUNT, and _MIN (the first id: arrays may start at 0 or
 * 1 or anywhere) and _STEP (--array=0-30:3). Without _MIN the start is unknowable, so refuse.
 */
export function shardFromSlurm(env: NodeJS.ProcessEnv): Shard {
  const id = env.SLURM_ARRAY_TASK_ID;
  const count = env.SLURM_ARRAY_TASK_COUNT;
  if (id === undefined || count === undefined) {
    throw new UserError('--shard auto needs SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (run inside a SLURM array job, or give --shard i/n)');
  }
  const min = env.SLURM_ARRAY_TASK_MIN;
  if (min === undefined) {
    throw new UserError('--shard auto: SLURM_ARRAY_TASK_MIN is not set, so it is unknown whether task ids start at 0 or 1; give --shard i/n');
  }
  const step = env.SLURM_ARRAY_TASK_STEP === undefined ? 1 : Number(env.SLURM_ARRAY_TASK_STEP);
  const [i, n, lo] = [Number(id), Number(count), Number(min)];
  if (![i, n, lo, step].every(Number.isInteger) || n < 1 || step < 1) {
    throw new UserError(`--shard auto: SLURM variables are not integers (ID=${id}, COUNT=${count}, MIN=${min}, STEP=${env.SLURM_ARRAY_TASK_STEP ?? ''})`);
  }
  if ((i - lo) % step !== 0) throw new UserError(`--shard auto: task id ${i} is not on the array's step ${step} from ${lo}`);
  const index = (i - lo) / step + 1;
  if (index < 1 || index > n) throw new UserError(`--shard auto: task id ${i} is outside the array (min ${lo}, step ${step}, count ${n})`);
  return { index, count: n };
}

export function inShard(position: number, shard: Shard | undefined): boolean {
  return shard === undefined || position % shard.count === shard.index - 1;
}
