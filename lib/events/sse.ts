import { AppError } from "@/lib/errors";

/** One SSE message; `id` lets a reconnecting client resume with Last-Event-ID. */
export type SseMessage = { event: string; data: unknown; id?: string };

const KEEPALIVE_MS = 15_000;

/**
 * A Server-Sent Events response. `start` receives a `send` function and returns a cleanup; the stream
 * ends when the client goes away (request aborted). Keep-alive comments stop proxies from closing it.
 */
export function sseResponse(signal: AbortSignal, start: (send: (m: SseMessage) => void) => Promise<() => void> | (() => void)): Response {
  const encoder = new TextEncoder();
  let cleanup: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      let open = true;
      const close = () => {
        if (!open) return;
        open = false;
        clearInterval(timer);
        cleanup?.();
        try {
          controller.close();
        } catch {}
      };
      const write = (text: string) => {
        if (!open) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          close();
        }
      };
      const send = (m: SseMessage) => write(`${m.id ? `id: ${m.id}\n` : ""}event: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`);
      signal.addEventListener("abort", close);
      write(": connected\nretry: 2000\n\n");
      timer = setInterval(() => write(": keep-alive\n\n"), KEEPALIVE_MS);
      try {
        cleanup = await start(send);
      } catch (err) {
        // Only our own errors are meant for the client; a driver's message may quote the database.
        send({ event: "error", data: { message: err instanceof AppError ? err.message : "stream failed" } });
        close();
      }
      if (!open) cleanup?.();
    },
    cancel() {
      clearInterval(timer);
      cleanup?.();
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store, no-transform", connection: "keep-alive", "x-accel-buffering": "no" },
  });
}
