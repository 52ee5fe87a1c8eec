/**
 * Persistence re-emission. A state-derived signal is sent once, on its transition; while its condition
 * still holds, the agent sends it again every `agent.state_resync_interval` (new event id,
 * `raw_data.repeat` counting up, same reason, severity and object), so the control plane reads a
 * re-emission as "still firing" and silence as "possibly recovered".
 *
 * Only active conditions are kept, one entry per condition (conditionIdOf): a condition is forgotten
 * at its next due time when it no longer holds or its object is gone, and replaced when a new
 * transition of the same condition is sent, so an entry outlives its condition by one interval at most. Whether a condition holds is asked of the caller when an entry is due.
 */
import { conditionIdOf, isPersistentSignal } from '../core/classify/state-persistence.js';
import type { StateSignal } from '../core/classify/state-signals.js';

export interface TrackedCondition {
  /** The latest signal sent for the condition (the transition, or the last re-emission). */
  signal: StateSignal;
  /** The transition's timestamp (RFC 3339): `raw_data.first_timestamp` of every re-emission. */
  firstTimestamp: string;
  /** Cluster time of the latest send, epoch ms. */
  lastSentMs: number;
  /** Re-emissions so far. */
  repeat: number;
  /** Keys of the transitions sent for this condition (the latest few), to tell a new transition from one seen before. */
  keys: string[];
}

/** A due condition: the signal to send now (as it stands) and its repeat number. */
export interface Reemission {
  signal: StateSignal;
  repeat: number;
  firstTimestamp: string;
}

/** Kubernetes timestamps have second precision: an interval that is due within a second is due. */
const SLACK_MS = 1000;
/** Transition keys remembered per condition (a container alternates between two waiting reasons). */
const MAX_KEYS = 8;

export class StateResync {
  readonly #intervalMs: number;
  readonly #entries = new Map<string, TrackedCondition>();

  /** `intervalMs` 0 turns re-emission off (nothing is tracked). */
  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  get enabled(): boolean {
    return this.#intervalMs > 0;
  }

  /** Conditions currently tracked. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * A signal was sent on a transition. A persistent one starts (or restarts) its condition's schedule.
   * A transition already sent for the condition (a relist derives it again; a container flips back from
   * ImagePullBackOff to ErrImagePull) carries an id the control plane has seen, so it changes nothing.
   */
  track(sig: StateSignal, nowMs: number): void {
    if (!this.enabled || !isPersistentSignal(sig)) return;
    const id = conditionIdOf(sig);
    const existing = this.#entries.get(id);
    if (existing?.keys.includes(sig.key)) return;
    const keys = [...(existing?.keys ?? []), sig.key].slice(-MAX_KEYS);
    this.#entries.set(id, { signal: sig, firstTimestamp: sig.timestamp, lastSentMs: nowMs, repeat: 0, keys });
  }

  /**
   * Runs one resync at cluster time `nowMs`: for every condition due (its last send at least an
   * interval ago), `holds` says whether it still holds and how it stands (undefined: it is over, and
   * forgotten). Returns what to send; the schedule of each moves on.
   */
  due(nowMs: number, holds: (tracked: StateSignal) => StateSignal | undefined): Reemission[] {
    if (!this.enabled) return [];
    const out: Reemission[] = [];
    for (const [id, entry] of this.#entries) {
      if (nowMs - entry.lastSentMs < this.#intervalMs - SLACK_MS) continue;
      const current = holds(entry.signal);
      if (current === undefined) {
        this.#entries.delete(id);
        continue;
      }
      entry.repeat++;
      entry.lastSentMs = nowMs;
      entry.signal = current;
      out.push({ signal: current, repeat: entry.repeat, firstTimestamp: entry.firstTimestamp });
    }
    return out;
  }
}
