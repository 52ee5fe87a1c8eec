/**
 * The `llm:` section of the configuration: the optional OpenAI-compatible model that phrases summaries
 * and reorders low-confidence candidates, and its budget (docs/llm.md). Kept beside schema.ts, which
 * composes it. Budget figures follow the operations guide, §5.1 (80% warning, 95% throttle).
 */
import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from '../../contracts/index.js';

const DURATION_MESSAGE = 'must be a duration such as 30s, 1m30s or 500ms';

function durationKey(defaultValue: string, description: string) {
  return z
    .string({ error: DURATION_MESSAGE })
    .regex(DURATION_PATTERN, DURATION_MESSAGE)
    .transform((text) => parseDuration(text))
    .refine((ms) => ms > 0, 'must be longer than 0s')
    .prefault(defaultValue)
    .meta({ description, kind: 'duration' });
}

const usd = (def: number, description: string) => z.number({ error: 'must be a number of US dollars' }).min(0, 'must be 0 (no limit) or more').default(def).meta({ description });
const ratio = (def: number, description: string) => z.number({ error: 'must be a number between 0 and 1' }).gt(0, 'must be greater than 0').max(1, 'must be at most 1').default(def).meta({ description });

const modelPrice = z.strictObject({
  input_per_1k_tokens: z.number({ error: 'must be a price in US dollars' }).min(0, 'must be 0 or more'),
  output_per_1k_tokens: z.number({ error: 'must be a price in US dollars' }).min(0, 'must be 0 or more'),
});

/** A map in YAML; in the environment variable, the same map as JSON. */
const pricing = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    if (v.trim() === '') return {};
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  },
  z.record(z.string().min(1, 'model names must not be empty').max(256), modelPrice, { error: 'must be a map of model name to {input_per_1k_tokens, output_per_1k_tokens} (JSON in the environment variable)' }),
);

export const llmConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false).meta({ description: 'Use an OpenAI-compatible LLM to phrase incident summaries and to rank root-cause candidates when no rule is confident. Off: every answer is the deterministic one.' }),
    base_url: z
      .string()
      .refine((s) => s === '' || /^https?:\/\/[^\s/]+/.test(s), 'must be empty or an http:// or https:// URL')
      .default('')
      .meta({ description: 'Base URL of the chat-completions API up to the version, e.g. https://api.openai.com/v1, http://vllm:8000/v1, http://llama:8080/v1 or http://ollama:11434/v1; the client POSTs to {base_url}/chat/completions.' }),
    model: z.string().max(256).default('').meta({ description: 'Model name sent with every request (e.g. gpt-4o-mini, meta-llama/Llama-3.1-8B-Instruct, llama3.1:8b).' }),
    api_key: z.string().default('').meta({ description: 'API key sent as a bearer token; empty sends none (local servers). Prefer the environment variable.', secret: true }),
    timeout: durationKey('20s', 'Longest wait for one answer, a retry after HTTP 429 or 5xx included; past it the deterministic answer is used.'),
    max_tokens: z.number().int('must be an integer').min(16, 'must be at least 16').max(32_768, 'must be at most 32768').default(512).meta({ description: 'Largest completion asked for (max_tokens); also what the budget check assumes a call will produce.' }),
    rank_below_confidence: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.5).meta({ description: 'The LLM is asked to rank root-cause candidates only when no rule scored at least this confidence.' }),
    pricing: pricing.default({}).meta({
      description:
        'Price per 1,000 tokens by model name, e.g. {gpt-4o-mini: {input_per_1k_tokens: 0.00015, output_per_1k_tokens: 0.0006}} (JSON in the environment variable). A model without a price costs $0, as on a local server.',
    }),
    budget: z
      .strictObject({
        daily_usd: usd(10, 'LLM spending limit per UTC day, in US dollars. 0: no daily limit.'),
        monthly_usd: usd(200, 'LLM spending limit per UTC calendar month, in US dollars. 0: no monthly limit.'),
        per_task_usd: usd(0.5, 'LLM spending limit per task (incident or workflow), in US dollars. 0: no per-task limit.'),
        warning_ratio: ratio(0.8, 'Share of any limit from which calls are flagged with a warning (and still made).'),
        throttle_ratio: ratio(0.95, 'Share of any limit from which no more calls are made: the deterministic answer is used, with a note saying why.'),
      })
      .refine((b) => b.warning_ratio <= b.throttle_ratio, { path: ['warning_ratio'], message: 'must be at most throttle_ratio' })
      .prefault({}),
  })
  .superRefine((llm, ctx) => {
    if (!llm.enabled) return;
    if (llm.base_url === '') ctx.addIssue({ code: 'custom', path: ['base_url'], message: 'is required when llm.enabled is true' });
    if (llm.model === '') ctx.addIssue({ code: 'custom', path: ['model'], message: 'is required when llm.enabled is true' });
  })
  .prefault({});
