/**
 * The LLM client and assistant against a PROTOCOL FAKE of an OpenAI-compatible chat-completions server
 * — not a model (no hosted LLM or local model can run here). The fake is a real `node:http` server on a
 * random port that speaks the wire protocol strictly enough to catch a client that does not (POST
 * /v1/chat/completions, JSON body with model, messages of {role, content}, temperature, max_tokens;
 * answers in the chat.completion shape with usage), records every request it receives, and answers
 * whatever each test scripts: errors, Retry-After, slow answers, garbage.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChatCompletionsClient, LlmAssistant, LlmProtocolError, LlmUnavailableError, llmAssistantFromConfig, type LlmAssistantEvent } from '../src/adapters/llm/index.js';
import { resolveConfig } from '../src/core/config/index.js';
import { MemoryUsageLedger, deterministicSummary, type AssistantAnalysis, type BudgetLimits } from '../src/core/llm/index.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: { model: string; messages: { role: string; content: string }[]; temperature: number; max_tokens: number };
  raw: string;
  at: number;
}

interface Reply {
  status?: number;
  /** A string is sent as it is; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

interface ChatServerFake {
  url: string;
  received: Received[];
  violations: string[];
  /** Replies for the next requests, in order; after them, `completion(defaultContent)`. */
  script(...replies: Reply[]): void;
  defaultContent: string;
  close(): Promise<void>;
}

function completion(content: string, usage = { prompt_tokens: 1200, completion_tokens: 80 }): Record<string, unknown> {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_760_000_000,
    model: 'fake-model-2025',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

function protocolViolation(method: string | undefined, path: string | undefined, headers: IncomingHttpHeaders, raw: string): string | undefined {
  if (method !== 'POST') return `method ${method ?? ''} instead of POST`;
  if (path !== '/v1/chat/completions') return `path ${path ?? ''}`;
  if (!String(headers['content-type'] ?? '').startsWith('application/json')) return 'content-type is not application/json';
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return 'body is not JSON';
  }
  if (typeof body['model'] !== 'string' || body['model'] === '') return 'model missing';
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) return 'messages missing';
  for (const m of messages as Record<string, unknown>[]) {
    if (!['system', 'user', 'assistant'].includes(String(m['role']))) return `bad role ${String(m['role'])}`;
    if (typeof m['content'] !== 'string') return 'message content is not a string';
  }
  if (body['temperature'] !== undefined && typeof body['temperature'] !== 'number') return 'temperature is not a number';
  if (body['max_tokens'] !== undefined && !Number.isInteger(body['max_tokens'])) return 'max_tokens is not an integer';
  if (body['stream'] === true) return 'streaming is not what this fake speaks';
  return undefined;
}

async function startChatServerFake(): Promise<ChatServerFake> {
  const received: Received[] = [];
  const violations: string[] = [];
  let queue: Reply[] = [];
  const fake = {
    url: '',
    received,
    violations,
    defaultContent: 'The checkout pod was OOMKilled; raise its memory limit.',
    script: (...replies: Reply[]) => {
      queue = replies;
    },
    close: () => Promise.resolve(),
  } satisfies ChatServerFake;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const violation = protocolViolation(req.method, req.url, req.headers, raw);
      if (violation) {
        violations.push(violation);
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: violation, type: 'invalid_request_error' } }));
        return;
      }
      received.push({ headers: req.headers, body: JSON.parse(raw) as Received['body'], raw, at: Date.now() });
      const reply = queue.shift() ?? { body: completion(fake.defaultContent) };
      const send = () => {
        if (res.destroyed) return;
        const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers }).end(body);
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

// ---- fixtures ----------------------------------------------------------------------------------------

const SECRETS = {
  email: 'jane.doe@example.com',
  ipv4: '10.42.7.31',
  ipv6: '2001:db8:0:1::17',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiamFuZSJ9.Zm9vYmFyYmF6cXV4',
  password: 'Sup3rS3cret',
  aws: 'AKIAIOSFODNN7EXAMPLE',
};

