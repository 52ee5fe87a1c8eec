import { InputError } from '../../contracts/errors.js';

/**
 * A dump directory or a `kubectl get -o json` file cannot be used: not JSON, not a Kubernetes object
 * or list, too large, not a dump. `issues` name each file (`path`) and its problem; the message is one
 * sentence a person can act on. Code `AETHERIUS_E_INPUT`, never retryable.
 */
export class DumpInputError extends InputError {}
