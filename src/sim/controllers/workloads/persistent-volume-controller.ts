/**
 * PersistentVolumeClaim binding and dynamic provisioning (persistentvolume-controller plus an
 * external provisioner): a claim binds to a fitting Available PV, else its StorageClass's provisioner
 * creates `pvc-<claim uid>` and both become Bound. A missing class, the `kubernetes.io/no-provisioner`
 * provisioner or a class annotated `sim.aetherius.io/provisioning-fails: "<message>"` leave the claim
 * Pending with `ProvisioningFailed`, retried with back-off; no class at all gives `FailedBinding`.
 * WaitForFirstConsumer classes provision once a pod uses the claim.
 */
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import type { Change } from '../../store/object-store.js';
import { KeyedController, nsKey, splitKey, type ReconcileResult } from './keyed-controller.js';
import { podSpec } from './pod-utils.js';
import { parseQuantity } from '../../../core/kube/units.js';

export const PROVISIONING_FAILS_ANNOTATION = 'sim.aetherius.io/provisioning-fails';
const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const SOURCE = { component: 'persistentvolume-controller' };
const RETRY_START_MS = 15_000;
const RETRY_MAX_MS = 5 * 60_000;
/** How long the simulated provisioner takes to create a volume. */
const PROVISION_DELAY_MS = 1000;

interface ClaimSpec {
  storageClassName?: string | null;
  volumeName?: string;
  accessModes?: string[];
  volumeMode?: string;
  resources?: { requests?: { storage?: string } };
}

function claimSpec(pvc: KubeObject): ClaimSpec {
  return (pvc['spec'] as ClaimSpec | undefined) ?? {};
}

export class PersistentVolumeController extends KeyedController {
  readonly name = 'persistentvolume-controller';
  readonly #retry = new Map<string, { delay: number; until: number }>();
  readonly #provisioningSince = new Map<string, number>();

  protected keysFor(change: Change): string[] {
    if (change.key === 'persistentvolumeclaims') return [nsKey(change.object.metadata.namespace, change.object.metadata.name)];
    if (change.key === 'storageclasses.storage.k8s.io' || change.key === 'persistentvolumes') {
      this.#retry.clear(); // a new class or volume may help a waiting claim right away
      return this.#pendingClaims();
    }
    if (change.key === 'pods' && change.type === 'ADDED') {
      const volumes = (podSpec(change.object)['volumes'] as { persistentVolumeClaim?: { claimName?: string } }[] | undefined) ?? [];
      return volumes.flatMap((v) => (v.persistentVolumeClaim?.claimName ? [nsKey(change.object.metadata.namespace, v.persistentVolumeClaim.claimName)] : []));
    }
    return [];
  }

  protected initialKeys(): string[] {
    return this.ctx.store.list(res('persistentvolumeclaims')).items.map((c) => nsKey(c.metadata.namespace, c.metadata.name));
  }

