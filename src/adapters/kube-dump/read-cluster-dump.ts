/**
 * Offline analysis input: a directory written by
 * `kubectl cluster-info dump --output-directory DIR [--all-namespaces]`, or files written by
 * `kubectl get … -o json` (or `kubectl cluster-info dump` to stdout), read into one ClusterSnapshot —
 * the same input the root-cause engine gets from a live cluster. Formats: docs/offline-analysis.md.
 *
 * A dump directory, as kubectl 1.32 writes it:
 *   nodes.json                                  NodeList
 *   <ns>/events.json, replication-controllers.json, services.json, daemonsets.json,
 *        deployments.json, replicasets.json, pods.json       typed Lists, items without kind
 *   <ns>/<pod>/logs.txt                         every container's current log, each between
 *                                               "==== START logs for container C of pod NS/POD ====" and
 *                                               "==== END logs for container C of pod NS/POD ===="
 * Also read: any other `*.json` next to those (`kubectl get … -o json` added by hand), and per-container
 * log files `<ns>/<pod>/<container>/logs.txt` or `<ns>/<pod>/<container>.txt`, with `previous` in the
 * name for `kubectl logs --previous` output.
 */
import { createReadStream, type Stats } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ValidationIssue } from '../../contracts/errors.js';
import { isRecord, list, text } from '../../core/kube/read.js';
import type { KubeObject } from '../../core/kube/kube-types.js';
import type { ClusterSnapshot } from '../../core/rca/snapshot.js';
import { ContainerLogCollector, KubectlLogBlockReader, type LogTarget } from './container-log-collector.js';
import { DumpInputError } from './dump-input-error.js';
import { kubeObjectsFromJson } from './kube-objects-from-json.js';
import { newestTimestamp } from './newest-timestamp.js';
import { parseKubectlOutput } from './parse-kubectl-output.js';

/** Newest log lines kept per container. */
export const DEFAULT_MAX_LOG_LINES = 500;
/** Largest file read: far above a 10 000-pod `pods.json` (about 100 MiB), far below what exhausts memory. */
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;
/** Longest log line kept whole; the rest of a longer line is cut. */
export const DEFAULT_MAX_LOG_LINE_CHARS = 16 * 1024;

export interface ReadClusterDumpOptions {
  /** The snapshot's `at`, ms since the epoch. Default: the newest timestamp in the objects (see newestTimestamp). */
  now?: number;
  /** The snapshot's `clusterId`. Default: none. */
  clusterId?: string;
  /** Newest lines kept per container log. Default DEFAULT_MAX_LOG_LINES (500); 0 keeps none. */
  maxLogLines?: number;
  /** Files larger than this are refused (a warning in a dump directory, an error for `-f`). Default 256 MiB. */
  maxFileBytes?: number;
}

export interface ClusterDumpResult {
  snapshot: ClusterSnapshot;
  /** What was skipped and why, each naming its file; the snapshot holds everything else. */
  warnings: string[];
}

/** The files `kubectl cluster-info dump` writes per namespace, read first and in this order. */
export const DUMP_NAMESPACE_FILES = ['events.json', 'replication-controllers.json', 'services.json', 'daemonsets.json', 'deployments.json', 'replicasets.json', 'pods.json'] as const;

interface Settings {
  now: number | undefined;
  clusterId: string | undefined;
  maxLogLines: number;
  maxFileBytes: number;
}

