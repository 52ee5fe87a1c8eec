/**
 * Semantic errors shared by every layer. Each has a stable `code` (listed in docs/errors.md) and says
 * whether retrying can help. Adapters convert foreign errors into these once, keeping `cause`.
 * The HTTP server maps them to responses in exactly one place (src/adapters/http/error-handler.ts).
 */

export interface AetheriusErrorOptions {
  cause?: unknown;
}

export abstract class AetheriusError extends Error {
  /** Stable machine-readable code, `AETHERIUS_E_*`. */
  abstract readonly code: string;
  /** True when the same call may succeed later without any change by the caller. */
  readonly retryable: boolean = false;

  constructor(message: string, options?: AetheriusErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** One problem found while validating input: where (a dotted key path) and what. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** The caller sent something invalid; `issues` names each field and its problem. */
export class InputError extends AetheriusError {
  readonly code: string = 'AETHERIUS_E_INPUT';
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, issues: readonly ValidationIssue[] = [], options?: AetheriusErrorOptions) {
    super(message, options);
    this.issues = issues;
  }
}

/** Configuration is invalid; `issues` lists every problem with its key path and bad value. */
export class ConfigError extends InputError {
  override readonly code = 'AETHERIUS_E_CONFIG';
}

export class NotFoundError extends AetheriusError {
  readonly code = 'AETHERIUS_E_NOT_FOUND';
}

export class ConflictError extends AetheriusError {
  readonly code = 'AETHERIUS_E_CONFLICT';
}

export class NotAllowedError extends AetheriusError {
  readonly code = 'AETHERIUS_E_NOT_ALLOWED';
}

/** A feature or target that exists in the plan but is not built yet. Never retried. */
export class NotImplementedError extends AetheriusError {
  readonly code = 'AETHERIUS_E_NOT_IMPLEMENTED';
}

/** A dependency (database, bus, cluster) did not answer; retrying later may succeed. */
export class UnavailableError extends AetheriusError {
  readonly code: string = 'AETHERIUS_E_UNAVAILABLE';
  override readonly retryable = true;
}

/** An operation did not finish in its time budget. */
export class TimeoutError extends AetheriusError {
  readonly code = 'AETHERIUS_E_TIMEOUT';
  override readonly retryable = true;
}

/** The bus refused or failed an operation (after conversion from the transport's own error). */
export class BusError extends UnavailableError {
  override readonly code = 'AETHERIUS_E_BUS';
}

/** A request found nobody listening on its subject. */
export class NoRespondersError extends UnavailableError {
  override readonly code = 'AETHERIUS_E_NO_RESPONDERS';
}

/** The store failed an operation (after conversion from the driver's own error). */
export class StoreError extends UnavailableError {
  override readonly code = 'AETHERIUS_E_STORE';
}

/** Too many requests of this kind at once; retrying after the others finish can succeed. */
export class RateLimitedError extends AetheriusError {
  readonly code = 'AETHERIUS_E_RATE_LIMITED';
  override readonly retryable = true;
}

/** A message or body is larger than the transport or server accepts; sending it again cannot help. */
export class PayloadTooLargeError extends AetheriusError {
  readonly code = 'AETHERIUS_E_PAYLOAD_TOO_LARGE';
}

/**
 * The Kubernetes API answered with an error status (or a watch sent an ERROR event). `status` is the
 * HTTP code (404, 409, 410 Gone/Expired, 429, 5xx) and `reason` the Status reason (`NotFound`, `Expired`).
 * Retryable for 429 and 5xx; 0 means the server was not reached.
 */
export class KubeApiError extends AetheriusError {
  readonly code = 'AETHERIUS_E_KUBE_API';
  override readonly retryable: boolean;
  readonly status: number;
  readonly reason: string;

  constructor(message: string, status: number, reason = '', options?: AetheriusErrorOptions) {
    super(message, options);
    this.status = status;
    this.reason = reason;
    this.retryable = status === 0 || status === 429 || status >= 500;
  }

  /** True for 410 Gone / Expired: the resourceVersion is too old, relist. */
  get expired(): boolean {
    return this.status === 410;
  }
}

export function isAetheriusError(err: unknown): err is AetheriusError {
  return err instanceof AetheriusError;
}

/** The message of any thrown value, for logs. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
