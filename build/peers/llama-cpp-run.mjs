// Runs a GGUF model with llama.cpp through node-llama-cpp (fetched by build/fetch-peers.sh --engine), the peer the
// benchmarks compare whole-token speed against. Prints one JSON line:
//   {"loaded":true, "promptTokens":N, "prefillTokPerSec":x, "decodeTokPerSec":y, "decodeTokens":n-1, "msPerToken":z,
//    "threads":t, "contextSize":c, "peakRssBytesProcess":b, "generatedIds":[...], "text":"..."}
// Usage: node build/peers/llama-cpp-run.mjs MODEL.gguf [--prompt TEXT | --prompt-tokens N] [--n 32] [--threads 1] [--ctx 512]
//                                          [--warmup]
// --n counts generated tokens: the first comes out of the prompt evaluation, so decode speed is over the other n - 1.
// --warmup first evaluates 8 prompt tokens and generates 4 (as `bitnative bench` does), then clears the sequence.
// peakRssBytesProcess is this node process's peak resident memory (process.resourceUsage().maxRSS): the model, llama.cpp's
// buffers and node itself (~40-50 MB), just as bench's figure includes the .NET runtime.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(path.join(root, ".cache/peers/node-llama-cpp/package.json"));
const { getLlama } = await import(require.resolve("node-llama-cpp"));

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const modelPath = args[0];
const n = Number(option("--n", "32"));
const threads = Number(option("--threads", "1"));
const contextSize = Number(option("--ctx", "512"));
const warmup = args.includes("--warmup");

// maxThreads 0: `threads` is then the exact count used, not a hint llama.cpp may lower.
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error", maxThreads: 0 });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize, threads, batchSize: 512 });
const sequence = context.getSequence();

let promptTokens;
const promptTokenCount = option("--prompt-tokens", null);
if (promptTokenCount !== null) {
  // A synthetic prompt of N ordinary tokens, for prefill timing (same count the BitNative bench uses).
  const base = model.tokenize("The little boat sailed out of the harbour early in the morning. ");
  promptTokens = [];
  while (promptTokens.length < Number(promptTokenCount)) promptTokens.push(...base);
  promptTokens = promptTokens.slice(0, Number(promptTokenCount));
} else {
  promptTokens = model.tokenize(option("--prompt", "The little boat"), true);
}

if (warmup) {
  // Page the weights in and let llama.cpp allocate its buffers, as bench's warm-up does; then start from an empty cache.
  let count = 0;
  for await (const _ of sequence.evaluate(promptTokens.slice(0, 8), { temperature: 0 })) {
    if (++count >= 4) break;
  }
  await sequence.clearHistory();
}

// The whole prompt goes in one evaluate call; the first generated token marks the end of prompt processing.
const t0 = process.hrtime.bigint();
const generated = [];
let t1 = null;
for await (const token of sequence.evaluate(promptTokens, { temperature: 0 })) {
  if (t1 === null) t1 = process.hrtime.bigint();
  generated.push(token);
  if (generated.length >= n) break;
}
const t3 = process.hrtime.bigint();
const seconds = (a, b) => Number(b - a) / 1e9;
console.log(JSON.stringify({
  loaded: true,
  variant: llama.buildType ?? null,
  promptTokens: promptTokens.length,
  prefillTokPerSec: promptTokens.length / Math.max(seconds(t0, t1), 1e-9),
  decodeTokPerSec: (generated.length - 1) / Math.max(seconds(t1, t3), 1e-9),
  decodeTokens: generated.length - 1,
  msPerToken: (1000 * seconds(t1, t3)) / Math.max(generated.length - 1, 1),
  threads,
  contextSize: context.contextSize,
  peakRssBytesProcess: process.resourceUsage().maxRSS * 1024,
  generatedIds: generated,
  text: model.detokenize(generated),
}));
await llama.dispose();
