/**
 * Where the Kubernetes API is and how to authenticate, resolved once at start as kubectl and client-go
 * do: an explicit kubeconfig, else the in-cluster ServiceAccount, else `KUBECONFIG` (a list merged
 * first-wins), else `~/.kube/config`. Credentials that change — projected ServiceAccount tokens, token
 * files, exec plugins — are read through `token()` / `clientCertificate()` so they are renewed in flight.
 */
import { readFile, stat } from 'node:fs/promises';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, UnavailableError, errorMessage, type ValidationIssue } from '../../contracts/errors.js';
import { EXEC_API_VERSIONS, ExecCredentialProvider, type ExecApiVersion, type ExecConfig } from './exec-credential.js';

export const DEFAULT_IN_CLUSTER_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Projected ServiceAccount tokens rotate (hourly by default); client-go re-reads the file every minute. */
export const TOKEN_FILE_REREAD_MS = 60_000;

/** The environment variables the connection depends on; pass the whole process environment (exec plugins inherit it). */
export interface KubeEnv {
  KUBECONFIG?: string;
  HOME?: string;
  KUBERNETES_SERVICE_HOST?: string;
  KUBERNETES_SERVICE_PORT?: string;
  readonly [name: string]: string | undefined;
}

export interface KubeConnectionOptions {
  /** Explicit kubeconfig path (config `kube.kubeconfig`). Wins over everything else. */
  kubeconfig?: string;
  /** Context name (config `kube.context`). Default: the kubeconfig's current-context. */
  context?: string;
  /** Default: empty, i.e. no KUBECONFIG, no HOME, not in a cluster. The cli passes process.env. */
  env?: KubeEnv;
  /** Default /var/run/secrets/kubernetes.io/serviceaccount; tests point it at a temp dir. */
  inClusterDir?: string;
  /** Clock for token re-reads and exec expiry, ms. Default Date.now. */
  now?: () => number;
}

export interface ClientCertificate {
  cert: Buffer;
  key: Buffer;
}

export interface KubeConnection {
  /** `https://10.96.0.1:443`, without a trailing slash. */
  server: string;
  source: 'in-cluster' | 'kubeconfig';
  /** The kubeconfig file(s), joined with the path delimiter when KUBECONFIG listed several. */
  path?: string;
  context?: string;
  /** The context's namespace, or the ServiceAccount's namespace in a cluster. */
  namespace?: string;
  ca?: Buffer;
  /** Static client certificate; exec plugins may supply one instead (see `clientCertificate`). */
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTlsVerify: boolean;
  basicAuth?: { username: string; password: string };
  tlsServerName?: string;
  /**
   * The current bearer token: re-read from its file at most every minute (in-cluster projected tokens
   * rotate), the exec plugin re-run when its credential expires.
   * @throws UnavailableError when a token file cannot be read and no earlier token is cached;
   *   ConfigError / UnavailableError from an exec plugin.
   */
  token(): Promise<string | undefined>;
  /**
   * The client certificate to present: the static one, or the exec plugin's current one.
   * @throws as `token()`.
   */
  clientCertificate(): Promise<ClientCertificate | undefined>;
  /**
   * Forgets cached credentials after the server answered 401. True when the next request may carry
   * different credentials (so retrying once makes sense).
   */
  invalidate(): boolean;
}

/**
 * Resolves the connection.
 * @throws ConfigError naming the file and the field: a missing or unreadable kubeconfig, an unknown
 *   context/cluster/user ("kubeconfig /x/config: context \"foo\" not found; known: a, b"), a bad server
 *   URL, unreadable certificate files, unsupported auth-provider plugins, or no configuration at all.
 */
