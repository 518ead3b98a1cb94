import { trace, SpanStatusCode, type Span } from "@opentelemetry/api";

const tracer = () => trace.getTracer("nodeplane.saga");

/** One span per step (or compensation) attempt, with the saga id, step and attempt attributes. */
export async function inStepSpan<T>(
  attrs: { sagaId: string; sagaType: string; step: string; attempt: number; compensation?: boolean },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const name = `${attrs.compensation ? "saga.compensation" : "saga.step"} ${attrs.step}`;
  return tracer().startActiveSpan(
    name,
    {
      attributes: {
        "saga.id": attrs.sagaId,
        "saga.type": attrs.sagaType,
        "saga.step": attrs.step,
        "saga.step.attempt": attrs.attempt,
        "saga.compensation": attrs.compensation ?? false,
      },
    },
    async (span) => {
      try {
        const out = await fn(span);
        span.setStatus({ code: SpanStatusCode.OK });
        return out;
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
