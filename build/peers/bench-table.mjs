// Turns the runs build/bench-peers.sh collected into its markdown report.
// Usage: node build/peers/bench-table.mjs RUN_DIR
//   RUN_DIR holds, per model tag: <tag>.peer (the peer's name), <tag>.file (the model path), <tag>.ours-t<T>-r<R>.json
//   (`bitnative bench --json`) and <tag>.peer-t<T>-r<R>.json (`llama-bench -o json`); the header comes from BENCH_*
//   environment variables (command, date, machine, load).
import fs from "node:fs";
import path from "node:path";

const dir = process.argv[2];
const env = (name) => process.env[name] ?? "?";
const read = (file) => fs.readFileSync(path.join(dir, file), "utf8");
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f = (x, digits) => (Number.isFinite(x) ? x.toFixed(digits) : "-");
const spread = (xs, digits) =>
  xs.length === 1 ? f(xs[0], digits) : `${f(median(xs), digits)} [${f(Math.min(...xs), digits)}-${f(Math.max(...xs), digits)}]`;
const mib = (b) => `${(b / 1048576).toFixed(0)} MiB`;

const tags = fs.readdirSync(dir).filter((n) => n.endsWith(".peer")).map((n) => n.slice(0, -5)).sort();
if (tags.length === 0) throw new Error(`no runs in ${dir}`);

const lines = [];
lines.push(`Whole-token speed, BitNative vs the peers on the peers' own files: prompt ${env("BENCH_PROMPT")} tokens, ` +
  `${env("BENCH_GEN")} decoded tokens, ${env("BENCH_REPS")} round${env("BENCH_REPS") === "1" ? "" : "s"} per thread count ` +
  "(each round runs each engine once, in a fresh process, engines alternating).");
lines.push("");
lines.push(`- command: \`${env("BENCH_COMMAND")}\``);
lines.push(`- date: ${env("BENCH_DATE")}`);
lines.push(`- machine: ${env("BENCH_CPU")}, ${env("BENCH_NPROC")} logical CPUs, ${env("BENCH_KERNEL")}; flags: ${env("BENCH_FLAGS")}`);
lines.push(`- load average (1/5/15 min): ${env("BENCH_LOAD_START")} at start, ${env("BENCH_LOAD_END")} at end`);

for (const tag of tags) {
  const peer = read(`${tag}.peer`).trim();
  const file = read(`${tag}.file`).trim();
  const runs = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const m = new RegExp(`^${tag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(ours|peer)-t(\\d+)-r(\\d+)\\.json$`).exec(name);
    if (!m) continue;
    const doc = JSON.parse(read(name));
    if (m[1] === "ours") {
      const run = doc.runs[0];
      runs.push({ engine: "ours", threads: Number(m[2]), prefill: run.prefill?.median ?? NaN, decode: run.decode.median, raw: doc });
    } else {
      const pp = doc.find((r) => r.n_prompt > 0 && r.n_gen === 0);
      const tg = doc.find((r) => r.n_gen > 0 && r.n_prompt === 0);
      runs.push({ engine: "peer", threads: Number(m[2]), prefill: pp?.avg_ts ?? NaN, decode: tg?.avg_ts ?? NaN, raw: doc });
    }
  }
  if (runs.length === 0) continue;
  const ours = runs.find((r) => r.engine === "ours")?.raw;
  const peerType = runs.find((r) => r.engine === "peer")?.raw?.[0]?.model_type ?? "?";
  const label = {
    ours: ours ? `BitNative (${ours.isa}, plan: ${ours.kernel}, int${ours.activationBits}, head ${ours.headPrecision})` : "BitNative",
    peer: `${peer} (llama-bench; ${peerType})`,
  };
  lines.push("");
  lines.push(`### ${path.basename(file)} (${mib(fs.statSync(file).size)}), against ${peer}`);
  lines.push("");
  lines.push("| threads | engine | prefill tok/s, median [min-max] | decode tok/s, median [min-max] |");
  lines.push("|---:|---|---:|---:|");
  const threadCounts = [...new Set(runs.map((r) => r.threads))].sort((a, b) => a - b);
  for (const t of threadCounts) {
    const med = {};
    for (const engine of ["ours", "peer"]) {
      const rs = runs.filter((r) => r.threads === t && r.engine === engine);
      if (rs.length === 0) continue;
      med[engine] = { prefill: median(rs.map((r) => r.prefill)), decode: median(rs.map((r) => r.decode)) };
      lines.push(`| ${t} | ${label[engine]} | ${spread(rs.map((r) => r.prefill), 1)} | ${spread(rs.map((r) => r.decode), 2)} |`);
    }
    if (med.ours && med.peer) {
      lines.push(`| ${t} | **BitNative / ${peer}** | **${f(med.ours.prefill / med.peer.prefill, 2)}x** | ` +
        `**${f(med.ours.decode / med.peer.decode, 2)}x** |`);
    }
  }
}
lines.push("");
lines.push("Prefill: the prompt evaluated as one batch (logits of its last token). Decode: greedy steps of one token each. " +
  "Both engines warm up in their own process first (BitNative: 8 prompt tokens and 4 decode steps; llama-bench: one " +
  "untimed run). Each cell is the median over rounds of one run per round.");
process.stdout.write(lines.join("\n") + "\n");
