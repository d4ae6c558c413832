// Mnemo's bridge for OpenClaw 2026.9.x. It only talks to Mnemo on loopback and never blocks the
// agent: every call has a short timeout, and any failure means "no recalled context this turn".
import { definePluginEntry, type OpenClawPluginApi } from "openclaw/plugin-sdk/plugin-entry";

interface BridgeConfig {
  url?: string;
  token?: string;
  timeoutMs?: number;
  eventTimeoutMs?: number;
  tokenBudget?: number;
  maxContextMessages?: number;
}

interface HookContext {
  sessionKey?: string;
  sessionId?: string;
  agentId?: string;
  trigger?: string;
}

/** What the plugin reads of OpenClaw's Telegram button context (TelegramInteractiveHandlerContext). */
interface TelegramButtonTap {
  callbackId: string;
  senderId?: string;
  callback: { data: string; payload: string; chatId: string };
  respond: { editButtons: (params: { buttons: Array<Array<{ text: string; callback_data: string }>> }) => Promise<void> };
}

interface FeedbackAnswer {
  changed?: boolean;
  error?: string;
  buttons?: Array<{ text: string; callbackData: string }>;
}

/** The hooks whose events Mnemo records or wakes up on. */
type ForwardedHook = "before_compaction" | "after_compaction" | "agent_end" | "message_received" | "session_start" | "before_reset" | "session_end";

const DEFAULT_URL = "http://127.0.0.1:7420";
const MAX_MESSAGE_CHARS = 4000;
const MAX_PROMPT_CHARS = 30000;

/** The visible text of an OpenClaw context message: a string, text parts, or a compaction summary. */
function messageText(message: unknown): string {
  if (message === null || typeof message !== "object") return "";
  const m = message as { role?: unknown; content?: unknown; summary?: unknown };
  if (m.role === "compactionSummary" && typeof m.summary === "string") return m.summary;
  if (typeof m.content === "string") return m.content;
  if (!Array.isArray(m.content)) return "";
  return m.content
    .map((part: unknown) => {
      const p = part as { type?: unknown; text?: unknown };
      return p && p.type === "text" && typeof p.text === "string" ? p.text : "";
    })
    .filter((text: string) => text.length > 0)
    .join("\n");
}

/** The fields that are set: an absent one must not hide what the hook context said. */
function present(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== null));
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(text.length - max);
}

export default definePluginEntry({
  id: "mnemo",
  name: "Mnemo memory bridge",
  description: "Retained context from Mnemo before each turn; compaction and session events to Mnemo.",
  register(api: OpenClawPluginApi): void {
    // register() runs several times per process: it only wires hooks, nothing else.
    const config = (api.pluginConfig ?? {}) as BridgeConfig;
    const base = (config.url ?? DEFAULT_URL).replace(/\/+$/, "");
    const timeoutMs = config.timeoutMs ?? 1500;
    const eventTimeoutMs = config.eventTimeoutMs ?? 3000;
    const maxContextMessages = config.maxContextMessages ?? 40;
    let failing = false;

    const post = async (path: string, body: unknown, timeout: number): Promise<unknown> => {
      const response = await fetch(base + path, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${config.token ?? ""}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeout),
      });
      if (!response.ok) throw new Error(`Mnemo answered ${response.status} on ${path}`);
      return response.json();
    };

    // One warning when Mnemo becomes unreachable, one note when it is back; never the memory text.
    const failed = (what: string, error: unknown): void => {
      if (!failing) api.logger?.warn?.(`mnemo: ${what} failed (${error instanceof Error ? error.name : "error"}); the agent goes on without recalled context`);
      failing = true;
    };
    const succeeded = (): void => {
      if (failing) api.logger?.info?.("mnemo: reachable again");
      failing = false;
    };

    api.on("before_prompt_build", async (event: { prompt?: string; messages?: unknown[] }, ctx: HookContext) => {
      // OpenClaw's own pre-compaction memory flush is not the user's turn.
      if (ctx.trigger === "memory" || (ctx.sessionId ?? "").startsWith("internal-session-effects")) return undefined;
      const messages = (event.messages ?? [])
        .slice(-maxContextMessages)
        .map((message) => clip(messageText(message), MAX_MESSAGE_CHARS))
        .filter((text) => text.length > 0);
      try {
        const answer = (await post("/v1/context", {
          sessionKey: ctx.sessionKey,
          sessionId: ctx.sessionId,
          agentId: ctx.agentId,
          prompt: clip(event.prompt ?? "", MAX_PROMPT_CHARS),
          messages,
          tokenBudget: config.tokenBudget,
        }, timeoutMs)) as { text?: unknown };
        succeeded();
        return typeof answer.text === "string" && answer.text.length > 0 ? { prependContext: answer.text } : undefined;
      } catch (error) {
        failed("recall", error);
        return undefined;
      }
    });

    const forward = (kind: ForwardedHook, pick: (event: Record<string, unknown>) => Record<string, unknown>) => {
      api.on(kind, async (event: Record<string, unknown>, ctx: HookContext) => {
        try {
          await post(`/v1/events/${kind}`, { sessionKey: ctx.sessionKey, sessionId: ctx.sessionId, agentId: ctx.agentId, timestamp: Date.now(), ...present(pick(event ?? {})) }, eventTimeoutMs);
          succeeded();
        } catch (error) {
          failed(kind, error);
        }
        return undefined;
      });
    };

    // Mnemo's 👍/👎 buttons on OpenClaw's own bot (data "mn:..."): OpenClaw owns that bot's updates,
    // so the taps come here and go on to Mnemo, which checks the signature, the chat and replays.
    api.registerInteractiveHandler({
      channel: "telegram",
      namespace: "mn",
      handler: async (raw: unknown) => {
        const tap = raw as TelegramButtonTap;
        const data = tap.callback.data.startsWith("mn:") ? tap.callback.data : `mn:${tap.callback.payload}`;
        try {
          const response = await fetch(base + "/v1/feedback", {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${config.token ?? ""}` },
            body: JSON.stringify({ callbackData: data, callbackQueryId: tap.callbackId, chatId: Number(tap.callback.chatId), user: tap.senderId }),
            signal: AbortSignal.timeout(eventTimeoutMs),
          });
          const answer = (await response.json()) as FeedbackAnswer;
          succeeded();
          if (response.ok && answer.changed && answer.buttons) {
            await tap.respond.editButtons({ buttons: [answer.buttons.map((b) => ({ text: b.text, callback_data: b.callbackData }))] });
          } else if (!response.ok) {
            api.logger?.warn?.(`mnemo: a feedback button was refused (${answer.error ?? response.status})`);
          }
        } catch (error) {
          failed("feedback", error);
        }
        return { handled: true };
      },
    });

    forward("before_compaction", (e) => ({ messageCount: e.messageCount, tokenCount: e.tokenCount }));
    forward("after_compaction", (e) => ({ messageCount: e.messageCount, compactedCount: e.compactedCount, tokenCount: e.tokenCount }));
    forward("agent_end", (e) => ({ success: e.success }));
    forward("message_received", (e) => ({ sessionKey: e.sessionKey, messageId: e.messageId }));
    // A new session id under a known key is a reset (/new, /reset, rotation): Mnemo learns the key's
    // sessions from these and from every context call, and treats what the old one held as lost.
    forward("session_start", (e) => ({ sessionId: e.sessionId, sessionKey: e.sessionKey, resumedFrom: e.resumedFrom }));
    forward("before_reset", (e) => ({ reason: e.reason }));
    forward("session_end", (e) => ({ sessionId: e.sessionId, sessionKey: e.sessionKey, reason: e.reason }));
  },
});
