/**
 * The exact texts kubelet v1.29 (pkg/kubelet/events, kuberuntime, images, prober, eviction) writes
 * into events and container states, so what a user or an agent reads matches a real cluster.
 */
import { goDuration } from '../../../core/kube/units.js';

export const KUBELET = 'kubelet';

export const msg = {
  pulling: (image: string) => `Pulling image "${image}"`,
  pulled: (image: string, ms: number) => `Successfully pulled image "${image}" in ${goDuration(ms)} (${goDuration(ms)} including waiting)`,
  alreadyPresent: (image: string) => `Container image "${image}" already present on machine`,
  neverPull: (image: string) => `Container image "${image}" is not present with pull policy of Never`,
  pullFailed: (image: string, cause: string) => `Failed to pull image "${image}": ${cause}`,
  backOffPull: (image: string) => `Back-off pulling image "${image}"`,
  error: (reason: string) => `Error: ${reason}`,
  created: (container: string) => `Created container ${container}`,
  started: (container: string) => `Started container ${container}`,
  stopping: (container: string) => `Stopping container ${container}`,
  probeRestart: (container: string, probe: string) => `Container ${container} failed ${probe} probe, will be restarted`,
  definitionChanged: (container: string) => `Container ${container} definition changed, will be restarted`,
  backOffRestartEvent: (container: string, pod: string) => `Back-off restarting failed container ${container} in pod ${pod}`,
  backOffRestartWaiting: (ms: number, container: string, pod: string) => `back-off ${goDuration(ms)} restarting failed container=${container} pod=${pod}`,
  mountFailed: (volume: string, cause: string) => `MountVolume.SetUp failed for volume "${volume}" : ${cause}`,
  nodeStatus: (node: string, status: string) => `Node ${node} status is now: ${status}`,
};

/** The CRI error a missing or forbidden image produces, as containerd words it. */
export function pullError(image: string, result: 'missing' | 'unauthorized'): string {
  const ref = qualifiedImage(image);
  if (result === 'missing') {
    return `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`;
  }
  const [registry = '', ...rest] = ref.split('/');
  const repo = rest.join('/').replace(/[:@].*$/, '');
  if (registry === 'docker.io') {
    return `rpc error: code = Unknown desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`;
  }
  return `rpc error: code = Unknown desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://${registry}/token?scope=repository%3A${encodeURIComponent(repo)}%3Apull&service=${registry}: 401 Unauthorized`;
}

/** `nginx` → `docker.io/library/nginx:latest`, as containerd resolves a reference. */
export function qualifiedImage(image: string): string {
  let ref = image;
  const first = ref.split('/')[0] ?? '';
  const hasRegistry = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) ref = ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
  const last = ref.split('/').pop() ?? '';
  if (!last.includes(':') && !last.includes('@')) ref += ':latest';
  return ref;
}

/** What runc reports when the entrypoint cannot be executed. */
export function startError(command: string): string {
  const exec = command.includes('/')
    ? `exec: "${command}": stat ${command}: no such file or directory`
    : `exec: "${command}": executable file not found in $PATH`;
  return `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${exec}: unknown`;
}

export const nodeConditionText = {
  MemoryPressure: {
    True: ['KubeletHasInsufficientMemory', 'kubelet has insufficient memory available', 'NodeHasInsufficientMemory'],
    False: ['KubeletHasSufficientMemory', 'kubelet has sufficient memory available', 'NodeHasSufficientMemory'],
  },
  DiskPressure: {
    True: ['KubeletHasDiskPressure', 'kubelet has disk pressure', 'NodeHasDiskPressure'],
    False: ['KubeletHasNoDiskPressure', 'kubelet has no disk pressure', 'NodeHasNoDiskPressure'],
  },
  PIDPressure: {
    True: ['KubeletHasInsufficientPID', 'kubelet has insufficient PID available', 'NodeHasInsufficientPID'],
    False: ['KubeletHasSufficientPID', 'kubelet has sufficient PID available', 'NodeHasSufficientPID'],
  },
  Ready: {
    True: ['KubeletReady', 'kubelet is posting ready status', 'NodeReady'],
    False: ['KubeletNotReady', 'container runtime is down', 'NodeNotReady'],
  },
} as const;