const analysis: AssistantAnalysis = {
  root_cause: {
    type: 'OOMKilled',
    confidence: 0.92,
    evidence: [
      'Exit code 137 indicates OOMKilled',
      `Last log: connecting to postgres://checkout:${SECRETS.password}@${SECRETS.ipv4}:5432/orders as ${SECRETS.email}`,
      `Authorization: Bearer ${SECRETS.jwt} sent to [${SECRETS.ipv6}]:8443 with key ${SECRETS.aws}`,
    ],
    resource: { kind: 'Pod', name: 'checkout-7d9f8c6b5-x2x4z', namespace: 'shop' },
  },
  candidates: [
    { type: 'OOMKilled', confidence: 0.92 },
    { type: 'MemoryLeak', confidence: 0.41 },
  ],
  recommendations: [{ action: 'UpdateResourceLimits', confidence: 0.8, risk: 'medium' }],
};

const NOW = Date.parse('2025-09-30T15:00:00Z');
const PRICING = { 'gpt-test': { input_per_1k_tokens: 0.01, output_per_1k_tokens: 0.03 } };
const LIMITS: BudgetLimits = { daily_usd: 10, monthly_usd: 200, per_task_usd: 0.5, warning_ratio: 0.8, throttle_ratio: 0.95 };

let fake: ChatServerFake;
let ledger: MemoryUsageLedger;
let events: LlmAssistantEvent[];

function assistant(clientOptions: Partial<ConstructorParameters<typeof ChatCompletionsClient>[0]> = {}): LlmAssistant {
  const client = new ChatCompletionsClient({ baseUrl: fake.url, model: 'gpt-test', apiKey: 'sk-local-test-key', timeoutMs: 3000, maxTokens: 256, retryWaitMs: 50, ...clientOptions });
  return new LlmAssistant({ client, ledger, pricing: PRICING, budget: LIMITS, maxTokens: 256, now: () => NOW, onEvent: (e) => events.push(e) });
}

async function spend(usd: number): Promise<void> {
  await ledger.record({ at: NOW - 3_600_000, model: 'gpt-test', task: 'earlier', prompt_tokens: 0, completion_tokens: 0, cost_usd: usd });
}

beforeEach(async () => {
  fake = await startChatServerFake();
  ledger = new MemoryUsageLedger();
  events = [];
});

afterEach(async () => {
  await fake.close();
});

// ---- tests -------------------------------------------------------------------------------------------