export async function loadKubeConnection(options: KubeConnectionOptions = {}): Promise<KubeConnection> {
  const env = options.env ?? {};
  const now = options.now ?? Date.now;
  if (options.kubeconfig) {
    const path = resolve(options.kubeconfig);
    const file = await readKubeconfigFile(path, true);
    return fromKubeconfig(mergeKubeconfigs([file as KubeconfigFile]), options.context, env, now);
  }
  const inClusterDir = options.inClusterDir ?? DEFAULT_IN_CLUSTER_DIR;
  const tried: string[] = ['kube.kubeconfig is empty'];
  if (await exists(join(inClusterDir, 'token'))) {
    if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) return inCluster(inClusterDir, env.KUBERNETES_SERVICE_HOST, env.KUBERNETES_SERVICE_PORT, now);
    tried.push(`${join(inClusterDir, 'token')} exists but KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT are not set`);
  } else {
    tried.push(`not in a cluster (no ${join(inClusterDir, 'token')})`);
  }
  if (env.KUBECONFIG) {
    const paths = env.KUBECONFIG.split(delimiter).filter(Boolean).map((p) => resolve(p));
    // kubectl ignores listed files that do not exist; it fails only when none does.
    const files = (await Promise.all(paths.map((p) => readKubeconfigFile(p, false)))).filter((f): f is KubeconfigFile => f !== undefined);
    if (files.length) return fromKubeconfig(mergeKubeconfigs(files), options.context, env, now);
    tried.push(`none of the files in KUBECONFIG exists (${paths.join(', ')})`);
  } else {
    tried.push('KUBECONFIG is not set');
  }
  if (env.HOME) {
    const path = join(env.HOME, '.kube', 'config');
    const file = await readKubeconfigFile(path, false);
    if (file) return fromKubeconfig(mergeKubeconfigs([file]), options.context, env, now);
    tried.push(`${path} does not exist`);
  } else {
    tried.push('HOME is not set');
  }
  throw new ConfigError(`no Kubernetes configuration found: ${tried.join('; ')}. Set kube.kubeconfig or KUBECONFIG, or run the agent in a cluster with a ServiceAccount`, [
    { path: 'kube.kubeconfig', message: 'no kubeconfig and not running in a cluster' },
  ]);
}

// ---- in-cluster ----

async function inCluster(dir: string, host: string, port: string, now: () => number): Promise<KubeConnection> {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const server = `https://${h}:${port}`;
  checkServerUrl(server, `in-cluster: KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT`, 'KUBERNETES_SERVICE_HOST');
  // client-go goes on without the CA (system roots) when ca.crt is missing; so do we.
  const ca = await readFile(join(dir, 'ca.crt')).catch(() => undefined);
  const namespace = (await readFile(join(dir, 'namespace'), 'utf8').catch(() => '')).trim();
  const tokens = new FileTokenSource(join(dir, 'token'), now);
  return {
    server,
    source: 'in-cluster',
    ...(namespace ? { namespace } : {}),
    ...(ca ? { ca } : {}),
    insecureSkipTlsVerify: false,
    token: () => tokens.get(),
    clientCertificate: () => Promise.resolve(undefined),
    invalidate: () => tokens.invalidate(),
  };
}

/** A token kept in a file that may be rewritten (rotated) at any time. */
export class FileTokenSource {
  readonly #path: string;
  readonly #now: () => number;
  #token: string | undefined;
  #readAt = Number.NEGATIVE_INFINITY;

  constructor(path: string, now: () => number = Date.now) {
    this.#path = path;
    this.#now = now;
  }

