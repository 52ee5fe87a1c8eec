/**
 * The real `kubectl` against a kubeconfig, with its own discovery cache and without the caller's
 * KUBECONFIG, bounded in time. Rejects with kubectl's stderr.
 */
import { execFile } from 'node:child_process';

export function kubectl(kubeconfig: string, cacheDir: string, args: string[], binary = 'kubectl'): Promise<string> {
  const { KUBECONFIG: _k, ...env } = process.env;
  return new Promise((resolve, reject) => {
    execFile(binary, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, '--request-timeout=10s', ...args], { env, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}