function settingsOf(options: ReadClusterDumpOptions): Settings {
  const issues: ValidationIssue[] = [];
  const { now, clusterId, maxLogLines = DEFAULT_MAX_LOG_LINES, maxFileBytes = DEFAULT_MAX_FILE_BYTES } = options;
  if (now !== undefined && !Number.isFinite(now)) issues.push({ path: 'now', message: 'must be a finite number of ms since the epoch' });
  if (!Number.isInteger(maxLogLines) || maxLogLines < 0) issues.push({ path: 'maxLogLines', message: `must be a whole number of lines, 0 or more (got ${String(maxLogLines)})` });
  if (!Number.isInteger(maxFileBytes) || maxFileBytes < 1) issues.push({ path: 'maxFileBytes', message: `must be a whole number of bytes, 1 or more (got ${String(maxFileBytes)})` });
  if (issues.length) throw new DumpInputError(`invalid dump reader options: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
  return { now, clusterId, maxLogLines, maxFileBytes };
}

/** Objects by identity; a later copy of the same object (another file) replaces the earlier one in place. */
class ObjectSet {
  readonly #byKey = new Map<string, number>();
  readonly objects: KubeObject[] = [];

  add(obj: KubeObject): void {
    const group = obj.apiVersion.includes('/') ? obj.apiVersion.slice(0, obj.apiVersion.indexOf('/')) : '';
    const key = `${group}\u0000${obj.kind}\u0000${obj.metadata.namespace ?? ''}\u0000${obj.metadata.name}`;
    const at = this.#byKey.get(key);
    if (at === undefined) {
      this.#byKey.set(key, this.objects.length);
      this.objects.push(obj);
    } else this.objects[at] = obj;
  }
}

/**
 * Reads a `kubectl cluster-info dump --output-directory` directory. Files that cannot be used (not
 * readable, not JSON, not a Kubernetes list, too large) and skipped items become warnings; the rest is
 * still read.
 * @throws DumpInputError when `dir` does not exist, is not a directory, does not look like a dump, or
 *   not one file in it could be read; or when an option is invalid.
 */
export async function readClusterDump(dir: string, options: ReadClusterDumpOptions = {}): Promise<ClusterDumpResult> {
  const settings = settingsOf(options);
  const warnings: string[] = [];
  const top = await dumpDirStat(dir);
  if (!top.isDirectory()) {
    const hint = /\.(tar|tgz|tar\.gz|zip)$/i.test(dir) ? 'unpack it first (tar xzf / unzip) and pass the directory' : 'pass a file of `kubectl get -o json` or `kubectl cluster-info dump` output with -f instead';
    throw new DumpInputError(`${dir} is a file, not a dump directory: ${hint}`, [{ path: dir, message: 'not a directory' }]);
  }
  const layout = await scanLayout(dir, warnings);
  const looksLikeDump = layout.topJson.includes('nodes.json') || layout.namespaces.some((ns) => ns.json.some((f) => (DUMP_NAMESPACE_FILES as readonly string[]).includes(f)));
  if (!looksLikeDump) {
    const seen = layout.entries.slice(0, 10).join(', ') || 'nothing';
    throw new DumpInputError(
      `${dir} is not a kubectl cluster-info dump directory: expected nodes.json or <namespace>/pods.json and <namespace>/events.json, as \`kubectl cluster-info dump --output-directory ${dir} --all-namespaces\` writes them (found: ${seen})`,
      [{ path: dir, message: 'not a kubectl cluster-info dump directory' }],
    );
  }

  const objects = new ObjectSet();
  const failures: ValidationIssue[] = [];
  let filesRead = 0;
  const readJson = async (path: string, namespace?: string) => {
    try {
      const text = await readText(path, settings.maxFileBytes);
      const parsed = parseKubectlOutput(text, path);
      for (const doc of parsed.documents) {
        const found = kubeObjectsFromJson(doc, namespace === undefined ? { file: path } : { file: path, namespace });
        for (const o of found.objects) objects.add(o);
        warnings.push(...found.warnings);
      }
      filesRead++;
    } catch (err) {
      const issue = issueOf(path, err);
      failures.push(issue);
      warnings.push(`${issue.path}: ${issue.message}; skipped`);
    }
  };
  for (const file of layout.topJson) await readJson(join(dir, file));
  for (const ns of layout.namespaces) for (const file of ns.json) await readJson(join(dir, ns.name, file), ns.name);
  if (filesRead === 0 && failures.length) {
    throw new DumpInputError(`${dir}: not one file of the dump could be read (${failures.length} tried): ${failures.slice(0, 3).map((f) => `${f.path}: ${f.message}`).join('; ')}`, failures);
  }

  const collector = new ContainerLogCollector(settings.maxLogLines, DEFAULT_MAX_LOG_LINE_CHARS);
  const containersOf = podContainers(objects.objects);
  for (const ns of layout.namespaces) {
    for (const pod of ns.podDirs) await readPodLogs(join(dir, ns.name, pod), ns.name, pod, containersOf.get(`${ns.name}/${pod}`) ?? [], collector, settings.maxFileBytes, warnings);
  }
  const at = await snapshotTime(settings, objects.objects, [dir, ...layout.topJson.map((f) => join(dir, f))], warnings);
  return { snapshot: snapshotOf(settings, at, objects.objects, collector), warnings };
}

