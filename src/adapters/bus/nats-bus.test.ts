import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../contracts/errors.js';
import { checkNatsBusOptions, natsStreamName } from './nats-bus.js';

describe('checkNatsBusOptions', () => {
  it('accepts a plain URL', () => {
    expect(() => checkNatsBusOptions({ servers: 'nats://127.0.0.1:4222' })).not.toThrow();
  });

  it('names every bad or conflicting option', () => {
    let error: unknown;
    try {
      checkNatsBusOptions({ servers: [], namespace: 'a.b', credentialsFile: '/x.creds', token: 't', tls: { certFile: 'c.pem' }, maxReconnectAttempts: -2 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.path)).toEqual(['servers', 'namespace', 'credentials', 'tls', 'maxReconnectAttempts']);
    expect((error as ConfigError).message).toMatch(/use one way to authenticate, not credentialsFile and token/);
  });

  it('takes an NKey seed file as one more exclusive way to authenticate, and checks the inbox prefix', () => {
    expect(() => checkNatsBusOptions({ servers: 'nats://h:4222', nkeySeedFile: '/agent.nk', inboxPrefix: '_INBOX_prod-us-west' })).not.toThrow();
    let error: unknown;
    try {
      checkNatsBusOptions({ servers: 'nats://h:4222', nkeySeedFile: '/agent.nk', user: 'u', password: 'p', inboxPrefix: '_INBOX.>' });
    } catch (err) {
      error = err;
    }
    expect((error as ConfigError).issues.map((i) => i.path)).toEqual(['credentials', 'inboxPrefix']);
    expect((error as ConfigError).message).toMatch(/not nkeySeedFile and user\/password/);
  });
});

describe('natsStreamName', () => {
  it('prefixes the upper-cased namespace', () => {
    expect(natsStreamName('AETHERIUS_EVENTS', 'ci_42')).toBe('CI_42_AETHERIUS_EVENTS');
    expect(natsStreamName('AETHERIUS_EVENTS')).toBe('AETHERIUS_EVENTS');
  });
});
