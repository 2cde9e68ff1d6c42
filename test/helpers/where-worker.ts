// A worker for the pool test: the square of x and whether it ran on the main thread.
import { isMainThread } from 'node:worker_threads';

export default function where(x: number): [number, boolean] {
  return [x * x, isMainThread];
}