/**
 * Reads files of `kubectl get … -o json` (a List, a typed List or one object; `kubectl get events -A
 * -o json` included) or of `kubectl cluster-info dump` written to stdout (many documents and log blocks).
 * Every file was named by the caller, so any file that cannot be used fails the whole read.
 * @throws DumpInputError listing every file that cannot be read and why (missing, too large, not JSON,
 *   not a Kubernetes object or list), or when no file is given or an option is invalid.
 */
export async function readKubectlJsonFiles(files: readonly string[], options: ReadClusterDumpOptions = {}): Promise<ClusterDumpResult> {
  const settings = settingsOf(options);
  if (files.length === 0) throw new DumpInputError('no file given: pass the output of `kubectl get … -o json`', [{ path: 'files', message: 'empty' }]);
  const warnings: string[] = [];
  const objects = new ObjectSet();
  const collector = new ContainerLogCollector(settings.maxLogLines, DEFAULT_MAX_LOG_LINE_CHARS);
  const failures: ValidationIssue[] = [];
  for (const file of files) {
    try {
      const parsed = parseKubectlOutput(await readText(file, settings.maxFileBytes), file);
      const fileWarnings: string[] = [];
      const found = parsed.documents.map((doc) => kubeObjectsFromJson(doc, { file }));
      for (const f of found) {
        for (const o of f.objects) objects.add(o);
        fileWarnings.push(...f.warnings);
      }
      if (parsed.logLines.length) {
        const reader = new KubectlLogBlockReader(collector, file, undefined, (w) => fileWarnings.push(w));
        for (const line of parsed.logLines) reader.line(line);
        reader.finish();
      }
      warnings.push(...fileWarnings);
    } catch (err) {
      failures.push(issueOf(file, err));
    }
  }
  if (failures.length) {
    const head = failures.length === 1 ? `${(failures[0] as ValidationIssue).path}: ${(failures[0] as ValidationIssue).message}` : `${failures.length} of ${files.length} files cannot be read: ${failures.map((f) => `${f.path}: ${f.message}`).join('; ')}`;
    throw new DumpInputError(head, failures);
  }
  if (objects.objects.length === 0) warnings.push(`no Kubernetes object in ${files.join(', ')}`);
  const at = await snapshotTime(settings, objects.objects, [...files], warnings);
  return { snapshot: snapshotOf(settings, at, objects.objects, collector), warnings };
}

function snapshotOf(settings: Settings, at: number, objects: KubeObject[], collector: ContainerLogCollector): ClusterSnapshot {
  return { ...(settings.clusterId !== undefined ? { clusterId: settings.clusterId } : {}), at, objects, logs: collector.logs(), metrics: [] };
}

