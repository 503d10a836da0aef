// Turns the runs build/bench-peers.sh collected into its markdown report.
// Usage: node build/peers/bench-table.mjs RUN_DIR
//   RUN_DIR holds ours-t<T>-r<R>.json (`bitnative bench --json`) and peer-t<T>-r<R>.json (llama-cpp-run.mjs) files;
//   the header comes from BENCH_* environment variables (command, date, machine, load, model).
import fs from "node:fs";
import path from "node:path";

const dir = process.argv[2];
const env = (name) => process.env[name] ?? "?";
const runs = []; // { engine, threads, prefill, decode, msPerToken, rss, ctx, raw }
for (const file of fs.readdirSync(dir).sort()) {
  const m = /^(ours|peer)-t(\d+)-r(\d+)\.json$/.exec(file);
  if (!m) continue;
  const doc = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
  if (m[1] === "ours") {
    const run = doc.runs[0];
    runs.push({
      engine: "ours", threads: Number(m[2]), prefill: run.prefill?.median ?? NaN, decode: run.decode.median,
      msPerToken: run.msPerTokenMedian, rss: run.peakRssBytesProcess, ctx: run.contextLength, raw: doc,
    });
  } else {
    runs.push({
      engine: "peer", threads: Number(m[2]), prefill: doc.prefillTokPerSec, decode: doc.decodeTokPerSec,
      msPerToken: doc.msPerToken, rss: doc.peakRssBytesProcess, ctx: doc.contextSize, raw: doc,
    });
  }
}
if (runs.length === 0) throw new Error(`no runs in ${dir}`);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f = (x, digits) => (Number.isFinite(x) ? x.toFixed(digits) : "-");
const spread = (xs, digits) =>
  xs.length === 1 ? f(xs[0], digits) : `${f(median(xs), digits)} [${f(Math.min(...xs), digits)}-${f(Math.max(...xs), digits)}]`;
const mib = (b) => `${(b / 1048576).toFixed(0)} MiB`;

const ours = runs.find((r) => r.engine === "ours").raw;
let peerVersion = "?";
try {
  const pkg = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../.cache/peers/node-llama-cpp/node_modules/node-llama-cpp/package.json");
  peerVersion = JSON.parse(fs.readFileSync(pkg, "utf8")).version;
} catch { /* not fatal: the version only labels the table */ }
const label = {
  ours: `BitNative (${ours.isa}, ${ours.kernel}, int${ours.activationBits}, head ${ours.headPrecision})`,
  peer: `llama.cpp (node-llama-cpp ${peerVersion}, prebuilt CPU)`,
};

const lines = [];
lines.push(`Whole-token speed, BitNative vs llama.cpp, on ${env("BENCH_MODEL_NAME")} (${mib(Number(env("BENCH_MODEL_BYTES")))}): ` +
  `prompt ${env("BENCH_PROMPT")} tokens, ${env("BENCH_GEN")} decoded tokens, ${env("BENCH_REPS")} round` +
  `${env("BENCH_REPS") === "1" ? "" : "s"} ` +
  "(each round runs each engine once, in a fresh process, engines alternating).");
lines.push("");
lines.push(`- command: \`${env("BENCH_COMMAND")}\``);
lines.push(`- date: ${env("BENCH_DATE")}`);
lines.push(`- machine: ${env("BENCH_CPU")}, ${env("BENCH_NPROC")} logical CPUs, ${env("BENCH_KERNEL")}`);
lines.push(`- load average (1/5/15 min): ${env("BENCH_LOAD_START")} at start, ${env("BENCH_LOAD_END")} at end`);
lines.push(`- model: \`${env("BENCH_MODEL")}\``);
lines.push("");
lines.push("| threads | engine | prefill tok/s, median [min-max] | decode tok/s, median [min-max] | ms/token (median) | peak RSS (process) |");
lines.push("|---:|---|---:|---:|---:|---:|");
const threadCounts = [...new Set(runs.map((r) => r.threads))].sort((a, b) => a - b);
for (const t of threadCounts) {
  const med = {};
  for (const engine of ["ours", "peer"]) {
    const rs = runs.filter((r) => r.threads === t && r.engine === engine);
    if (rs.length === 0) continue;
    med[engine] = { prefill: median(rs.map((r) => r.prefill)), decode: median(rs.map((r) => r.decode)) };
    lines.push(`| ${t} | ${label[engine]} | ${spread(rs.map((r) => r.prefill), 1)} | ${spread(rs.map((r) => r.decode), 2)} | ` +
      `${f(median(rs.map((r) => r.msPerToken)), 2)} | ${mib(Math.max(...rs.map((r) => r.rss)))} |`);
  }
  if (med.ours && med.peer) {
    lines.push(`| ${t} | **ours / llama.cpp** | **${f(med.ours.prefill / med.peer.prefill, 2)}x** | ` +
      `**${f(med.ours.decode / med.peer.decode, 2)}x** | | |`);
  }
}
const ctx = (engine) => [...new Set(runs.filter((r) => r.engine === engine).map((r) => r.ctx))].join(", ");
lines.push("");
lines.push("Prefill: the prompt evaluated as one batch (llama.cpp: until its first generated token). Decode: greedy steps, " +
  "each one token; ms/token is the median over rounds of the mean decode step. Both engines warm up first (8 prompt " +
  "tokens, 4 decode steps) in the same process. Peak RSS is the largest over rounds of each process's own peak, so it " +
  `includes the runtime: .NET for BitNative, node (~40-50 MB) for llama.cpp. KV cache: ${ctx("ours")} positions ` +
  `(BitNative), ${ctx("peer")} (llama.cpp rounds the requested size up).`);
process.stdout.write(lines.join("\n") + "\n");