describe('LLM assistant against a chat-completions server', () => {
  it('sends model, messages, temperature 0 and max_tokens with the key as a bearer token, and uses the answer', async () => {
    const result = await assistant().summarize(analysis, { task: 'inc-1' });
    expect(fake.violations).toEqual([]);
    expect(fake.received).toHaveLength(1);
    const req = fake.received[0];
    expect(req?.headers['authorization']).toBe('Bearer sk-local-test-key');
    expect(req?.body).toMatchObject({ model: 'gpt-test', temperature: 0, max_tokens: 256 });
    expect(req?.body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(req?.body.messages[1]?.content).toContain('OOMKilled');
    expect(req?.body.messages[1]?.content).toContain('checkout-7d9f8c6b5-x2x4z');
    expect(result).toMatchObject({ text: fake.defaultContent, used_llm: true });
    expect(result.note).toBeUndefined();
  }, 10_000);

  it('sends no Authorization header to a server without a key (a local model)', async () => {
    await assistant({ apiKey: '' }).summarize(analysis);
    expect(fake.received[0]?.headers['authorization']).toBeUndefined();
  }, 10_000);

  it('redacts every email, address, token and password before anything reaches the server', async () => {
    await assistant().summarize(analysis);
    const raw = fake.received[0]?.raw ?? '';
    for (const [what, secret] of Object.entries(SECRETS)) expect(raw, what).not.toContain(secret);
    for (const placeholder of ['[REDACTED_EMAIL]', '[REDACTED_IP]', '[REDACTED_TOKEN]', '[REDACTED_CREDENTIALS]', '[REDACTED_AWS_KEY]']) expect(raw).toContain(placeholder);
    expect(raw).toContain('Exit code 137 indicates OOMKilled');
    const usage = events.find((e) => e.type === 'usage');
    expect(usage?.type === 'usage' ? usage.redactions.ip : 0).toBeGreaterThanOrEqual(2);
  }, 10_000);

  it('records tokens and cost per model and task in the ledger', async () => {
    await assistant().summarize(analysis, { task: 'inc-7' });
    const totals = await ledger.totals(0, { task: 'inc-7' });
    expect(totals).toMatchObject({ calls: 1, prompt_tokens: 1200, completion_tokens: 80 });
    expect(totals.cost_usd).toBeCloseTo((1200 / 1000) * 0.01 + (80 / 1000) * 0.03, 10);
    expect(totals.by_model['gpt-test']?.calls).toBe(1);
  }, 10_000);

  it('still calls from 80% of the daily budget, with a warning', async () => {
    await spend(8.1);
    const result = await assistant().summarize(analysis);
    expect(fake.received).toHaveLength(1);
    expect(result.used_llm).toBe(true);
    expect(result.budget?.level).toBe('warning');
    expect(result.note).toMatch(/budget warning: daily budget 8\d% used/);
    expect(events.some((e) => e.type === 'budget_warning')).toBe(true);
  }, 10_000);

  it('from 95% of the daily budget makes no request and answers deterministically, saying why', async () => {
    await spend(9.5);
    const result = await assistant().summarize(analysis);
    expect(fake.received).toHaveLength(0);
    expect(result).toMatchObject({ used_llm: false, text: deterministicSummary(analysis) });
    expect(result.text).toContain('OOMKilled');
    expect(result.note).toMatch(/^LLM skipped: daily budget 9\d% used/);
    expect(result.budget).toMatchObject({ allow: false, level: 'throttled' });
    expect((await ledger.totals(0)).calls).toBe(1);
  }, 10_000);

  it('falls back when the server keeps failing with 500, after exactly one retry', async () => {
    fake.script({ status: 500, body: { error: { message: 'CUDA out of memory' } } }, { status: 503, body: 'overloaded' });
    const result = await assistant().summarize(analysis);
    expect(fake.received).toHaveLength(2);
    expect(result.used_llm).toBe(false);
    expect(result.text).toBe(deterministicSummary(analysis));
    expect(result.note).toMatch(/^LLM unavailable: LLM server answered HTTP 503 again after a retry: overloaded/);
    expect((await ledger.totals(0)).calls).toBe(0);
  }, 10_000);

  it('falls back when the server does not answer in time, within the timeout', async () => {
    fake.script({ delayMs: 5000, body: completion('too late') });
    const started = Date.now();
    const result = await assistant({ timeoutMs: 400 }).summarize(analysis);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(result.used_llm).toBe(false);
    expect(result.note).toMatch(/did not answer within 400 ms/);
  }, 10_000);

  it('falls back on garbage: a body that is not JSON, or JSON that is not a completion', async () => {
    fake.script({ body: '<html>502 Bad Gateway</html>' });
    const a = assistant();
    const first = await a.summarize(analysis);
    expect(first).toMatchObject({ used_llm: false, text: deterministicSummary(analysis) });
    expect(first.note).toMatch(/^LLM answer unusable: .*not JSON/);
    fake.script({ body: { choices: [] } });
    const second = await a.summarize(analysis);
    expect(second.used_llm).toBe(false);
    expect(second.note).toMatch(/not a chat completion: choices/);
    expect(fake.received).toHaveLength(2);
  }, 10_000);

  it('honours Retry-After once, and does not retry when the server asks for longer than the cap', async () => {
    fake.script({ status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'rate limited' } } });
    const result = await assistant().summarize(analysis);
    expect(result.used_llm).toBe(true);
    expect(fake.received).toHaveLength(2);
    const gap = (fake.received[1]?.at ?? 0) - (fake.received[0]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(900);

    fake.received.length = 0;
    fake.script({ status: 429, headers: { 'retry-after': '120' }, body: { error: { message: 'come back later' } } });
    const refused = await assistant().summarize(analysis);
    expect(fake.received).toHaveLength(1);
    expect(refused.used_llm).toBe(false);
    expect(refused.note).toMatch(/HTTP 429: come back later/);
  }, 10_000);

  it('ranks with the LLM only when no rule is confident, following its order', async () => {
    const weak = [
      { type: 'DependencyUnavailable' as const, confidence: 0.42 },
      { type: 'DNSResolutionFailure' as const, confidence: 0.38 },
      { type: 'NetworkPolicyBlocked' as const, confidence: 0.2 },
    ];
    fake.script({ body: completion('{"ranking": ["NetworkPolicyBlocked", "DependencyUnavailable", "DNSResolutionFailure"]}') });
    const ranked = await assistant().rank(weak, { evidence: [`egress to ${SECRETS.ipv4}:5432 dropped`], logs: `connect to ${SECRETS.ipv4} timed out` }, { task: 'inc-9' });
    expect(ranked.used_llm).toBe(true);
    expect(ranked.ranking.map((c) => c.type)).toEqual(['NetworkPolicyBlocked', 'DependencyUnavailable', 'DNSResolutionFailure']);
    expect(fake.received[0]?.raw).not.toContain(SECRETS.ipv4);

    const confident = await assistant().rank([{ type: 'OOMKilled', confidence: 0.9 }, { type: 'MemoryLeak', confidence: 0.3 }]);
    expect(confident).toEqual({ ranking: [{ type: 'OOMKilled', confidence: 0.9 }, { type: 'MemoryLeak', confidence: 0.3 }], used_llm: false });
    expect(fake.received).toHaveLength(1);

    fake.script({ body: completion('Probably the network.') });
    const unusable = await assistant().rank(weak);
    expect(unusable.used_llm).toBe(false);
    expect(unusable.ranking.map((c) => c.type)).toEqual(['DependencyUnavailable', 'DNSResolutionFailure', 'NetworkPolicyBlocked']);
    expect(unusable.note).toMatch(/not a ranking/);
  }, 10_000);

  it('is built from the llm configuration; disabled, it never calls', async () => {
    const { config } = resolveConfig({ env: { AETHERIUS_LLM_ENABLED: 'true', AETHERIUS_LLM_BASE_URL: fake.url, AETHERIUS_LLM_MODEL: 'llama3.1:8b' } });
    const on = await llmAssistantFromConfig(config.llm, { ledger }).summarize(analysis);
    expect(on.used_llm).toBe(true);
    expect(fake.received[0]?.body.model).toBe('llama3.1:8b');
    expect(fake.received[0]?.body.max_tokens).toBe(512);
    expect((await ledger.totals(0)).by_model['llama3.1:8b']).toMatchObject({ calls: 1, cost_usd: 0 });

    const off = await llmAssistantFromConfig(resolveConfig({}).config.llm).summarize(analysis);
    expect(off).toEqual({ text: deterministicSummary(analysis), used_llm: false });
    expect(fake.received).toHaveLength(1);
  }, 10_000);
});