async function snapshotTime(settings: Settings, objects: readonly KubeObject[], paths: readonly string[], warnings: string[]): Promise<number> {
  if (settings.now !== undefined) return settings.now;
  const newest = newestTimestamp(objects);
  if (newest !== undefined) return newest;
  let mtime = 0;
  for (const p of paths) {
    try {
      mtime = Math.max(mtime, (await stat(p)).mtimeMs);
    } catch {
      // Already reported when the file was read.
    }
  }
  warnings.push('no timestamp in any object: the snapshot time is the files’ modification time; pass `now` to set it');
  return Math.round(mtime);
}

// ---------------------------------------------------------------------------------------------- files

function reasonOf(err: unknown): string {
  const code = isRecord(err) ? text(err['code']) : undefined;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, not a file';
  return err instanceof Error ? err.message : String(err);
}

function issueOf(path: string, err: unknown): ValidationIssue {
  if (err instanceof DumpInputError) {
    const first = err.issues[0];
    return first ? { path: first.path, message: first.message } : { path, message: err.message };
  }
  return { path, message: `cannot read: ${reasonOf(err)}` };
}

async function dumpDirStat(dir: string): Promise<Stats> {
  try {
    return await stat(dir);
  } catch (err) {
    throw new DumpInputError(`${dir}: cannot read the dump directory: ${reasonOf(err)}`, [{ path: dir, message: reasonOf(err) }], { cause: err });
  }
}

