import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, UnavailableError } from '../../contracts/errors.js';
import { loadKubeConnection, TOKEN_FILE_REREAD_MS } from './kube-config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aetherius-kubeconfig-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const noCluster = () => join(dir, 'no-serviceaccount');

async function kubeconfig(name: string, doc: unknown): Promise<string> {
  const path = join(dir, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, stringify(doc));
  return path;
}

function single(server: string, user: Record<string, unknown> = {}, cluster: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c1', cluster: { server, ...cluster } }],
    users: [{ name: 'u1', user }],
    contexts: [{ name: 'ctx1', context: { cluster: 'c1', user: 'u1', namespace: 'shop' } }],
    'current-context': 'ctx1',
  };
}

function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  return fn().then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('loadKubeConnection: kubeconfig', () => {
  it('reads the current context: server, namespace, CA and client certificate files relative to the kubeconfig, token', async () => {
    await mkdir(join(dir, 'conf', 'pki'), { recursive: true });
    await writeFile(join(dir, 'conf', 'pki', 'ca.crt'), 'CA-PEM');
    await writeFile(join(dir, 'conf', 'pki', 'client.crt'), 'CERT-PEM');
    await writeFile(join(dir, 'conf', 'pki', 'client.key'), 'KEY-PEM');
    const path = await kubeconfig('conf/config', single('https://k8s.example:6443/', { 'client-certificate': 'pki/client.crt', 'client-key': 'pki/client.key', token: 'abc' }, { 'certificate-authority': 'pki/ca.crt', 'tls-server-name': 'kubernetes' }));
    const conn = await loadKubeConnection({ kubeconfig: path, inClusterDir: noCluster() });
    expect(conn).toMatchObject({ server: 'https://k8s.example:6443', source: 'kubeconfig', path, context: 'ctx1', namespace: 'shop', insecureSkipTlsVerify: false, tlsServerName: 'kubernetes' });
    expect(conn.ca?.toString()).toBe('CA-PEM');
    expect(conn.cert?.toString()).toBe('CERT-PEM');
    expect((await conn.clientCertificate())?.key.toString()).toBe('KEY-PEM');
    expect(await conn.token()).toBe('abc');
  });

  it('prefers *-data over files, decodes base64, and supports basic auth and insecure-skip-tls-verify', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const path = await kubeconfig('config', single('https://a:1', { 'client-certificate-data': b64('C'), 'client-key-data': b64('K'), 'client-key': 'missing.key', username: 'admin', password: 's3cret' }, { 'certificate-authority-data': b64('CA'), 'insecure-skip-tls-verify': true }));
    const conn = await loadKubeConnection({ kubeconfig: path, inClusterDir: noCluster() });
    expect([conn.ca?.toString(), conn.cert?.toString(), conn.key?.toString()]).toEqual(['CA', 'C', 'K']);
    expect(conn.basicAuth).toEqual({ username: 'admin', password: 's3cret' });
    expect(conn.insecureSkipTlsVerify).toBe(true);
    expect(await conn.token()).toBeUndefined();
  });

  it('an explicit context wins over current-context; an unknown one is named with the known ones', async () => {
    const doc = single('https://a:1');
    doc.clusters.push({ name: 'c2', cluster: { server: 'http://b:2' } });
    doc.contexts.push({ name: 'ctx2', context: { cluster: 'c2', user: 'u1', namespace: '' } });
    const path = await kubeconfig('config', doc);
    expect((await loadKubeConnection({ kubeconfig: path, context: 'ctx2', inClusterDir: noCluster() })).server).toBe('http://b:2');
    const err = await thrown(() => loadKubeConnection({ kubeconfig: path, context: 'foo', inClusterDir: noCluster() }));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(`kubeconfig ${path}: context "foo" not found; known: ctx1, ctx2`);
  });

  it('merges a KUBECONFIG list first-wins, skipping missing files; relative paths resolve against the file that defined them', async () => {
    await mkdir(join(dir, 'b'), { recursive: true });
    await writeFile(join(dir, 'b', 'token'), 'from-b\n');
    const a = await kubeconfig('a/config', {
      clusters: [{ name: 'shared', cluster: { server: 'https://from-a:1' } }],
      contexts: [{ name: 'dev', context: { cluster: 'shared', user: 'bob' } }],
      'current-context': 'dev',
    });
    const b = await kubeconfig('b/config', {
      clusters: [
        { name: 'shared', cluster: { server: 'https://from-b:1' } },
        { name: 'only-b', cluster: { server: 'https://only-b:1' } },
      ],
      users: [{ name: 'bob', user: { tokenFile: 'token' } }],
      contexts: [{ name: 'prod', context: { cluster: 'only-b', user: 'bob' } }],
      'current-context': 'prod',
    });
    const env = { KUBECONFIG: [join(dir, 'missing'), a, b].join(delimiter) };
    const conn = await loadKubeConnection({ env, inClusterDir: noCluster() });
    expect(conn).toMatchObject({ server: 'https://from-a:1', context: 'dev', path: [a, b].join(delimiter) });
    expect(await conn.token()).toBe('from-b');
    expect((await loadKubeConnection({ env, context: 'prod', inClusterDir: noCluster() })).server).toBe('https://only-b:1');
  });

  it('falls back to ~/.kube/config, and says everything it tried when there is nothing', async () => {
    await kubeconfig('home/.kube/config', single('https://home:1'));
    expect((await loadKubeConnection({ env: { HOME: join(dir, 'home') }, inClusterDir: noCluster() })).server).toBe('https://home:1');
    const err = await thrown(() => loadKubeConnection({ env: { HOME: join(dir, 'nobody') }, inClusterDir: noCluster() }));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('no Kubernetes configuration found');
    expect((err as Error).message).toContain(`${join(dir, 'nobody', '.kube', 'config')} does not exist`);
    expect((err as Error).message).toContain('KUBECONFIG is not set');
  });

  it('names the file and field of each mistake', async () => {
    const cases: [unknown, RegExp][] = [
      ['clusters: [', /is not valid YAML/],
      [{ ...single('https://a:1'), 'current-context': '' }, /has no current-context and no context was given \(kube\.context\); known contexts: ctx1/],
      [{ ...single('https://a:1'), contexts: [{ name: 'ctx1', context: { cluster: 'nope', user: 'u1' } }] }, /names cluster "nope", which is not defined; known clusters: c1/],
      [{ ...single('https://a:1'), contexts: [{ name: 'ctx1', context: { cluster: 'c1', user: 'ghost' } }] }, /names user "ghost", which is not defined; known users: u1/],
      [single('ftp://a:1'), /clusters\[name="c1"\]\.cluster\.server "ftp:\/\/a:1" must use https/],
      [single(''), /clusters\[name="c1"\]\.cluster\.server is required/],
      [single('https://a:1', { 'client-certificate': 'nope.crt', 'client-key': 'nope.key' }), /users\[name="u1"\]\.user\.client-certificate cannot read .*nope\.crt/],
      [single('https://a:1', { 'client-certificate-data': 'QQ==' }), /client-certificate and client-key must be given together/],
      [single('https://a:1', { 'auth-provider': { name: 'gcp' } }), /auth-provider is not supported.*exec credential plugin/],
      [single('https://a:1', { exec: { apiVersion: 'client.authentication.k8s.io/v1alpha1', command: 'x' } }), /exec\.apiVersion must be one of client\.authentication\.k8s\.io\/v1, client\.authentication\.k8s\.io\/v1beta1/],
      [single('https://a:1', {}, { 'insecure-skip-tls-verify': 'yes' }), /insecure-skip-tls-verify must be true or false/],
    ];
    for (const [i, [doc, message]] of cases.entries()) {
      const path = join(dir, `bad-${i}`);
      await writeFile(path, typeof doc === 'string' ? doc : stringify(doc));
      const err = await thrown(() => loadKubeConnection({ kubeconfig: path, inClusterDir: noCluster() }));
      expect(err, `case ${i}`).toBeInstanceOf(ConfigError);
      expect((err as Error).message, `case ${i}`).toMatch(message);
      expect((err as Error).message, `case ${i}`).toContain(path);
    }
    const missing = await thrown(() => loadKubeConnection({ kubeconfig: join(dir, 'absent'), inClusterDir: noCluster() }));
    expect((missing as Error).message).toBe(`kubeconfig ${join(dir, 'absent')}: does not exist`);
  });
});

