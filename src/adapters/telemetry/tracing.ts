/**
 * OpenTelemetry tracing hooks. Code everywhere starts spans through `@opentelemetry/api`; with the
 * default exporter `none` no provider is registered and those calls cost next to nothing. With
 * `console` or `otlp` a provider with a batch processor and a parent-based ratio sampler is installed.
 * The SDK is loaded only then: it costs ~15 MB of resident memory that the agent should not pay.
 */
import { context, trace, type Tracer } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface TracingOptions {
  exporter: 'none' | 'console' | 'otlp';
  otlpEndpoint?: string;
  sampleRatio?: number;
  serviceName?: string;
  serviceVersion?: string;
}

export interface Tracing {
  /** Flushes pending spans and uninstalls the provider. */
  shutdown(): Promise<void>;
}

export const TRACER_NAME = 'aetherius';

/** The tracer every module uses; a no-op until `setupTracing` installs a provider. */
export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

export async function setupTracing(options: TracingOptions): Promise<Tracing> {
  if (options.exporter === 'none') return { shutdown: () => Promise.resolve() };
  const [{ AsyncLocalStorageContextManager }, { OTLPTraceExporter }, { resourceFromAttributes }, { BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter, ParentBasedSampler, TraceIdRatioBasedSampler }] = await Promise.all([
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
  ]);
  const exporter: SpanExporter = options.exporter === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter({ url: options.otlpEndpoint });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'aetherius', 'service.version': options.serviceVersion ?? '0.0.0' }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio ?? 1) }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  return {
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}
