// A scripted model provider of ours on 127.0.0.1, for driving the real codex and
// pi CLIs offline. It speaks the two OpenAI wire formats they use:
//   POST …/responses          OpenAI Responses API, streamed as SSE (`event:` + `data:`)
//   POST …/chat/completions   Chat Completions, streamed as `data: <chunk>` … `data: [DONE]`
// Script (stateless, read from the request): a request that carries no tool
// result yet gets one tool call that writes `file` with `content`, using whichever
// file-writing tool the client offered (pi `write`, codex `apply_patch` or
// `exec_command`/`shell`); a request that already carries a tool result gets a
// final message. Failure modes (the `mode` of the server) answer every request
// the same broken way. Every request is recorded (method, path, body) so a test
// can say what the CLI really sent.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type ServerMode =
  | "script" // the scripted turns above
  | "http500" // HTTP 500 with a JSON error body
  | "http401" // HTTP 401 (bad credentials)
  | "malformed" // HTTP 200 SSE whose data lines are not JSON
  | "cut" // a stream that starts and is cut short (socket destroyed mid-response)
  | "hang"; // accepts the request and never answers

export interface ScriptedFile {
  /** Path relative to the client's working directory. */
  path: string;
  content: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
  at: number;
}

export interface ModelServer {
  port: number;
  /** `http://127.0.0.1:PORT/v1` */
  baseUrl: string;
  mode: ServerMode;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface ModelServerOptions {
  mode?: ServerMode;
  file?: ScriptedFile;
  finalText?: string;
  /** Listen on this port (default: any free port). */
  port?: number;
}

const DEFAULT_FILE: ScriptedFile = { path: "src/sub.js", content: "module.exports = function subtract(a, b) {\n  return a - b;\n};\n" };

export async function startModelServer(opts: ModelServerOptions = {}): Promise<ModelServer> {
  const mode = opts.mode ?? "script";
  const file = opts.file ?? DEFAULT_FILE;
  const finalText = opts.finalText ?? `Created ${file.path}.`;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let counter = 0;
  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {
      /* keep the text */
    }
    const path = (req.url ?? "").split("?")[0]!;
    requests.push({ method: req.method ?? "", path, body, at: Date.now() });
    const kind = path.endsWith("/responses") ? "responses" : path.endsWith("/chat/completions") ? "chat" : "other";
    if (req.method === "GET" && path.endsWith("/models")) return json(res, 200, { object: "list", data: [{ id: "local-model", object: "model" }] });
    if (kind === "other") return json(res, 404, { error: { message: `no such endpoint ${path}`, type: "not_found" } });
    switch (mode) {
      case "http500":
        return json(res, 500, { error: { message: "scripted internal error", type: "server_error" } });
      case "http401":
        return json(res, 401, { error: { message: "Incorrect API key provided (scripted)", type: "invalid_request_error", code: "invalid_api_key" } });
      case "hang":
        return; // never answers; the socket stays open until the client gives up or we close
      case "malformed":
        sseHead(res);
        res.write(kind === "responses" ? "event: response.created\ndata: {this is not json\n\n" : "data: {this is not json\n\n");
        res.write("data: <<<garbage>>>\n\n");
        return void res.end();
      case "cut": {
        sseHead(res);
        const id = `resp_${++counter}`;
        if (kind === "responses") sse(res, "response.created", { type: "response.created", response: { id, object: "response", status: "in_progress", output: [] } });
        else res.write(`data: ${JSON.stringify(chatChunk(id, { role: "assistant", content: "Creat" }, null))}\n\n`);
        // Mid-stream: no completion event, the connection just dies.
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      case "script":
        return kind === "responses" ? responsesTurn(res, body as ResponsesRequest) : chatTurn(res, body as ChatRequest);
    }
  }

  // ------------------------------------------------------------ Responses API
  function responsesTurn(res: ServerResponse, body: ResponsesRequest): void {
    const id = `resp_${++counter}`;
    const input = Array.isArray(body?.input) ? body.input : [];
    const done = input.some((i) => typeof i?.type === "string" && /_call_output$/.test(i.type));
    sseHead(res);
    sse(res, "response.created", { type: "response.created", response: { id, object: "response", status: "in_progress", output: [] } });
    let item: Record<string, unknown>;
    if (done) {
      item = { type: "message", id: `msg_${counter}`, role: "assistant", status: "completed", content: [{ type: "output_text", text: finalText, annotations: [] }] };
      sse(res, "response.output_item.added", { type: "response.output_item.added", output_index: 0, item: { ...item, status: "in_progress", content: [] } });
      sse(res, "response.content_part.added", { type: "response.content_part.added", item_id: item.id, output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] } });
      sse(res, "response.output_text.delta", { type: "response.output_text.delta", item_id: item.id, output_index: 0, content_index: 0, delta: finalText });
      sse(res, "response.output_text.done", { type: "response.output_text.done", item_id: item.id, output_index: 0, content_index: 0, text: finalText });
      sse(res, "response.content_part.done", { type: "response.content_part.done", item_id: item.id, output_index: 0, content_index: 0, part: { type: "output_text", text: finalText, annotations: [] } });
    } else {
      item = toolCallItem(body?.tools ?? [], `call_${counter}`, `fc_${counter}`);
      const args = String(item.arguments ?? item.input ?? "");
      sse(res, "response.output_item.added", { type: "response.output_item.added", output_index: 0, item: { ...item, status: "in_progress", ...(item.type === "function_call" ? { arguments: "" } : { input: "" }) } });
      if (item.type === "function_call") {
        sse(res, "response.function_call_arguments.delta", { type: "response.function_call_arguments.delta", item_id: item.id, output_index: 0, delta: args });
        sse(res, "response.function_call_arguments.done", { type: "response.function_call_arguments.done", item_id: item.id, output_index: 0, arguments: args });
      } else {
        sse(res, "response.custom_tool_call_input.delta", { type: "response.custom_tool_call_input.delta", item_id: item.id, output_index: 0, delta: args });
        sse(res, "response.custom_tool_call_input.done", { type: "response.custom_tool_call_input.done", item_id: item.id, output_index: 0, input: args });
      }
    }
    sse(res, "response.output_item.done", { type: "response.output_item.done", output_index: 0, item });
    const usage = { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 };
    sse(res, "response.completed", { type: "response.completed", response: { id, object: "response", status: "completed", output: [item], usage } });
    res.end();
  }

  /** The tool call that writes the file, in the shape of the tool the client offered. */
  function toolCallItem(tools: ToolSpec[], callId: string, itemId: string): Record<string, unknown> {
    const names = tools.map((t) => t?.name ?? t?.function?.name).filter((n): n is string => typeof n === "string");
    if (names.includes("write")) return { type: "function_call", id: itemId, call_id: callId, name: "write", arguments: JSON.stringify({ path: file.path, content: file.content }), status: "completed" };
    const patch = applyPatchText(file);
    const applyPatch = tools.find((t) => t?.name === "apply_patch");
    if (applyPatch) {
      return applyPatch.type === "custom"
        ? { type: "custom_tool_call", id: itemId, call_id: callId, name: "apply_patch", input: patch, status: "completed" }
        : { type: "function_call", id: itemId, call_id: callId, name: "apply_patch", arguments: JSON.stringify({ input: patch }), status: "completed" };
    }
    const shell = `mkdir -p "$(dirname '${file.path}')" && printf '%s' '${file.content.replace(/'/g, "'\\''")}' > '${file.path}'`;
    if (names.includes("exec_command")) return { type: "function_call", id: itemId, call_id: callId, name: "exec_command", arguments: JSON.stringify({ cmd: shell }), status: "completed" };
    if (names.includes("shell_command")) return { type: "function_call", id: itemId, call_id: callId, name: "shell_command", arguments: JSON.stringify({ command: shell }), status: "completed" };
    return { type: "function_call", id: itemId, call_id: callId, name: "shell", arguments: JSON.stringify({ command: ["bash", "-lc", shell] }), status: "completed" };
  }

  // --------------------------------------------------------- Chat Completions
  function chatTurn(res: ServerResponse, body: ChatRequest): void {
    const id = `chatcmpl_${++counter}`;
    const messages = Array.isArray(body?.messages) ? body.messages : [];
    const done = messages.some((m) => m?.role === "tool");
    sseHead(res);
    const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
    if (done) {
      send(chatChunk(id, { role: "assistant", content: "" }, null));
      send(chatChunk(id, { content: finalText }, null));
      send(chatChunk(id, {}, "stop"));
    } else {
      const names = (body?.tools ?? []).map((t) => t?.function?.name);
      const name = names.includes("write") ? "write" : String(names[0] ?? "write");
      const args = JSON.stringify({ path: file.path, content: file.content });
      send(chatChunk(id, { role: "assistant", content: null, tool_calls: [{ index: 0, id: `call_${counter}`, type: "function", function: { name, arguments: "" } }] }, null));
      send(chatChunk(id, { tool_calls: [{ index: 0, function: { arguments: args } }] }, null));
      send(chatChunk(id, {}, "tool_calls"));
    }
    send({ id, object: "chat.completion.chunk", created: Math.floor(Date.now() / 1000), model: body?.model ?? "local-model", choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } });
    res.write("data: [DONE]\n\n");
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    mode,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

interface ToolSpec {
  type?: string;
  name?: string;
  function?: { name?: string };
}
interface ResponsesRequest {
  input?: { type?: string }[];
  tools?: ToolSpec[];
}
interface ChatRequest {
  model?: string;
  messages?: { role?: string }[];
  tools?: ToolSpec[];
}

function chatChunk(id: string, delta: Record<string, unknown>, finish: string | null): Record<string, unknown> {
  return { id, object: "chat.completion.chunk", created: Math.floor(Date.now() / 1000), model: "local-model", choices: [{ index: 0, delta, finish_reason: finish }] };
}

/** codex's apply_patch grammar: one added file. */
export function applyPatchText(f: ScriptedFile): string {
  const lines = f.content.replace(/\n$/, "").split("\n");
  return ["*** Begin Patch", `*** Add File: ${f.path}`, ...lines.map((l) => `+${l}`), "*** End Patch", ""].join("\n");
}

function sseHead(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
}

function sse(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}
