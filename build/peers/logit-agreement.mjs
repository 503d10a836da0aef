// Compares BitNative's teacher-forced logits (bitnative score --save-logits: float32 [tokens, vocab]) with llama.cpp's
// (llama-perplexity --kl-divergence-base: per scored position the log-probabilities as uint16 over [min, max], after a
// float scale and minimum). llama.cpp scores the second half of its context, positions first .. n_ctx - 2, and stores
// log-probabilities, which equal the logits up to one constant per position, so both are centred (mean 0) before the
// cosine. Prints one JSON line: positions, min cosine, mean cosine, top-1 agreement.
//   node logit-agreement.mjs FILE.kld OURS.f32
//   node logit-agreement.mjs FILE.kld --tokens MODEL.gguf   the context's ids as llama-perplexity evaluates them (its first
//                                                         token replaced by BOS when the model adds BOS)
import { readFileSync } from "node:fs";

// The BOS id of a GGUF file when tokenizer.ggml.add_bos_token is true (else null): a minimal reader of the metadata.
function bosToAdd(path) {
  const b = readFileSync(path);
  let at = 8;
  const u64 = () => { const v = Number(b.readBigUInt64LE(at)); at += 8; return v; };
  const str = () => { const n = u64(); const s = b.toString("utf8", at, at + n); at += n; return s; };
  const sizes = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  const value = (type) => {
    if (type === 8) return str();
    if (type === 9) { const t = b.readUInt32LE(at); at += 4; const n = u64(); for (let i = 0; i < n; i++) value(t); return null; }
    const v = type === 4 ? b.readUInt32LE(at) : type === 5 ? b.readInt32LE(at) : type === 7 ? b[at] : null;
    at += sizes[type];
    return v;
  };
  u64(); // version + tensor count low bits: skip both below
  at = 16;
  const kvs = u64();
  const meta = {};
  for (let i = 0; i < kvs; i++) { const k = str(); const t = b.readUInt32LE(at); at += 4; meta[k] = value(t); }
  return meta["tokenizer.ggml.add_bos_token"] ? meta["tokenizer.ggml.bos_token_id"] : null;
}

const [kldPath, oursPath] = process.argv.slice(2);
const kld = readFileSync(kldPath);
if (kld.toString("latin1", 0, 8) !== "_logits_") throw new Error(`${kldPath}: not a llama-perplexity logits file`);
const nCtx = kld.readInt32LE(8), nVocab = kld.readInt32LE(12), nChunk = kld.readInt32LE(16);
const tokens = [];
for (let i = 0; i < nCtx; i++) tokens.push(kld.readInt32LE(20 + 4 * i));
if (oursPath === "--tokens") {
  const bos = bosToAdd(process.argv[4]);
  if (bos !== null) tokens[0] = bos;
  console.log(tokens.join(","));
  process.exit(0);
}
const first = Math.floor(nCtx / 2), positions = nCtx - 1 - first;
const nv = 2 * Math.floor((nVocab + 1) / 2) + 4;
let at = 20 + 4 * nCtx * nChunk;
const ours = new Float32Array(readFileSync(oursPath).buffer.slice(0));
if (ours.length < nCtx * nVocab) throw new Error(`${oursPath}: ${ours.length} floats, expected ${nCtx} x ${nVocab}`);
const centred = (v) => { const m = v.reduce((a, b) => a + b, 0) / v.length; return v.map((x) => x - m); };
const argmax = (v) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);
let minCos = 1, sumCos = 0, same = 0;
for (let p = 0; p < positions; p++, at += 2 * nv) {
  const scale = kld.readFloatLE(at), min = kld.readFloatLE(at + 4);
  const ref = new Array(nVocab);
  for (let i = 0; i < nVocab; i++) ref[i] = min + scale * kld.readUInt16LE(at + 8 + 2 * i);
  const row = Array.from(ours.subarray((first + p) * nVocab, (first + p + 1) * nVocab));
  const a = centred(ref), b = centred(row);
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < nVocab; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  const cos = dot / Math.sqrt(na * nb);
  minCos = Math.min(minCos, cos); sumCos += cos;
  if (argmax(ref) === argmax(row)) same++;
}
console.log(JSON.stringify({ positions, minCosine: +minCos.toFixed(5), meanCosine: +(sumCos / positions).toFixed(5), top1: +(same / positions).toFixed(4) }));
