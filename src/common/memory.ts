/**
 * How much memory this process may still take, for the commands that refuse work too big for the
 * machine (normalise, fit, cv, assign) before it starts. One answer for all of them: on Node 20
 * `process.availableMemory` does not exist, and reading it alone made every check think memory
 * was unlimited.
 */
import { freemem } from 'node:os';

/**
 * The machine's available memory (MemAvailable on Linux), or what is left of a container's limit
 * if that is less. MS_SUBTYPE_TEST_FREE_MEMORY (bytes) stands in for it in tests of the too-big
 * errors; nothing else reads it.
 */
export function spareMemory(): number {
  const test = Number(process.env['MS_SUBTYPE_TEST_FREE_MEMORY']);
  if (test > 0) return test;
  const p = process as NodeJS.Process & { availableMemory?: () => number; constrainedMemory?: () => number | undefined };
  if (typeof p.availableMemory === 'function') return p.availableMemory();
  const limit = p.constrainedMemory?.() ?? 0;
  const free = freemem();
  return limit > 0 && limit < 2 ** 52 ? Math.min(free, Math.max(0, limit - process.memoryUsage.rss())) : free;
}

/** Bytes as GB in the too-big messages: two decimals below 1 GB, one above. */
export function gb(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(bytes < 1024 ** 3 ? 2 : 1);
}
