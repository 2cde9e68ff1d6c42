// A trivial worker used by the pool test.
export default function square(x: number): number {
  return x * x;
}
