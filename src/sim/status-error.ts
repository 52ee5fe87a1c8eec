/**
 * Kubernetes `Status` errors: what the API server answers for every failure. Thrown by the store and
 * the API layer, turned into a `Status` body in exactly one place (the server's error handler).
 */
export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'Gone'
  | 'Expired'
  | 'UnsupportedMediaType'
  | 'NotAcceptable'
  | 'TooManyRequests'
  | 'RequestEntityTooLarge'
  | 'InternalError'
  | 'Forbidden';

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: StatusReason | '';
  details?: StatusDetails;
  code: number;
}

export class StatusError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details: StatusDetails | undefined;

  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'StatusError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): StatusBody {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }

  /** `pods "x" not found`, as the real server words it. */
  static notFound(resource: string, name: string, group = ''): StatusError {
    const qualified = group ? `${resource}.${group}` : resource;
    return new StatusError(404, 'NotFound', `${qualified} "${name}" not found`, { name, ...(group ? { group } : {}), kind: resource });
  }

  static alreadyExists(resource: string, name: string, group = ''): StatusError {
    const qualified = group ? `${resource}.${group}` : resource;
    return new StatusError(409, 'AlreadyExists', `${qualified} "${name}" already exists`, { name, ...(group ? { group } : {}), kind: resource });
  }

  static conflict(resource: string, name: string, group = ''): StatusError {
    const qualified = group ? `${resource}.${group}` : resource;
    return new StatusError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, ...(group ? { group } : {}), kind: resource },
    );
  }

  static invalid(kind: string, name: string, causes: StatusCause[], group = ''): StatusError {
    const qualified = group ? `${kind}.${group}` : kind;
    const detail = causes.map((c) => `${c.field ? `${c.field}: ` : ''}${c.message}`).join(', ');
    return new StatusError(422, 'Invalid', `${qualified} "${name}" is invalid: ${detail}`, { name, ...(group ? { group } : {}), kind, causes });
  }

  static badRequest(message: string): StatusError {
    return new StatusError(400, 'BadRequest', message);
  }

  static gone(message = 'too old resource version'): StatusError {
    return new StatusError(410, 'Expired', message);
  }
}