describe('loadKubeConnection: in cluster', () => {
  async function serviceAccount(token: string): Promise<string> {
    const sa = join(dir, 'sa');
    await mkdir(sa, { recursive: true });
    await writeFile(join(sa, 'token'), token);
    await writeFile(join(sa, 'ca.crt'), 'CLUSTER-CA');
    await writeFile(join(sa, 'namespace'), 'aetherius-system\n');
    return sa;
  }

  it('uses the ServiceAccount and re-reads the rotating token at most once a minute', async () => {
    const sa = await serviceAccount('token-1');
    let now = 5_000_000;
    const conn = await loadKubeConnection({ inClusterDir: sa, env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443', KUBECONFIG: '/elsewhere' }, now: () => now });
    expect(conn).toMatchObject({ server: 'https://[fd00::1]:443', source: 'in-cluster', namespace: 'aetherius-system', insecureSkipTlsVerify: false });
    expect(conn.ca?.toString()).toBe('CLUSTER-CA');
    expect(await conn.token()).toBe('token-1');
    await writeFile(join(sa, 'token'), 'token-2');
    now += TOKEN_FILE_REREAD_MS - 1;
    expect(await conn.token()).toBe('token-1');
    now += 1;
    expect(await conn.token()).toBe('token-2');
    // A failed re-read keeps the token it had.
    await rm(join(sa, 'token'));
    now += TOKEN_FILE_REREAD_MS;
    expect(await conn.token()).toBe('token-2');
  });

  it('an explicit kubeconfig wins over the ServiceAccount; without the service env it is not in-cluster', async () => {
    const sa = await serviceAccount('t');
    const path = await kubeconfig('config', single('https://remote:6443'));
    expect((await loadKubeConnection({ kubeconfig: path, inClusterDir: sa, env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } })).server).toBe('https://remote:6443');
    const err = await thrown(() => loadKubeConnection({ inClusterDir: sa, env: {} }));
    expect((err as Error).message).toContain('exists but KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT are not set');
  });

  it('reports a token file that cannot be read', async () => {
    const sa = await serviceAccount('');
    const conn = await loadKubeConnection({ inClusterDir: sa, env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } });
    await expect(conn.token()).rejects.toThrow(UnavailableError);
    await expect(conn.token()).rejects.toThrow(/the file is empty/);
  });
});

