/**
 * `aetherius bench idle` (hidden): the binary with its command parser loaded and nothing else, waiting
 * for a signal. `bench agent` measures its resident memory as the runtime floor the agent's figure is
 * compared with. Kept apart from bench.ts so that measuring it does not load the benchmark's modules.
 */
export async function runBenchIdle(): Promise<number> {
  await new Promise<void>((resolve) => {
    const t = setInterval(() => undefined, 60_000);
    const done = () => {
      clearInterval(t);
      resolve();
    };
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
  });
  return 0;
}
