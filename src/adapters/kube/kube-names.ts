/**
 * Checks on what goes into an API path. Names and namespaces come from events, commands and config,
 * so they are validated before any request is built: a `../` or a `?` must never reach the URL.
 */
import { InputError } from '../../contracts/errors.js';
import type { KubeResource } from '../../core/kube/kube-api.js';

/** DNS-1123 label: namespaces, container names, services. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** DNS-1123 subdomain: the names of most objects (pods, nodes, configmaps, deployments). */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const GROUP = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$/;
const VERSION = /^v[0-9]+((alpha|beta)[0-9]+)?$/;
const PLURAL = /^[a-z][a-z0-9]*$/;
const SUBRESOURCE = /^[a-z]+$/;

function bad(field: string, value: unknown, problem: string): InputError {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value) : String(value);
  return new InputError(`${field} ${shown} ${problem}`, [{ path: field, message: problem }]);
}

/**
 * @throws InputError when `value` is not a DNS-1123 label of at most 63 characters.
 */
export function assertLabelName(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) throw bad(field, value, 'must be a non-empty string');
  if (value.length > 63 || !DNS1123_LABEL.test(value)) throw bad(field, value, 'must be a DNS-1123 label: at most 63 lowercase letters, digits or "-", starting and ending with a letter or digit');
}

/**
 * @throws InputError when `value` is not a DNS-1123 subdomain of at most 253 characters.
 */
export function assertObjectName(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) throw bad(field, value, 'must be a non-empty string');
  if (value.length > 253 || !DNS1123_SUBDOMAIN.test(value)) {
    throw bad(field, value, 'must be a DNS-1123 subdomain: at most 253 lowercase letters, digits, "-" or ".", starting and ending with a letter or digit');
  }
}

/**
 * @throws InputError when the resource's group, version or plural could not be a URL path of the API.
 */
export function assertResource(resource: KubeResource): void {
  if (typeof resource !== 'object' || resource === null) throw bad('resource', resource, 'must be a KubeResource');
  if (typeof resource.group !== 'string' || !GROUP.test(resource.group)) throw bad('resource.group', resource.group, 'must be empty (core) or a DNS subdomain');
  if (typeof resource.version !== 'string' || !VERSION.test(resource.version)) throw bad('resource.version', resource.version, 'must be an API version such as v1 or v1beta1');
  if (typeof resource.plural !== 'string' || !PLURAL.test(resource.plural)) throw bad('resource.plural', resource.plural, 'must be a lowercase resource plural such as pods');
}

/**
 * @throws InputError when `value` is not a lowercase subresource name such as `eviction`.
 */
export function assertSubresource(value: unknown): asserts value is string {
  if (typeof value !== 'string' || !SUBRESOURCE.test(value) || value.length > 63) throw bad('subresource', value, 'must be a lowercase subresource name such as eviction or status');
}
