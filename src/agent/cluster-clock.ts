/**
 * The cluster's time as the agent can tell it: the wall clock, unless the cluster's own timestamps run
 * ahead of it. Grace periods and re-emission intervals are measured in this time, so they mean the
 * same on a real cluster and on the simulator, whose clock plays a 15-minute incident in seconds.
 *
 * It follows server-stamped times only (an object's `creationTimestamp` when it appears, the endpoints
 * controller's change time, metrics-server's sample time): Event timestamps come from the reporting
 * component's clock (a kubelet's may be skewed) and a `deletionTimestamp` lies in the future by the
 * grace period. Between observations it advances with the wall clock. It never goes back.
 */
export class ClusterClock {
  readonly #wall: () => number;
  /** Latest observed cluster time, epoch ms, and the wall time when it was observed. */
  #observed = Number.NEGATIVE_INFINITY;
  #observedAtWall = 0;

  constructor(wall: () => number = Date.now) {
    this.#wall = wall;
  }

  /** Takes note of a server-stamped time (RFC 3339 text or epoch ms); anything unreadable is ignored. */
  observe(time: unknown): void {
    const ms = typeof time === 'number' ? time : typeof time === 'string' && time.length <= 64 ? Date.parse(time) : NaN;
    if (!Number.isFinite(ms) || ms <= this.#observed) return;
    this.#observed = ms;
    this.#observedAtWall = this.#wall();
  }

  /** Now, epoch ms. */
  now(): number {
    const wall = this.#wall();
    if (this.#observed === Number.NEGATIVE_INFINITY) return wall;
    return Math.max(wall, this.#observed + Math.max(0, wall - this.#observedAtWall));
  }
}