function size(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} bytes`;
}

/**
 * The file as text: UTF-8, or UTF-16 when it starts with a byte-order mark (what Windows PowerShell's
 * `>` writes).
 * @throws DumpInputError when it is larger than `maxBytes`; the fs error when it cannot be read.
 */
async function readText(path: string, maxBytes: number): Promise<string> {
  const st = await stat(path);
  if (st.isDirectory()) throw new DumpInputError(`${path}: is a directory, not a file`, [{ path, message: 'is a directory, not a file' }]);
  if (st.size > maxBytes) {
    const message = `the file is ${size(st.size)}, more than the ${size(maxBytes)} limit`;
    throw new DumpInputError(`${path}: ${message}`, [{ path, message }]);
  }
  const bytes = await readFile(path);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return Buffer.from(bytes.subarray(2)).swap16().toString('utf16le');
  return bytes.toString('utf8');
}

interface Layout {
  /** Names of the top-level entries, for the "not a dump" message. */
  entries: string[];
  topJson: string[];
  namespaces: { name: string; json: string[]; podDirs: string[] }[];
}

async function listDir(path: string, warnings: string[]): Promise<{ files: string[]; dirs: string[] }> {
  const files: string[] = [];
  const dirs: string[] = [];
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (err) {
    warnings.push(`${path}: cannot read the directory: ${reasonOf(err)}; skipped`);
    return { files, dirs };
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      try {
        const st = await stat(join(path, e.name));
        isDir = st.isDirectory();
        isFile = st.isFile();
      } catch {
        warnings.push(`${join(path, e.name)}: a broken symbolic link; skipped`);
        continue;
      }
    }
    if (isDir) dirs.push(e.name);
    else if (isFile) files.push(e.name);
  }
  return { files: files.sort(), dirs: dirs.sort() };
}

/** kubectl's files first, in the order it writes them, then any other JSON by name. */
function jsonFilesInOrder(files: readonly string[]): string[] {
  const rank = (f: string) => {
    if (f === 'nodes.json') return -1;
    const i = (DUMP_NAMESPACE_FILES as readonly string[]).indexOf(f);
    return i >= 0 ? i : DUMP_NAMESPACE_FILES.length;
  };
  return files.filter((f) => f.toLowerCase().endsWith('.json')).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

async function scanLayout(dir: string, warnings: string[]): Promise<Layout> {
  const top = await listDir(dir, warnings);
  const layout: Layout = { entries: [...top.files, ...top.dirs.map((d) => `${d}/`)], topJson: jsonFilesInOrder(top.files), namespaces: [] };
  for (const name of top.dirs) {
    const inside = await listDir(join(dir, name), warnings);
    const json = jsonFilesInOrder(inside.files);
    // A namespace directory holds kubectl's lists; a directory without any is not part of the dump.
    if (json.length) layout.namespaces.push({ name, json, podDirs: inside.dirs });
  }
  return layout;
}

// ----------------------------------------------------------------------------------------------- logs

function podContainers(objects: readonly KubeObject[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const o of objects) {
    if (o.kind !== 'Pod') continue;
    const spec = isRecord(o['spec']) ? o['spec'] : {};
    const names = [...list(spec['initContainers']), ...list(spec['containers'])].map((c) => (isRecord(c) ? text(c['name']) : undefined)).filter((n): n is string => n !== undefined);
    out.set(`${o.metadata.namespace ?? ''}/${o.metadata.name}`, names);
  }
  return out;
}

const LOG_FILE = /\.(txt|log)$/i;

/** `logs-app-previous.txt` → `app`; `logs.txt` → ''. */
function containerOfFileName(file: string): string {
  return file
    .replace(LOG_FILE, '')
    .replace(/^logs?(?=$|[-_.])[-_.]?/i, '')
    .replace(/[-_.]?previous$/i, '');
}

async function readPodLogs(podDir: string, namespace: string, pod: string, containers: readonly string[], collector: ContainerLogCollector, maxBytes: number, warnings: string[]): Promise<void> {
  const inside = await listDir(podDir, warnings);
  const targets: { path: string; container: string | undefined; previous: boolean }[] = [];
  for (const f of inside.files.filter((f) => LOG_FILE.test(f))) {
    targets.push({ path: join(podDir, f), container: containerOfFileName(f) || undefined, previous: /previous/i.test(f) });
  }
  for (const c of inside.dirs) {
    const files = (await listDir(join(podDir, c), warnings)).files.filter((f) => LOG_FILE.test(f));
    for (const f of files) targets.push({ path: join(podDir, c, f), container: c, previous: /previous/i.test(f) });
  }
  for (const t of targets) {
    // Lines outside kubectl's blocks belong to the container the path names, else the pod's only one.
    const container = t.container ?? (containers.length === 1 ? containers[0] : undefined);
    const fallback: LogTarget | undefined = container === undefined ? undefined : { namespace, pod, container, previous: t.previous };
    const reader = new KubectlLogBlockReader(collector, t.path, fallback, (w) => warnings.push(w));
    try {
      const st = await stat(t.path);
      if (st.size > maxBytes) {
        warnings.push(`${t.path}: the file is ${size(st.size)}, more than the ${size(maxBytes)} limit; skipped`);
        continue;
      }
      if (fallback && st.size === 0) collector.ensure(fallback);
      await forEachLine(t.path, DEFAULT_MAX_LOG_LINE_CHARS * 4, (line) => reader.line(line));
      reader.finish();
    } catch (err) {
      warnings.push(`${t.path}: cannot read: ${reasonOf(err)}; skipped`);
    }
  }
}

/**
 * Calls `onLine` for each line of the file, streamed. Bytes of a line beyond `maxLineBytes` are
 * dropped before decoding, so one huge line cannot exhaust memory.
 */
async function forEachLine(path: string, maxLineBytes: number, onLine: (line: string) => void): Promise<void> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const take = (piece: Buffer) => {
    const room = maxLineBytes - pendingBytes;
    if (room <= 0) return;
    const kept = piece.length > room ? piece.subarray(0, room) : piece;
    pending.push(kept);
    pendingBytes += kept.length;
  };
  const flush = () => {
    onLine(Buffer.concat(pending).toString('utf8'));
    pending = [];
    pendingBytes = 0;
  };
  for await (const chunk of createReadStream(path)) {
    const buf = chunk as Buffer;
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      take(buf.subarray(start, nl));
      flush();
      start = nl + 1;
    }
    if (start < buf.length) take(buf.subarray(start));
  }
  if (pendingBytes > 0) flush();
}
