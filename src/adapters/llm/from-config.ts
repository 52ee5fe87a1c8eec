import type { Config } from '../../core/config/index.js';
import { MemoryUsageLedger, type UsageLedger } from '../../core/llm/index.js';
import { ChatCompletionsClient } from './chat-completions-client.js';
import { LlmAssistant, type LlmAssistantEvent } from './llm-assistant.js';

export interface LlmFromConfigOptions {
  /** Default: an in-memory ledger (budgets then restart with the process). */
  ledger?: UsageLedger;
  now?: () => number;
  onEvent?: (event: LlmAssistantEvent) => void;
  userAgent?: string;
}

/**
 * The assistant the `llm:` configuration asks for. With `llm.enabled` false it has no client and
 * answers deterministically.
 * @throws TypeError when llm.base_url is not a URL (the configuration schema already refuses that).
 */
export function llmAssistantFromConfig(config: Config['llm'], options: LlmFromConfigOptions = {}): LlmAssistant {
  const client = config.enabled
    ? new ChatCompletionsClient({
        baseUrl: config.base_url,
        model: config.model,
        ...(config.api_key ? { apiKey: config.api_key } : {}),
        timeoutMs: config.timeout,
        maxTokens: config.max_tokens,
        ...(options.userAgent ? { userAgent: options.userAgent } : {}),
      })
    : undefined;
  return new LlmAssistant({
    ...(client ? { client } : {}),
    ledger: options.ledger ?? new MemoryUsageLedger(),
    pricing: config.pricing,
    budget: config.budget,
    maxTokens: config.max_tokens,
    rankBelowConfidence: config.rank_below_confidence,
    ...(options.now ? { now: options.now } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
}
