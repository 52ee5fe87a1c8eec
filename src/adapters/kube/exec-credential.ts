/**
 * `exec` credential plugins (client.authentication.k8s.io v1 / v1beta1), the way kubectl runs
 * `aws eks get-token` or `gke-gcloud-auth-plugin`: the command runs with execFile — never a shell —
 * with the kubeconfig's args and env, `KUBERNETES_EXEC_INFO` describing the request, and no stdin.
 * Its ExecCredential is cached until `expirationTimestamp` (or until `invalidate`, after a 401).
 */
import { execFile } from 'node:child_process';
import { ConfigError, UnavailableError } from '../../contracts/errors.js';

export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;
export type ExecApiVersion = (typeof EXEC_API_VERSIONS)[number];

/** Longest a plugin may run. kubectl has no limit; a hung plugin must not hang the agent forever. */
export const EXEC_TIMEOUT_MS = 60_000;
const EXEC_MAX_OUTPUT_BYTES = 1024 * 1024;
/** Renew this long before the credential expires, so a request is not sent with a token about to lapse. */
const EXPIRY_SKEW_MS = 10_000;

export interface ExecConfig {
  apiVersion: ExecApiVersion;
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  installHint?: string;
  provideClusterInfo: boolean;
}

export interface ExecCredential {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  /** Epoch ms; undefined = valid until the server says otherwise. */
  expiresAt?: number;
}

export interface ExecCredentialProviderOptions {
  exec: ExecConfig;
  /** Where the plugin came from, for messages: `kubeconfig /x/config: user "u"`. */
  origin: string;
  /** The environment the plugin inherits (PATH, HOME, cloud credentials…). */
  env: Readonly<Record<string, string | undefined>>;
  /** Sent in KUBERNETES_EXEC_INFO when the kubeconfig asks for provideClusterInfo. */
  cluster?: { server: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean; 'tls-server-name'?: string };
  timeoutMs?: number;
  now?: () => number;
}

export class ExecCredentialProvider {
  readonly #options: ExecCredentialProviderOptions;
  readonly #now: () => number;
  #cached: ExecCredential | undefined;
  #inflight: Promise<ExecCredential> | undefined;
  /** Plugin runs so far (tests and metrics). */
  runs = 0;

  constructor(options: ExecCredentialProviderOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The current credential, running the plugin when none is cached or it expired. Concurrent callers
   * share one run.
   * @throws ConfigError when the command does not exist or prints something that is not an ExecCredential.
   * @throws UnavailableError when the plugin fails (non-zero exit, timeout).
   */
  async get(): Promise<ExecCredential> {
    const cached = this.#cached;
    if (cached && (cached.expiresAt === undefined || cached.expiresAt - EXPIRY_SKEW_MS > this.#now())) return cached;
    this.#inflight ??= this.#run().finally(() => {
      this.#inflight = undefined;
    });
    const credential = await this.#inflight;
    this.#cached = credential;
    return credential;
  }

  /** Forgets the cached credential (the server answered 401), so the next `get` runs the plugin. */
  invalidate(): void {
    this.#cached = undefined;
  }

  async #run(): Promise<ExecCredential> {
    const { exec, origin } = this.#options;
    const info = {
      apiVersion: exec.apiVersion,
      kind: 'ExecCredential',
      spec: { interactive: false, ...(exec.provideClusterInfo && this.#options.cluster ? { cluster: this.#options.cluster } : {}) },
    };
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.#options.env)) if (v !== undefined) env[k] = v;
    for (const e of exec.env) env[e.name] = e.value;
    env['KUBERNETES_EXEC_INFO'] = JSON.stringify(info);
    this.runs += 1;
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        exec.command,
        exec.args,
        { env, timeout: this.#options.timeoutMs ?? EXEC_TIMEOUT_MS, maxBuffer: EXEC_MAX_OUTPUT_BYTES, windowsHide: true, encoding: 'utf8' },
        (err, out, errOut) => {
          if (!err) return resolve(out);
          const code = (err as { code?: unknown }).code;
          if (code === 'ENOENT') {
            const hint = exec.installHint ? `\n${exec.installHint.trim()}` : '';
            return reject(new ConfigError(`${origin}: exec plugin ${JSON.stringify(exec.command)} was not found${hint}`, [{ path: 'exec.command', message: 'command not found' }], { cause: err }));
          }
          const why = (err as { killed?: boolean }).killed ? `did not finish within ${this.#options.timeoutMs ?? EXEC_TIMEOUT_MS} ms` : `failed (${typeof code === 'number' ? `exit code ${code}` : err.message})`;
          const detail = errOut.trim().slice(0, 1000);
          reject(new UnavailableError(`${origin}: exec plugin ${JSON.stringify(exec.command)} ${why}${detail ? `: ${detail}` : ''}`, { cause: err }));
        },
      );
      // Never interactive: a plugin asking for input gets end-of-file at once.
      child.stdin?.end();
    });
    return parseExecCredential(stdout, exec.apiVersion, origin, this.#now());
  }
}

/**
 * Reads a plugin's output.
 * @throws ConfigError naming the field that is missing or wrong.
 */
export function parseExecCredential(stdout: string, apiVersion: ExecApiVersion, origin: string, now: number): ExecCredential {
  const fail = (path: string, message: string) => new ConfigError(`${origin}: exec plugin output: ${path} ${message}`, [{ path, message }]);
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw fail('(output)', `is not JSON: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw fail('(output)', 'must be an ExecCredential object');
  const o = doc as Record<string, unknown>;
  if (o['kind'] !== 'ExecCredential') throw fail('kind', `must be "ExecCredential", got ${JSON.stringify(o['kind'])}`);
  if (o['apiVersion'] !== apiVersion) throw fail('apiVersion', `must be ${JSON.stringify(apiVersion)} (what the kubeconfig asked for), got ${JSON.stringify(o['apiVersion'])}`);
  const status = o['status'];
  if (typeof status !== 'object' || status === null || Array.isArray(status)) throw fail('status', 'is required');
  const s = status as Record<string, unknown>;
  const str = (key: string): string | undefined => {
    const v = s[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw fail(`status.${key}`, 'must be a string');
    return v;
  };
  const token = str('token');
  const clientCertificateData = str('clientCertificateData');
  const clientKeyData = str('clientKeyData');
  const expiration = str('expirationTimestamp');
  if (!token && !clientCertificateData) throw fail('status', 'must hold a token or clientCertificateData and clientKeyData');
  if (Boolean(clientCertificateData) !== Boolean(clientKeyData)) throw fail('status', 'clientCertificateData and clientKeyData must be given together');
  let expiresAt: number | undefined;
  if (expiration !== undefined) {
    expiresAt = Date.parse(expiration);
    if (Number.isNaN(expiresAt)) throw fail('status.expirationTimestamp', `must be an RFC 3339 time, got ${JSON.stringify(expiration)}`);
    if (expiresAt <= now) throw fail('status.expirationTimestamp', `is already past (${expiration})`);
  }
  return {
    ...(token ? { token } : {}),
    ...(clientCertificateData ? { clientCertificateData, clientKeyData } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}
