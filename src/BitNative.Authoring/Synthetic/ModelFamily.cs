using BitNative.Model;
using BitNative.Formats.Gguf;

namespace BitNative.Authoring.Synthetic;

/// <summary>A family's hyperparameters: d, layers, FFN width, heads, KV heads, head width, vocabulary, context, RoPE base, RMSNorm eps.</summary>
public sealed record FamilyShape(int Embedding, int Layers, int FeedForward, int Heads, int KvHeads, int HeadDim, int Vocab, int Context,
    float RopeBase, float Eps);

/// <summary>
/// A family's tokenizer as its converter writes it: <c>tokenizer.ggml.pre</c>, the special tokens (CONTROL, then
/// USER_DEFINED ones such as Qwen3's &lt;think&gt;), which of them are BOS / EOS / EOT, whether BOS is added, the chat template.
/// </summary>
public sealed record FamilyTokenizer(string Pre, string[] Control, string[] UserDefined, string? Bos, string Eos, string? Eot, bool AddBos,
    string? Template)
{
    /// <summary>A SentencePiece ("llama") vocabulary with scores and byte fallback instead of byte-level BPE.</summary>
    public bool SentencePiece { get; init; }
}

/// <summary>
/// One public 1-bit / 1.58-bit model family: how its published GGUF is laid out (architecture, projection and embedding
/// types, tied or separate head), its real shape, its tokenizer and template, and where users get it.
/// <c>bitnative make-model --family</c> writes a file in exactly this layout; <c>bitnative inspect</c> names the family
/// of a file from the same rows.
/// </summary>
/// <param name="Id">The <c>--family</c> name.</param>
/// <param name="Name">Who publishes it and what it is.</param>
/// <param name="Architecture">GGUF <c>general.architecture</c>.</param>
/// <param name="Weights">Projection storage.</param>
/// <param name="Embedding">token_embd storage.</param>
/// <param name="Output">output.weight storage, or null for a head tied to token_embd.</param>
/// <param name="Full">The published shape (<c>--shape full</c>).</param>
/// <param name="Tokenizer">The tokenizer metadata.</param>
/// <param name="Download">The file to download (Hugging Face repository and file name).</param>
public sealed record ModelFamily(string Id, string Name, string Architecture, SyntheticWeights Weights, SyntheticHead Embedding,
    SyntheticHead? Output, FamilyShape Full, FamilyTokenizer Tokenizer, string Download)
{
    private static readonly string[] Llama3Control = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"];

    private static readonly FamilyTokenizer Llama3Tokens = new("llama-bpe", Llama3Control, [], "<|begin_of_text|>", "<|end_of_text|>",
        "<|eot_id|>", AddBos: true, FamilyTemplates.Llama3);

    private static readonly FamilyTokenizer BitNetTokens = Llama3Tokens with { Template = FamilyTemplates.BitNetGgufPlaceholder };

    // Falcon3's vocabulary: <|endoftext|> (id 11) ends a turn and is what llama.cpp adds as BOS ('falcon3': add_bos).
    private static readonly FamilyTokenizer Falcon3Tokens = new("falcon3", ["<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>"], [],
        "<|endoftext|>", "<|endoftext|>", null, AddBos: true, FamilyTemplates.Falcon3);

    // Qwen3: no BOS added; <|endoftext|> is bos / pad, <|im_end|> the instruct models' EOS; <think> tags are plain added tokens.
    private static readonly FamilyTokenizer Qwen3Tokens = new("qwen2", ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], ["<think>", "</think>"],
        "<|endoftext|>", "<|im_end|>", null, AddBos: false, FamilyTemplates.Qwen3);

    // 1bitLLM's bitnet_b1_58 models keep Llama-2's SentencePiece tokenizer: <unk>, <s>, </s>, byte fallback, no template.
    private static readonly FamilyTokenizer Llama2Tokens = new("default", ["<s>", "</s>"], [], "<s>", "</s>", null, AddBos: true, null)
    {
        SentencePiece = true,
    };

    private static readonly FamilyShape BitNet2B4T = new(2560, 30, 6912, 20, 5, 128, 128256, 4096, 500000f, 1e-5f);
    private static readonly FamilyShape Bonsai8B = new(4096, 36, 12288, 32, 8, 128, 151936, 40960, 1000000f, 1e-6f);

    /// <summary>Every family.</summary>
    public static readonly IReadOnlyList<ModelFamily> All =
    [
        new("bitnet-2b4t", "BitNet-b1.58-2B-4T (Microsoft; bitnet.cpp I2_S, F16 embedding)", "bitnet-b1.58", SyntheticWeights.I2S,
            SyntheticHead.F16, null, BitNet2B4T, BitNetTokens, "microsoft/bitnet-b1.58-2B-4T-gguf: ggml-model-i2_s.gguf"),
        new("bitnet-2b4t-q6k", "BitNet-b1.58-2B-4T with bitnet.cpp's --quant-embd (Q6_K embedding)", "bitnet-b1.58", SyntheticWeights.I2S,
            SyntheticHead.Q6_K, null, BitNet2B4T, BitNetTokens, "convert with bitnet.cpp setup_env.py --quant-embd"),
        new("bitnet-large", "bitnet_b1_58-large (1bitLLM; llama.cpp 'bitnet', TQ2_0, Q6_K embedding)", "bitnet", SyntheticWeights.Tq2,
            SyntheticHead.Q6_K, null, new(1536, 24, 4096, 16, 16, 96, 32002, 2048, 10000f, 1e-5f), Llama2Tokens,
            "1bitLLM/bitnet_b1_58-large, converted with llama.cpp convert_hf_to_gguf.py + llama-quantize TQ2_0"),
        new("bitnet-large-i2s", "bitnet_b1_58-large as bitnet.cpp's 2024 llama-quantize writes it ('bitnet', I2_S, F16 embedding)", "bitnet",
            SyntheticWeights.I2S, SyntheticHead.F16, null, new(1536, 24, 4096, 16, 16, 96, 32002, 2048, 10000f, 1e-5f), Llama2Tokens,
            "1bitLLM/bitnet_b1_58-large via bitnet.cpp (2024) setup_env.py -q i2_s (quantized with one thread)"),
        new("falcon3", "Falcon3-1B/3B/7B/10B-Instruct-1.58bit (TII; 'llama', bitnet.cpp I2_S, F32 embedding, F16 head)", "llama",
            SyntheticWeights.I2S, SyntheticHead.F32, SyntheticHead.F16, new(3072, 40, 23040, 12, 4, 256, 131072, 32768, 1000042f, 1e-6f),
            Falcon3Tokens, "tiiuae/Falcon3-10B-Instruct-1.58bit-GGUF: ggml-model-i2_s.gguf"),
        new("falcon-e", "Falcon-E-1B/3B-Instruct (TII; 'llama', bitnet.cpp I2_S)", "llama", SyntheticWeights.I2S, SyntheticHead.F32,
            SyntheticHead.F16, new(2048, 32, 8192, 8, 2, 256, 32768, 32768, 1000042f, 1e-6f), Falcon3Tokens with { Pre = "falcon_e" },
            "tiiuae/Falcon-E-3B-Instruct-GGUF: ggml-model-i2_s.gguf"),
        new("llama3-8b-1.58", "Llama3-8B-1.58-100B-tokens (HF1BitLLM; 'llama', bitnet.cpp I2_S)", "llama", SyntheticWeights.I2S,
            SyntheticHead.F32, SyntheticHead.F16, new(4096, 32, 14336, 32, 8, 128, 128256, 8192, 500000f, 1e-5f), Llama3Tokens,
            "HF1BitLLM/Llama3-8B-1.58-100B-tokens, converted with bitnet.cpp setup_env.py -q i2_s"),
        new("bonsai-ternary", "Ternary Bonsai 1.7B/4B/8B (PrismML; 'qwen3', Q2_0 in 64-weight groups)", "qwen3", SyntheticWeights.Q2_0,
            SyntheticHead.Q8_0, SyntheticHead.Q8_0, Bonsai8B, Qwen3Tokens, "prism-ml/Ternary-Bonsai-8B-gguf: *_Q2_0_g64.gguf"),
        new("bonsai-ternary-g128", "Ternary Bonsai from PrismML's fork (Q2_0 in 128-weight groups under id 42)", "qwen3",
            SyntheticWeights.Q2_0G128, SyntheticHead.Q8_0, SyntheticHead.Q8_0, Bonsai8B, Qwen3Tokens, "prism-ml/Ternary-Bonsai-8B-gguf: *_Q2_0.gguf"),
        new("bonsai-binary", "Bonsai 1-bit (PrismML; 'qwen3', Q1_0)", "qwen3", SyntheticWeights.Q1_0, SyntheticHead.Q8_0,
            SyntheticHead.Q8_0, Bonsai8B, Qwen3Tokens, "prism-ml/Bonsai-8B-gguf: *_Q1_0.gguf"),
    ];

    /// <summary>The family with this <c>--family</c> name.</summary>
    public static ModelFamily? Find(string id) => All.FirstOrDefault(f => f.Id == id);

    /// <summary>
    /// The family a file's layout belongs to: its architecture, the type of its first attention projection (by
    /// layout, so Q2_0 and PrismML's Q2_0 are told apart) and its pre-tokenizer; null when no row matches.
    /// </summary>
    public static ModelFamily? Recognise(GgufFile file)
    {
        string? arch = file.Metadata.TryGetValue("general.architecture", out GgufValue? a) && a.Type == GgufValueType.String ? a.AsString() : null;
        string? pre = file.Metadata.TryGetValue("tokenizer.ggml.pre", out GgufValue? p) && p.Type == GgufValueType.String ? p.AsString() : null;
        if (arch is null || !file.TryGetTensor("blk.0.attn_q.weight", out GgufTensorInfo? q))
        {
            return null;
        }

        string projection = q.TypeName;
        string embedding = file.TryGetTensor("token_embd.weight", out GgufTensorInfo? e) ? e.TypeName : "";
        ArchitectureDescription? description = ArchitectureDescription.FromGgufName(arch);
        return All.Where(f => ArchitectureDescription.FromGgufName(f.Architecture) == description)
            .OrderByDescending(f => (Stored(f.Weights) == projection ? 4 : 0) + (f.Tokenizer.Pre == pre ? 2 : 0) + (Stored(f.Embedding) == embedding ? 1 : 0))
            .FirstOrDefault(f => Stored(f.Weights) == projection || f.Tokenizer.Pre == pre);
    }

    /// <summary>The GGUF type name a storage choice writes.</summary>
    public static string Stored(SyntheticWeights w) => w switch
    {
        SyntheticWeights.I2S => "I2_S",
        SyntheticWeights.Tq2 => "TQ2_0",
        SyntheticWeights.Tq1 => "TQ1_0",
        SyntheticWeights.Q2_0 => "Q2_0",
        SyntheticWeights.Q2_0G128 => "Q2_0_G128",
        SyntheticWeights.Q1_0 => "Q1_0",
        _ => "F16",
    };

    /// <summary>The GGUF type name a head / embedding choice writes.</summary>
    public static string Stored(SyntheticHead h) => h switch
    {
        SyntheticHead.Q8_0 => "Q8_0",
        SyntheticHead.Q6_K => "Q6_K",
        SyntheticHead.F32 => "F32",
        _ => "F16",
    };
}
