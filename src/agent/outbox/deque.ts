/**
 * A FIFO on a growable ring buffer. `Array#shift` copies the whole array once it is large, which would
 * make draining a full outbox quadratic; here push and shift are O(1) amortised.
 */
export class Deque<T> {
  #buffer: (T | undefined)[];
  #head = 0;
  #length = 0;

  constructor(initialCapacity = 16) {
    this.#buffer = new Array<T | undefined>(Math.max(2, initialCapacity));
  }

  get length(): number {
    return this.#length;
  }

  push(value: T): void {
    if (this.#length === this.#buffer.length) this.#grow();
    this.#buffer[(this.#head + this.#length) % this.#buffer.length] = value;
    this.#length++;
  }

  /** The oldest value, without removing it. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#buffer[this.#head];
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const value = this.#buffer[this.#head];
    // Release the slot so a drained outbox does not pin the items it sent.
    this.#buffer[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#buffer.length;
    this.#length--;
    return value;
  }

  /** Removes everything and returns it oldest first. */
  drain(): T[] {
    const out = [...this];
    this.#buffer = new Array<T | undefined>(this.#buffer.length);
    this.#head = 0;
    this.#length = 0;
    return out;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.#length; i++) yield this.#buffer[(this.#head + i) % this.#buffer.length] as T;
  }

  #grow(): void {
    const next = new Array<T | undefined>(this.#buffer.length * 2);
    for (let i = 0; i < this.#length; i++) next[i] = this.#buffer[(this.#head + i) % this.#buffer.length];
    this.#buffer = next;
    this.#head = 0;
  }
}
