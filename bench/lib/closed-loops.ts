/**
 * Runs `task` `count` times from `concurrency` closed loops (each starts its next task when the last
 * ended), as load generators and batch submitters do; resolves when all have ended.
 */
export async function inClosedLoops(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next;
        next += 1;
        await task(index);
      }
    }),
  );
}
