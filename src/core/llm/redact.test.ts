import { describe, expect, it } from 'vitest';
import { REDACTION_PLACEHOLDERS, redact } from './redact.js';

const P = REDACTION_PLACEHOLDERS;

/** Asserts `secret` is gone from the redacted text and the placeholder of `kind` is there. */
function expectRedacted(text: string, secret: string, placeholder: string): string {
  const out = redact(text).text;
  expect(out).not.toContain(secret);
  expect(out).toContain(placeholder);
  return out;
}

describe('redact: secrets', () => {
  it('removes a PEM private key block, whole or cut off by a line limit', () => {
    const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu';
    const whole = `loading key\n-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\ndone`;
    const out = redact(whole);
    expect(out.text).toBe(`loading key\n${P.private_key}\ndone`);
    expect(out.counts.private_key).toBe(1);

    const rsa = `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`;
    expect(redact(rsa).text).toBe(P.private_key);

    const truncated = `key: -----BEGIN EC PRIVATE KEY-----\n${body}`;
    expect(redact(truncated).text).not.toContain('MIIEvQ');
    expect(redact(truncated).text).not.toContain('MzEfYyji');
  });

  it('removes the password of a URL but keeps the scheme, host and path', () => {
    const out = redact('dial postgres://app:s3cr3t-Pa55@db.shop.svc:5432/orders?sslmode=require failed');
    expect(out.text).toBe(`dial postgres://${P.url_credentials}@db.shop.svc:5432/orders?sslmode=require failed`);
    expect(out.counts.url_credentials).toBe(1);
    expectRedacted('GET https://admin:hunter2@registry.example.com/v2/', 'hunter2', P.url_credentials);
  });

  it('removes bearer tokens, Authorization headers and JWTs', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';
    expect(redact(`Authorization: Bearer ${jwt}`).text).toBe(`Authorization: Bearer ${P.token}`);
    expect(redact(`curl -H "authorization: Basic YWRtaW46aHVudGVyMg==" http://x`).text).toBe(`curl -H "authorization: Basic ${P.token}" http://x`);
    expectRedacted(`token in log: ${jwt} end`, jwt.slice(0, 30), P.token);
    expectRedacted('sent Bearer abcdef0123456789XYZ to upstream', 'abcdef0123456789XYZ', P.token);
  });

  it('removes well-known API tokens and AWS access keys', () => {
    expectRedacted('GITHUB_TOKEN ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 used', 'ghp_aBcDeF', P.token);
    expectRedacted('slack xoxb-1234567890-abcdefghijklmnop failed', 'xoxb-1234567890', P.token);
    expectRedacted('key sk-proj-abcdefghijklmnopqrstuvwxyz012345 rejected', 'sk-proj-abc', P.token);
    const out = redact('using AKIAIOSFODNN7EXAMPLE for s3');
    expect(out.text).toBe(`using ${P.aws_key} for s3`);
    expect(out.counts.aws_key).toBe(1);
  });

  it('removes the value of password=, secret:, api_key and similar keys, keeping the key', () => {
    expect(redact('DB_PASSWORD=hunter2 DB_USER=app').text).toBe(`DB_PASSWORD=${P.secret} DB_USER=app`);
    expect(redact('{"client_secret": "abc123", "name": "web"}').text).toBe(`{"client_secret": "${P.secret}", "name": "web"}`);
    expect(redact("api_key: 'k-9f8e7d'").text).toBe(`api_key: '${P.secret}'`);
    expect(redact('X-Api-Key: 0a1b2c3d').text).toBe(`X-Api-Key: ${P.secret}`);
    expect(redact('spring.datasource.password=changeit;').text).toBe(`spring.datasource.password=${P.secret};`);
    expect(redact('aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY').text).not.toContain('wJalrXUtnFEMI');
    expect(redact('password=hunter2').counts.secret).toBe(1);
  });

  it('removes long hex and base64 tokens but not image digests or container ids', () => {
    expectRedacted('session 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 expired', '9f86d081884c7d65', P.token);
    expectRedacted('cookie value dGhpcyBpcyBhIHNlY3JldCB2YWx1ZSB0aGF0IGlzIGxvbmc9PQ== rejected', 'dGhpcyBpcyBh', P.token);
    const digest = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
    const container = 'containerd://4f1b2b0b822cd15d6c15b0f00a089f86d081884c7d659a2feaa0c55ad015a3bf';
    const text = `Image ID: docker.io/library/nginx@${digest}\nContainer ID: ${container}`;
    expect(redact(text).text).toBe(text);
  });
});

