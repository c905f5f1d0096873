import {
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./http.ts";

/**
 * OpenTelemetry traces, exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set and
 * off otherwise (the API then hands out no-op spans, which cost next to nothing). Spans are made
 * by our own code, not by monkey-patching modules: one per HTTP request in every service, one per
 * tenant-database unit of work in workspace, and the W3C `traceparent` header carries the trace
 * from the gateway to the service behind it.
 */
export function startTracing(options: { service: string; endpoint: string | undefined }): {
  shutdown(): Promise<void>;
} {
  if (!options.endpoint) return { shutdown: async () => undefined };
  tracingOn = true;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": options.service }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({
          url: new URL("/v1/traces", options.endpoint).toString(),
        }),
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return { shutdown: () => provider.shutdown() };
}

const tracer = () => trace.getTracer("oryn");

/**
 * Whether spans go anywhere. When they do not, the request middleware and `inSpan` skip the
 * OpenTelemetry API altogether: even its no-op spans and context switches were 2-4% of the
 * gateway's CPU profile per proxied request.
 */
let tracingOn = false;
const nothingRecorded = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Whether spans are exported (the gateway's lean proxy path leaves traced requests to hono). */
export function tracingEnabled(): boolean {
  return tracingOn;
}

/**
 * A server span per request, named by method and matched route. The gateway starts each trace
 * itself (`trustIncoming: false`), as it makes its own request ids: a client does not get to
 * choose a trace or its sampling. Services behind it continue the gateway's trace.
 */
export function traceRequests(options: { trustIncoming: boolean }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!tracingOn) return next();
    const parent = options.trustIncoming
      ? propagation.extract(ROOT_CONTEXT, Object.fromEntries(c.req.raw.headers))
      : ROOT_CONTEXT;
    await tracer().startActiveSpan(
      `${c.req.method}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          "http.request.method": c.req.method,
          "url.path": c.req.path,
          "oryn.request_id": c.get("requestId"),
        },
      },
      parent,
      async (span) => {
        try {
          await next();
        } finally {
          span.updateName(`${c.req.method} ${c.req.routePath}`);
          span.setAttribute("http.route", c.req.routePath);
          span.setAttribute("http.response.status_code", c.res.status);
          if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        }
      },
    );
  };
}

/** Adds the current trace's `traceparent` to headers going to another service. */
export function injectTraceContext(
  headers: Record<string, string>,
  from: Context = context.active(),
) {
  if (tracingOn) propagation.inject(from, headers);
}

/** Runs `work` in a child span (a client call: a database, another service). */
export async function inSpan<T>(
  name: string,
  attributes: Record<string, string | number>,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (!tracingOn) return work(nothingRecorded);
  return tracer().startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}