describe('loadKubeConnection: exec credential plugins', () => {
  /** A plugin: a node script printing an ExecCredential and counting its runs in a file. */
  async function plugin(body: string): Promise<string> {
    const path = join(dir, 'plugin.mjs');
    await writeFile(
      path,
      `#!${process.execPath}
import { appendFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(join(dir, 'runs'))}, 'x');
const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);
${body}
`,
    );
    await chmod(path, 0o755);
    return path;
  }
  const runs = async () => (await import('node:fs/promises')).readFile(join(dir, 'runs'), 'utf8').then((s) => s.length);
  const env = { PATH: '/usr/bin:/bin' };

  it('runs the plugin with its args and env (v1), caches the token until it expires, and re-runs after invalidate', async () => {
    await plugin(`
const expires = new Date(Number(process.env.NOW) + 120000).toISOString();
process.stdout.write(JSON.stringify({ apiVersion: info.apiVersion, kind: 'ExecCredential', status: { token: process.argv[2] + ':' + process.env.TEAM + ':' + info.spec.interactive + ':' + info.spec.cluster.server, expirationTimestamp: expires } }));
`);
    let now = Date.parse('2030-01-01T00:00:00Z');
    const path = await kubeconfig('config', single('https://eks:443', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: './plugin.mjs', args: ['arg1'], env: [{ name: 'TEAM', value: 'sre' }, { name: 'NOW', value: String(now) }], provideClusterInfo: true, interactiveMode: 'Never' } }));
    const conn = await loadKubeConnection({ kubeconfig: path, inClusterDir: noCluster(), env, now: () => now });
    const [t1, t2] = await Promise.all([conn.token(), conn.token()]);
    expect(t1).toBe('arg1:sre:false:https://eks:443');
    expect(t2).toBe(t1);
    expect(await runs()).toBe(1);
    now += 60_000;
    await conn.token();
    expect(await runs()).toBe(1);
    // Within the renewal margin of the 2-minute expiry: runs again.
    now += 55_000;
    await conn.token();
    expect(await runs()).toBe(2);
    expect(conn.invalidate()).toBe(true);
    await conn.token();
    expect(await runs()).toBe(3);
  });

  it('takes a client certificate from a v1beta1 plugin', async () => {
    await plugin(`process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { clientCertificateData: 'CERT', clientKeyData: 'KEY' } }));`);
    const path = await kubeconfig('config', single('https://a:1', { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: join(dir, 'plugin.mjs') } }));
    const conn = await loadKubeConnection({ kubeconfig: path, inClusterDir: noCluster(), env });
    expect(await conn.token()).toBeUndefined();
    const cert = await conn.clientCertificate();
    expect([cert?.cert.toString(), cert?.key.toString()]).toEqual(['CERT', 'KEY']);
  });

  it('reports a failing plugin with its stderr, bad output naming the field, and a missing command with the install hint', async () => {
    await plugin(`process.stderr.write('token expired, run aws sso login'); process.exit(3);`);
    const user = (command: string, extra: Record<string, unknown> = {}) => ({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command, ...extra } });
    let conn = await loadKubeConnection({ kubeconfig: await kubeconfig('c1', single('https://a:1', user('./plugin.mjs'))), inClusterDir: noCluster(), env });
    const failed = await thrown(() => conn.token());
    expect(failed).toBeInstanceOf(UnavailableError);
    expect((failed as Error).message).toMatch(/exec plugin ".*plugin\.mjs" failed \(exit code 3\): token expired, run aws sso login/);

    await plugin(`process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: 't' } }));`);
    conn = await loadKubeConnection({ kubeconfig: await kubeconfig('c2', single('https://a:1', user('./plugin.mjs'))), inClusterDir: noCluster(), env });
    const bad = await thrown(() => conn.token());
    expect(bad).toBeInstanceOf(ConfigError);
    expect((bad as Error).message).toMatch(/apiVersion must be "client\.authentication\.k8s\.io\/v1" \(what the kubeconfig asked for\)/);

    conn = await loadKubeConnection({ kubeconfig: await kubeconfig('c3', single('https://a:1', user('no-such-plugin-xyz', { installHint: 'install it with: brew install xyz' }))), inClusterDir: noCluster(), env });
    const missing = await thrown(() => conn.token());
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as Error).message).toMatch(/exec plugin "no-such-plugin-xyz" was not found\ninstall it with: brew install xyz/);
  });
});
