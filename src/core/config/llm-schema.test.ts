import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../contracts/index.js';
import { redactConfig, resolveConfig } from './resolve.js';

function refused(yamlText: string, env: Record<string, string> = {}): ConfigError {
  try {
    resolveConfig({ yamlText, env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected the configuration to be refused');
}

describe('llm configuration', () => {
  it('is off by default, with the operations guide budget thresholds', () => {
    const { config } = resolveConfig({});
    expect(config.llm).toEqual({
      enabled: false,
      base_url: '',
      model: '',
      api_key: '',
      timeout: 20_000,
      max_tokens: 512,
      rank_below_confidence: 0.5,
      pricing: {},
      budget: { daily_usd: 10, monthly_usd: 200, per_task_usd: 0.5, warning_ratio: 0.8, throttle_ratio: 0.95 },
    });
  });

  it('reads a local server setup from YAML and the key from AETHERIUS_LLM_API_KEY, which config print hides', () => {
    const { config, origins } = resolveConfig({
      yamlText: `
llm:
  enabled: true
  base_url: http://ollama:11434/v1
  model: llama3.1:8b
  timeout: 45s
  pricing:
    gpt-4o-mini: { input_per_1k_tokens: 0.00015, output_per_1k_tokens: 0.0006 }
  budget: { daily_usd: 2 }
`,
      env: { AETHERIUS_LLM_API_KEY: 'sk-test-123' },
    });
    expect(config.llm).toMatchObject({ enabled: true, base_url: 'http://ollama:11434/v1', model: 'llama3.1:8b', api_key: 'sk-test-123', timeout: 45_000 });
    expect(config.llm.pricing['gpt-4o-mini']).toEqual({ input_per_1k_tokens: 0.00015, output_per_1k_tokens: 0.0006 });
    expect(config.llm.budget).toMatchObject({ daily_usd: 2, monthly_usd: 200 });
    expect(origins['llm.api_key']).toBe('AETHERIUS_LLM_API_KEY');
    expect(JSON.stringify(redactConfig(config))).not.toContain('sk-test-123');
  });

  it('takes pricing as JSON in the environment', () => {
    const { config } = resolveConfig({ env: { AETHERIUS_LLM_PRICING: '{"m": {"input_per_1k_tokens": 1, "output_per_1k_tokens": 2}}' } });
    expect(config.llm.pricing).toEqual({ m: { input_per_1k_tokens: 1, output_per_1k_tokens: 2 } });
  });

  it('names the key path of every problem', () => {
    const err = refused(`
llm:
  enabled: true
  base_url: ftp://x
  timeout: soon
  pricing: { gpt-4o: { input_per_1k_tokens: -1, output_per_1k_tokens: 0.01 } }
  budget: { warning_ratio: 0.99, throttle_ratio: 0.9, daily_usd: -5 }
`);
    expect(err.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['llm.base_url', 'llm.model', 'llm.timeout', 'llm.pricing.gpt-4o.input_per_1k_tokens', 'llm.budget.daily_usd']),
    );
    expect(err.message).toContain('llm.model: is required when llm.enabled is true');
    expect(refused('llm: { budget: { warning_ratio: 0.99, throttle_ratio: 0.9 } }').issues.map((i) => i.path)).toEqual(['llm.budget.warning_ratio']);
    expect(refused('', { AETHERIUS_LLM_PRICING: 'cheap' }).issues.map((i) => i.path)).toEqual(['llm.pricing']);
    expect(refused('llm: { modle: x }').message).toContain("did you mean 'model'");
  });

  it('never shows the API key in a validation error', () => {
    const err = refused('', { AETHERIUS_LLM_ENABLED: 'true', AETHERIUS_LLM_API_KEY: 'sk-should-not-appear' });
    expect(err.message).not.toContain('sk-should-not-appear');
  });
});