  /**
   * The token, re-read when the last read is a minute old. A failed re-read keeps the previous token.
   * @throws UnavailableError when the file cannot be read (or is empty) and no token was read before.
   */
  async get(): Promise<string> {
    if (this.#token !== undefined && this.#now() - this.#readAt < TOKEN_FILE_REREAD_MS) return this.#token;
    try {
      const text = (await readFile(this.#path, 'utf8')).trim();
      if (!text) throw new Error('the file is empty');
      this.#token = text;
      this.#readAt = this.#now();
    } catch (err) {
      if (this.#token === undefined) throw new UnavailableError(`cannot read the token file ${this.#path}: ${errorMessage(err)}`, { cause: err });
      // Keep serving the old token (it may still be valid) and retry on the next request.
    }
    return this.#token;
  }

  invalidate(): boolean {
    this.#readAt = Number.NEGATIVE_INFINITY;
    return true;
  }
}

// ---- kubeconfig files ----

type Obj = Record<string, unknown>;

interface Entry {
  name: string;
  value: Obj;
  file: string;
  /** Position in the file's list, for messages. */
  field: string;
}

interface KubeconfigFile {
  path: string;
  clusters: Entry[];
  contexts: Entry[];
  users: Entry[];
  currentContext: string | undefined;
}

interface MergedKubeconfig {
  label: string;
  clusters: Map<string, Entry>;
  contexts: Map<string, Entry>;
  users: Map<string, Entry>;
  currentContext: string | undefined;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function configError(where: string, path: string, message: string, cause?: unknown): ConfigError {
  const issue: ValidationIssue = { path, message };
  return new ConfigError(`kubeconfig ${where}: ${path ? `${path} ` : ''}${message}`, [issue], cause === undefined ? undefined : { cause });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * @throws ConfigError when the file is required but missing, unreadable, or not a kubeconfig.
 */
async function readKubeconfigFile(path: string, required: boolean): Promise<KubeconfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!required && code === 'ENOENT') return undefined;
    throw configError(path, '', code === 'ENOENT' ? 'does not exist' : `cannot be read: ${errorMessage(err)}`, err);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw configError(path, '', `is not valid YAML: ${errorMessage(err)}`, err);
  }
  // An empty file is a valid, empty kubeconfig for kubectl.
  if (doc === null || doc === undefined) doc = {};
  if (!isObj(doc)) throw configError(path, '', 'must be a YAML mapping (a kubeconfig with clusters, contexts and users)');
  const current = doc['current-context'];
  if (current !== undefined && current !== null && typeof current !== 'string') throw configError(path, 'current-context', 'must be a string');
  return {
    path,
    clusters: entries(path, doc, 'clusters', 'cluster'),
    contexts: entries(path, doc, 'contexts', 'context'),
    users: entries(path, doc, 'users', 'user'),
    currentContext: current || undefined,
  };
}

function entries(path: string, doc: Obj, list: string, inner: string): Entry[] {
  const raw = doc[list];
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw configError(path, list, 'must be a list');
  return raw.map((item, i) => {
    if (!isObj(item)) throw configError(path, `${list}[${i}]`, 'must be a mapping with name and ' + inner);
    const name = item['name'];
    if (typeof name !== 'string' || !name) throw configError(path, `${list}[${i}].name`, 'must be a non-empty string');
    const value = item[inner] ?? {};
    if (!isObj(value)) throw configError(path, `${list}[${i}].${inner}`, 'must be a mapping');
    return { name, value, file: path, field: `${list}[name=${JSON.stringify(name)}].${inner}` };
  });
}

/** kubectl's merge: the first file that defines a name (or current-context) wins. */
function mergeKubeconfigs(files: KubeconfigFile[]): MergedKubeconfig {
  const merged: MergedKubeconfig = { label: files.map((f) => f.path).join(delimiter), clusters: new Map(), contexts: new Map(), users: new Map(), currentContext: undefined };
  for (const f of files) {
    for (const [list, target] of [
      [f.clusters, merged.clusters],
      [f.contexts, merged.contexts],
      [f.users, merged.users],
    ] as const) {
      for (const e of list) if (!target.has(e.name)) target.set(e.name, e);
    }
    merged.currentContext ??= f.currentContext;
  }
  return merged;
}

function known(map: Map<string, Entry>): string {
  return map.size ? [...map.keys()].sort().join(', ') : '(none)';
}

async function fromKubeconfig(cfg: MergedKubeconfig, explicitContext: string | undefined, env: KubeEnv, now: () => number): Promise<KubeConnection> {
  const contextName = explicitContext || cfg.currentContext;
  if (!contextName) throw configError(cfg.label, '', `has no current-context and no context was given (kube.context); known contexts: ${known(cfg.contexts)}`);
  const context = cfg.contexts.get(contextName);
  if (!context) throw configError(cfg.label, '', `context ${JSON.stringify(contextName)} not found; known: ${known(cfg.contexts)}`);
  const clusterName = context.value['cluster'];
  if (typeof clusterName !== 'string' || !clusterName) throw configError(context.file, `${context.field}.cluster`, 'must name a cluster');
  const cluster = cfg.clusters.get(clusterName);
  if (!cluster) throw configError(cfg.label, `${context.field}.cluster`, `names cluster ${JSON.stringify(clusterName)}, which is not defined; known clusters: ${known(cfg.clusters)}`);
  const userName = context.value['user'];
  if (userName !== undefined && userName !== null && typeof userName !== 'string') throw configError(context.file, `${context.field}.user`, 'must be a string');
  let user: Entry | undefined;
  if (userName) {
    user = cfg.users.get(userName);
    if (!user) throw configError(cfg.label, `${context.field}.user`, `names user ${JSON.stringify(userName)}, which is not defined; known users: ${known(cfg.users)}`);
  }
  const namespace = optionalString(context, 'namespace');

  const server = optionalString(cluster, 'server');
  if (!server) throw configError(cluster.file, `${cluster.field}.server`, 'is required');
  checkServerUrl(server, `kubeconfig ${cluster.file}`, `${cluster.field}.server`);
  if (cluster.value['proxy-url'] !== undefined) throw configError(cluster.file, `${cluster.field}.proxy-url`, 'is not supported by the agent; reach the API server directly');
  const ca = await dataOrFile(cluster, 'certificate-authority');
  const insecure = optionalBoolean(cluster, 'insecure-skip-tls-verify') ?? false;
  const tlsServerName = optionalString(cluster, 'tls-server-name');

  const conn: KubeConnection = {
    server: server.replace(/\/+$/, ''),
    source: 'kubeconfig',
    path: cfg.label,
    context: contextName,
    ...(namespace ? { namespace } : {}),
    ...(ca ? { ca } : {}),
    insecureSkipTlsVerify: insecure,
    ...(tlsServerName ? { tlsServerName } : {}),
    token: () => Promise.resolve(undefined),
    clientCertificate: () => Promise.resolve(undefined),
    invalidate: () => false,
  };
  if (!user) return conn;

  if (user.value['auth-provider'] !== undefined) {
    throw configError(user.file, `${user.field}.auth-provider`, 'is not supported (kubectl removed the built-in gcp/azure/oidc providers too); use an exec credential plugin such as gke-gcloud-auth-plugin or kubelogin');
  }
  const cert = await dataOrFile(user, 'client-certificate');
  const key = await dataOrFile(user, 'client-key');
  if (Boolean(cert) !== Boolean(key)) throw configError(user.file, user.field, 'client-certificate and client-key must be given together');
  if (cert && key) {
    conn.cert = cert;
    conn.key = key;
    conn.clientCertificate = () => Promise.resolve({ cert, key });
  }
  const username = optionalString(user, 'username');
  const password = optionalString(user, 'password');
  if (username !== undefined || password !== undefined) conn.basicAuth = { username: username ?? '', password: password ?? '' };

  const token = optionalString(user, 'token');
  const tokenFile = optionalString(user, 'tokenFile');
  const exec = user.value['exec'];
  if (token) {
    conn.token = () => Promise.resolve(token);
  } else if (tokenFile) {
    const source = new FileTokenSource(resolveRelative(user.file, tokenFile), now);
    // Fail at start, with the kubeconfig named, rather than on the first request.
    await source.get().catch((err: unknown) => {
      throw configError(user.file, `${user.field}.tokenFile`, errorMessage(err), err);
    });
    conn.token = () => source.get();
    conn.invalidate = () => source.invalidate();
  } else if (exec !== undefined && exec !== null) {
    const provider = new ExecCredentialProvider({
      exec: parseExec(user, exec),
      origin: `kubeconfig ${user.file}: user ${JSON.stringify(user.name)}`,
      env,
      cluster: {
        server,
        ...(ca ? { 'certificate-authority-data': ca.toString('base64') } : {}),
        ...(insecure ? { 'insecure-skip-tls-verify': true } : {}),
        ...(tlsServerName ? { 'tls-server-name': tlsServerName } : {}),
      },
      now,
    });
    conn.token = async () => (await provider.get()).token;
    const staticCert = cert && key ? { cert, key } : undefined;
    conn.clientCertificate = async () => {
      const c = await provider.get();
      if (c.clientCertificateData && c.clientKeyData) return { cert: Buffer.from(c.clientCertificateData), key: Buffer.from(c.clientKeyData) };
      return staticCert;
    };
    conn.invalidate = () => {
      provider.invalidate();
      return true;
    };
  }
  return conn;
}

function parseExec(user: Entry, raw: unknown): ExecConfig {
  const field = `${user.field}.exec`;
  if (!isObj(raw)) throw configError(user.file, field, 'must be a mapping');
  const apiVersion = raw['apiVersion'];
  if (!EXEC_API_VERSIONS.includes(apiVersion as ExecApiVersion)) {
    throw configError(user.file, `${field}.apiVersion`, `must be one of ${EXEC_API_VERSIONS.join(', ')}, got ${JSON.stringify(apiVersion)}`);
  }
  const command = raw['command'];
  if (typeof command !== 'string' || !command) throw configError(user.file, `${field}.command`, 'is required');
  const args = raw['args'] ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw configError(user.file, `${field}.args`, 'must be a list of strings');
  const envList = raw['env'] ?? [];
  if (!Array.isArray(envList)) throw configError(user.file, `${field}.env`, 'must be a list of {name, value}');
  const env = envList.map((e, i) => {
    if (!isObj(e) || typeof e['name'] !== 'string' || !e['name'] || typeof e['value'] !== 'string') throw configError(user.file, `${field}.env[${i}]`, 'must have a non-empty string name and a string value');
    return { name: e['name'], value: e['value'] };
  });
  if (raw['interactiveMode'] === 'Always') throw configError(user.file, `${field}.interactiveMode`, 'is "Always", but the agent runs without a terminal; use a plugin that works non-interactively');
  const installHint = typeof raw['installHint'] === 'string' ? raw['installHint'] : undefined;
  return {
    apiVersion: apiVersion as ExecApiVersion,
    // kubectl resolves a command with a path relative to the kubeconfig's directory; bare names go through PATH.
    command: command.includes('/') ? resolveRelative(user.file, command) : command,
    args,
    env,
    ...(installHint ? { installHint } : {}),
    provideClusterInfo: raw['provideClusterInfo'] === true,
  };
}

function optionalString(e: Entry, key: string): string | undefined {
  const v = e.value[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw configError(e.file, `${e.field}.${key}`, 'must be a string');
  return v;
}

function optionalBoolean(e: Entry, key: string): boolean | undefined {
  const v = e.value[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw configError(e.file, `${e.field}.${key}`, 'must be true or false');
  return v;
}

function resolveRelative(kubeconfigFile: string, p: string): string {
  return isAbsolute(p) ? p : resolve(dirname(kubeconfigFile), p);
}

/** `<key>-data` (base64, wins as in client-go) or `<key>` (a file, relative to the kubeconfig). */
async function dataOrFile(e: Entry, key: string): Promise<Buffer | undefined> {
  const data = optionalString(e, `${key}-data`);
  if (data !== undefined) {
    if (!/^[A-Za-z0-9+/=\s]+$/.test(data)) throw configError(e.file, `${e.field}.${key}-data`, 'must be base64');
    const buf = Buffer.from(data, 'base64');
    if (buf.length === 0) throw configError(e.file, `${e.field}.${key}-data`, 'decodes to nothing');
    return buf;
  }
  const file = optionalString(e, key);
  if (file === undefined) return undefined;
  const path = resolveRelative(e.file, file);
  try {
    return await readFile(path);
  } catch (err) {
    throw configError(e.file, `${e.field}.${key}`, `cannot read ${path}: ${errorMessage(err)}`, err);
  }
}

function checkServerUrl(server: string, where: string, field: string): void {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new ConfigError(`${where}: ${field} ${JSON.stringify(server)} is not a URL`, [{ path: field, message: 'must be an http(s) URL' }]);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`${where}: ${field} ${JSON.stringify(server)} must use https (or http)`, [{ path: field, message: 'must be an http(s) URL' }]);
  if (url.search || url.hash || url.username) throw new ConfigError(`${where}: ${field} ${JSON.stringify(server)} must not carry a query, fragment or credentials`, [{ path: field, message: 'must be a plain http(s) URL' }]);
}