  #pendingClaims(): string[] {
    return this.ctx.store
      .list(res('persistentvolumeclaims'))
      .items.filter((c) => (c['status'] as { phase?: string } | undefined)?.phase !== 'Bound')
      .map((c) => nsKey(c.metadata.namespace, c.metadata.name));
  }

  protected reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const pvc = this.ctx.store.get(res('persistentvolumeclaims'), namespace, name);
    if (!pvc) return this.#releaseVolumes(namespace, name);
    if ((pvc['status'] as { phase?: string } | undefined)?.phase === 'Bound') {
      this.#retry.delete(pvc.metadata.uid);
      return;
    }
    const spec = claimSpec(pvc);
    const now = this.ctx.clock.now();
    const waiting = this.#retry.get(pvc.metadata.uid);
    if (waiting && now < waiting.until) return waiting.until - now;

    if (spec.volumeName) {
      const pv = this.ctx.store.get(res('persistentvolumes'), undefined, spec.volumeName);
      if (pv) this.#bind(pvc, pv);
      else this.#pending(pvc);
      return;
    }

    // The class: explicit, or the default class for a claim that names none (DefaultStorageClass admission).
    const classes = this.ctx.store.list(res('storageclasses.storage.k8s.io')).items;
    let className = spec.storageClassName ?? undefined;
    if (spec.storageClassName === undefined) {
      const dflt = classes.find((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
      if (dflt) {
        className = dflt.metadata.name;
        this.ctx.store.mutate(res('persistentvolumeclaims'), namespace, name, (c) => {
          (c['spec'] as ClaimSpec).storageClassName = dflt.metadata.name;
        });
        return 0;
      }
    }

    const request = parseQuantity(spec.resources?.requests?.storage) ?? 0;
    const match = this.#findVolume(pvc, className ?? '', request);
    if (match) {
      this.#bind(pvc, match);
      return;
    }
    if (!className) {
      this.ctx.events.record(pvc, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set', SOURCE);
      this.#pending(pvc);
      return this.#backoff(pvc, now);
    }
    const sc = classes.find((c) => c.metadata.name === className);
    if (!sc) {
      this.ctx.events.record(pvc, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`, SOURCE);
      this.#pending(pvc);
      return this.#backoff(pvc, now);
    }
    const provisioner = typeof sc['provisioner'] === 'string' ? sc['provisioner'] : '';
    if ((sc['volumeBindingMode'] as string | undefined) === 'WaitForFirstConsumer' && !this.#hasConsumer(pvc)) {
      if ((pvc['status'] as { phase?: string } | undefined)?.phase !== 'Pending') {
        this.ctx.events.record(pvc, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding', SOURCE);
      }
      this.#pending(pvc);
      return;
    }
    if (provisioner === 'kubernetes.io/no-provisioner') {
      this.ctx.events.record(pvc, 'Warning', 'ProvisioningFailed', `storageclass "${className}" does not support dynamic provisioning (provisioner kubernetes.io/no-provisioner) and no persistent volume matches this claim`, SOURCE);
      this.#pending(pvc);
      return this.#backoff(pvc, now);
    }
    const failure = sc.metadata.annotations?.[PROVISIONING_FAILS_ANNOTATION];
    if (failure !== undefined) {
      this.#annotateProvisioner(pvc, provisioner);
      this.ctx.events.record(pvc, 'Warning', 'ProvisioningFailed', failure, { component: provisioner || SOURCE.component });
      this.#pending(pvc);
      return this.#backoff(pvc, now);
    }

    // External provisioning: announce, wait a moment of simulated time, then create and bind the volume.
    const since = this.#provisioningSince.get(pvc.metadata.uid);
    if (since === undefined) {
      this.#annotateProvisioner(pvc, provisioner);
      this.ctx.events.record(
        pvc,
        'Normal',
        'ExternalProvisioning',
        `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
        SOURCE,
      );
      this.ctx.events.record(pvc, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${namespace}/${name}"`, { component: provisioner });
      this.#provisioningSince.set(pvc.metadata.uid, now);
      this.#pending(pvc);
      return PROVISION_DELAY_MS;
    }
    if (now < since + PROVISION_DELAY_MS) return since + PROVISION_DELAY_MS - now;
    const pvName = `pvc-${pvc.metadata.uid}`;
    let pv = this.ctx.store.get(res('persistentvolumes'), undefined, pvName);
    if (!pv) {
      pv = this.ctx.store.create(res('persistentvolumes'), {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: pvName, annotations: { 'pv.kubernetes.io/provisioned-by': provisioner }, finalizers: ['kubernetes.io/pv-protection'] },
        spec: {
          capacity: { storage: spec.resources?.requests?.storage ?? '1Gi' },
          accessModes: spec.accessModes ?? ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: (sc['reclaimPolicy'] as string | undefined) ?? 'Delete',
          storageClassName: className,
          volumeMode: spec.volumeMode ?? 'Filesystem',
          csi: { driver: provisioner, volumeHandle: pvName, fsType: 'ext4' },
          claimRef: this.#claimRef(pvc),
        },
        status: { phase: 'Pending' },
      });
    }
    this.#bind(pvc, pv);
    this.ctx.events.record(pvc, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pvName} using ${provisioner}`, { component: provisioner });
    this.#provisioningSince.delete(pvc.metadata.uid);
    this.#retry.delete(pvc.metadata.uid);
    return;
  }

  #claimRef(pvc: KubeObject): Record<string, string> {
    return { kind: 'PersistentVolumeClaim', namespace: pvc.metadata.namespace ?? 'default', name: pvc.metadata.name, uid: pvc.metadata.uid, apiVersion: 'v1', resourceVersion: pvc.metadata.resourceVersion };
  }

  #hasConsumer(pvc: KubeObject): boolean {
    if (pvc.metadata.annotations?.['volume.kubernetes.io/selected-node']) return true;
    return this.ctx.store
      .list(res('pods'), { namespace: pvc.metadata.namespace ?? 'default' })
      .items.some((p) => ((podSpec(p)['volumes'] as { persistentVolumeClaim?: { claimName?: string } }[] | undefined) ?? []).some((v) => v.persistentVolumeClaim?.claimName === pvc.metadata.name));
  }

  #findVolume(pvc: KubeObject, className: string, request: number): KubeObject | undefined {
    const modes = claimSpec(pvc).accessModes ?? [];
    const candidates = this.ctx.store.list(res('persistentvolumes')).items.filter((pv) => {
      const s = (pv['spec'] as { storageClassName?: string; claimRef?: { uid?: string; name?: string; namespace?: string }; accessModes?: string[]; capacity?: { storage?: string } } | undefined) ?? {};
      const phase = (pv['status'] as { phase?: string } | undefined)?.phase ?? 'Available';
      if (s.claimRef && !(s.claimRef.name === pvc.metadata.name && s.claimRef.namespace === pvc.metadata.namespace)) return false;
      if (!s.claimRef && phase !== 'Available') return false;
      if ((s.storageClassName ?? '') !== className) return false;
      if (!modes.every((m) => (s.accessModes ?? []).includes(m))) return false;
      return (parseQuantity(s.capacity?.storage) ?? 0) >= request;
    });
    const size = (pv: KubeObject) => parseQuantity((pv['spec'] as { capacity?: { storage?: string } }).capacity?.storage) ?? 0;
    return candidates.sort((a, b) => size(a) - size(b))[0];
  }

  #bind(pvc: KubeObject, pv: KubeObject): void {
    const pvSpec = pv['spec'] as { capacity?: Record<string, string>; accessModes?: string[] };
    this.ctx.store.mutate(res('persistentvolumes'), undefined, pv.metadata.name, (v) => {
      (v['spec'] as Record<string, unknown>)['claimRef'] = this.#claimRef(pvc);
      v.metadata.annotations = { ...(v.metadata.annotations ?? {}), 'pv.kubernetes.io/bound-by-controller': 'yes' };
    });
    this.ctx.store.mutate(res('persistentvolumes'), undefined, pv.metadata.name, (v) => { v['status'] = { phase: 'Bound' }; }, { subresource: 'status' });
    this.ctx.store.mutate(res('persistentvolumeclaims'), pvc.metadata.namespace, pvc.metadata.name, (c) => {
      (c['spec'] as ClaimSpec).volumeName = pv.metadata.name;
      c.metadata.annotations = { ...(c.metadata.annotations ?? {}), 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' };
    });
    this.ctx.store.mutate(
      res('persistentvolumeclaims'),
      pvc.metadata.namespace,
      pvc.metadata.name,
      (c) => {
        c['status'] = { phase: 'Bound', accessModes: pvSpec.accessModes ?? ['ReadWriteOnce'], capacity: { ...(pvSpec.capacity ?? {}) } };
      },
      { subresource: 'status' },
    );
    this.#retry.delete(pvc.metadata.uid);
  }

  #pending(pvc: KubeObject): void {
    if ((pvc['status'] as { phase?: string } | undefined)?.phase === 'Pending') return;
    this.ctx.store.mutate(res('persistentvolumeclaims'), pvc.metadata.namespace, pvc.metadata.name, (c) => { c['status'] = { phase: 'Pending' }; }, { subresource: 'status' });
  }

  #annotateProvisioner(pvc: KubeObject, provisioner: string): void {
    if (pvc.metadata.annotations?.['volume.kubernetes.io/storage-provisioner'] === provisioner) return;
    this.ctx.store.mutate(res('persistentvolumeclaims'), pvc.metadata.namespace, pvc.metadata.name, (c) => {
      c.metadata.annotations = { ...(c.metadata.annotations ?? {}), 'volume.beta.kubernetes.io/storage-provisioner': provisioner, 'volume.kubernetes.io/storage-provisioner': provisioner };
    });
  }

  /** Retries a failed claim after 15 s, doubling to 5 min (the events aggregate into one with a count). */
  #backoff(pvc: KubeObject, now: number): number {
    const prior = this.#retry.get(pvc.metadata.uid);
    if (prior && now < prior.until) return prior.until - now;
    const delay = prior ? Math.min(prior.delay * 2, RETRY_MAX_MS) : RETRY_START_MS;
    this.#retry.set(pvc.metadata.uid, { delay, until: now + delay });
    return delay;
  }

  /** A deleted claim: its volume is deleted (reclaim policy Delete) or Released (Retain). */
  #releaseVolumes(namespace: string, name: string): ReconcileResult {
    for (const pv of this.ctx.store.list(res('persistentvolumes')).items) {
      const s = (pv['spec'] as { claimRef?: { namespace?: string; name?: string }; persistentVolumeReclaimPolicy?: string } | undefined) ?? {};
      if (s.claimRef?.namespace !== namespace || s.claimRef.name !== name) continue;
      if ((s.persistentVolumeReclaimPolicy ?? 'Delete') === 'Delete') {
        try {
          this.ctx.store.delete(res('persistentvolumes'), undefined, pv.metadata.name);
        } catch {
          // already gone
        }
      } else if ((pv['status'] as { phase?: string } | undefined)?.phase !== 'Released') {
        this.ctx.store.mutate(res('persistentvolumes'), undefined, pv.metadata.name, (v) => { v['status'] = { phase: 'Released' }; }, { subresource: 'status' });
      }
    }
  }
}