describe('ChatCompletionsClient errors', () => {
  it('converts errors once into typed errors that never carry the key', async () => {
    const key = 'sk-secret-never-shown';
    const client = new ChatCompletionsClient({ baseUrl: fake.url, model: 'gpt-test', apiKey: key, timeoutMs: 2000 });
    fake.script({ status: 401, body: { error: { message: `Incorrect API key provided: ${key}` } } });
    const unauthorized = await client.complete({ messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(LlmUnavailableError);
    expect(unauthorized).toMatchObject({ status: 401, retryable: false, code: 'AETHERIUS_E_LLM_UNAVAILABLE' });
    expect((unauthorized as Error).message).not.toContain(key);
    expect(fake.received).toHaveLength(1);

    fake.script({ body: { choices: [{ message: { role: 'assistant', content: null } }] } });
    await expect(client.complete({ messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(LlmProtocolError);

    await fake.close();
    const down = await client.complete({ messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(LlmUnavailableError);
    expect(down).toMatchObject({ status: 0, retryable: true });
    expect((down as Error).cause).toBeDefined();
  }, 10_000);

  it('estimates usage when a server leaves it out, so budgets still count the call', async () => {
    const client = new ChatCompletionsClient({ baseUrl: `${fake.url}/`, model: 'm', timeoutMs: 2000 });
    const body = completion('a short answer');
    delete body['usage'];
    fake.script({ body });
    const out = await client.complete({ messages: [{ role: 'user', content: 'x'.repeat(400) }] });
    expect(out.usage_estimated).toBe(true);
    expect(out.usage.prompt_tokens).toBeGreaterThanOrEqual(100);
    expect(out.usage.completion_tokens).toBeGreaterThan(0);
    expect(fake.violations).toEqual([]);
  }, 10_000);
});