describe('redact: personal data', () => {
  it('removes email addresses', () => {
    const out = redact('owner: jane.doe+oncall@example.co.uk, cc ops@shop.io');
    expect(out.text).toBe(`owner: ${P.email}, cc ${P.email}`);
    expect(out.counts.email).toBe(2);
  });

  it('removes IPv4 addresses, with or without a port or a CIDR suffix', () => {
    const out = redact('dial tcp 10.42.1.17:5432: connect: connection refused; from 192.168.0.5 in 172.16.0.0/12');
    expect(out.text).toBe(`dial tcp ${P.ip}:5432: connect: connection refused; from ${P.ip} in ${P.ip}/12`);
    expect(out.counts.ip).toBe(3);
    expect(redact('{"pod_ip":"10.244.3.9","host_ip": "203.0.113.7"}').text).toBe(`{"pod_ip":"${P.ip}","host_ip": "${P.ip}"}`);
    expect(redact('ip:10.0.0.1 and podIP=10.0.0.2').text).toBe(`ip:${P.ip} and podIP=${P.ip}`);
    expect(redact('lookup db on 10.96.0.10:53: no such host').text).toBe(`lookup db on ${P.ip}:53: no such host`);
  });

  it('removes IPv6 addresses in their full, compressed, bracketed and IPv4-mapped forms', () => {
    for (const addr of ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', '2001:db8::1', 'fe80::1ff:fe23:4567:890a', '::ffff:10.0.0.1']) {
      const out = redact(`peer ${addr} closed`);
      expect(out.text, addr).toBe(`peer ${P.ip} closed`);
    }
    expect(redact('GET http://[2001:db8::42]:8080/healthz').text).toBe(`GET http://[${P.ip}]:8080/healthz`);
  });

  it('keeps loopback and the unspecified address, which identify nobody', () => {
    const text = 'listening on 0.0.0.0:8080; connect ECONNREFUSED 127.0.0.1:6379; bound [::1]:9090';
    expect(redact(text).text).toBe(text);
  });
});

describe('redact: Kubernetes text is left alone', () => {
  it('keeps pod and node names, quantities, exit codes, timestamps, image tags and versions', () => {
    const text = [
      '2025-09-30T10:15:30.123Z Warning BackOff pod/checkout-7d9f8c6b5-x2x4z Back-off restarting failed container',
      'Last State: Terminated, Reason: OOMKilled, Exit Code: 137, limits: memory=128Mi cpu=500m',
      'Pulling image "nginx:1.25.3"; Successfully pulled image "registry.k8s.io/pause:3.9" in 1.2s',
      'Node ip-10-0-1-23.ec2.internal status is now: NodeNotReady (kubelet v1.29.2, containerd 1.7.13)',
      'image app:2.4.1.7 rolled out; uid 123e4567-e89b-12d3-a456-426614174000; at 10:15:30 and 23:59:59',
      'secretName: db-credentials; Error: secret "db-credentials" not found; max_tokens: 512; tokenizer=bpe',
      'at org.springframework.beans.factory.support.AbstractAutowireCapableBeanFactory.createBean(AbstractAutowireCapableBeanFactory.java:542)',
      'GET /apis/apps/v1/namespaces/shop/deployments/checkout-frontend-primary 200; std::vector<int> a::b',
      'MAC 02:42:ac:11:00:02 on eth0',
    ].join('\n');
    const out = redact(text);
    expect(out.text).toBe(text);
    expect(Object.values(out.counts).every((n) => n === 0)).toBe(true);
  });

  it('redacts a realistic log excerpt: secrets, emails and addresses go, the diagnosis stays', () => {
    const log = [
      '2025-09-30T10:15:01Z INFO  starting checkout v2.14.0 pod=checkout-7d9f8c6b5-x2x4z node=worker-3',
      '2025-09-30T10:15:01Z DEBUG config DATABASE_URL=postgres://checkout:Sup3rS3cret@10.42.7.31:5432/orders',
      '2025-09-30T10:15:02Z DEBUG outbound headers {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiamFuZSJ9.Zm9vYmFyYmF6cXV4", "X-Request-Id": "r-81"}',
      '2025-09-30T10:15:03Z WARN  payment callback for customer jane.doe@example.com from 203.0.113.45 declined',
      '2025-09-30T10:15:04Z ERROR stripe api_key=sk_live_51HxYzAbCdEfGhIjKlMnOpQr rejected: 401',
      '2025-09-30T10:15:05Z ERROR dial tcp [2001:db8:0:1::17]:6379: i/o timeout (redis, 3 retries)',
      '2025-09-30T10:15:06Z FATAL java.lang.OutOfMemoryError: Java heap space (heap 512Mi, limit 512Mi)',
    ].join('\n');
    const out = redact(log);
    for (const leaked of ['Sup3rS3cret', '10.42.7.31', 'eyJhbGciOiJIUzI1NiJ9', 'jane.doe@example.com', '203.0.113.45', 'sk_live_51HxYz', '2001:db8:0:1::17']) {
      expect(out.text, leaked).not.toContain(leaked);
    }
    for (const kept of ['checkout-7d9f8c6b5-x2x4z', 'v2.14.0', 'worker-3', '2025-09-30T10:15:06Z', 'java.lang.OutOfMemoryError: Java heap space', '512Mi', ':6379: i/o timeout', 'rejected: 401', '"X-Request-Id": "r-81"']) {
      expect(out.text, kept).toContain(kept);
    }
    expect(out.counts).toMatchObject({ url_credentials: 1, email: 1, secret: 1 });
    expect(out.counts.ip).toBe(3);
    expect(out.counts.token).toBeGreaterThanOrEqual(1);
  });

  it('is idempotent: redacting twice changes nothing more', () => {
    const once = redact('password=x1 token: abc.def jane@example.com 10.1.2.3 Bearer abcdefgh12345678').text;
    const twice = redact(once);
    expect(twice.text).toBe(once);
    expect(Object.values(twice.counts).every((n) => n === 0)).toBe(true);
  });
});
