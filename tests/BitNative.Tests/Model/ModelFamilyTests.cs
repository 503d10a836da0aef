using BitNative.Generation;
using BitNative.Authoring.Synthetic;
using BitNative.Formats.Gguf;
using BitNative.Kernels;
using BitNative.Model;
using BitNative.Tests.Formats;
using BitNative.Tokenization;
using Xunit;

namespace BitNative.Tests.Model;

/// <summary>
/// Every public 1-bit / 1.58-bit family in its converter's exact layout (make-model --family, small shape): it loads,
/// generates, renders chat with the file's own template, and its logits over 48 positions match the managed reference
/// forward built straight from the file's tensors (build/compare-families-llama.sh does the same against llama.cpp).
/// </summary>
public sealed class ModelFamilyTests : TempFolderTests
{
    private const string Text =
        "The little boat sailed out of the harbour at dawn, and the sea was calm while the birds flew over the waves. " +
        "By noon the wind had turned, 1984 ships were counted, and the old captain told stories of storms long past.";

    public static TheoryData<string> Families() => new(ModelFamily.All.Select(f => f.Id));

    [Theory]
    [MemberData(nameof(Families))]
    public void LoadsGenerates_AndMatchesTheReferenceForward(string id)
    {
        ModelFamily family = ModelFamily.Find(id)!;
        string path = Folder.File($"{id}.gguf");
        SyntheticModelWriter.Write(SyntheticModelSpec.ForFamily(family, "small", null, seed: 21), path);
        using (GgufFile file = GgufFile.Open(path))
        {
            Assert.Same(family, ModelFamily.Recognise(file));
            Assert.Equal(ModelFamily.Stored(family.Weights), file.GetTensor("blk.0.attn_q.weight").TypeName);
        }

        LoadedModel loaded = ModelLoader.Load(path, new ModelLoadOptions());
        using var model = new BitNetModel(loaded, new ModelOptions { Threads = 2, BatchSize = 16 }, KernelThreadPool.Create(2), path);
        ModelConfig c = model.Config;
        Assert.Equal(family.Architecture, c.ArchitectureName);

        int[] tokens = model.Tokenize(Text + " " + Text, addBos: model.AddsBos)[..48];
        using InferenceSession session = model.CreateSession();
        float[] logits = session.EvaluateAll(tokens);
        ReferenceTransformer reference = FileReference.Build(path, c);
        float[][] expected = tokens.Select(reference.Step).ToArray();
        float[][] actual = Enumerable.Range(0, tokens.Length).Select(t => logits.AsSpan(t * c.VocabSize, c.VocabSize).ToArray()).ToArray();
        LogitAgreement agreement = LogitAgreement.Of(expected, actual);
        TestContext.Current.TestOutputHelper?.WriteLine($"{id}: {agreement} over {tokens.Length} positions");
        Assert.True(agreement.Meets(0.99, 0.85), $"{id}: {agreement}");

        using InferenceSession chat = model.CreateSession();
        var reply = chat.ChatAsync([ChatMessage.User("Tell me about the sea.")],
                new GenerationSettings { MaxTokens = 6, Sampling = global::BitNative.Generation.SamplingOptions.Greedy },
                TestContext.Current.CancellationToken)
            .ToBlockingEnumerable(TestContext.Current.CancellationToken).ToList();
        Assert.True(chat.Tokens.Count > 6);
    }

    [Theory]
    [InlineData("bonsai-ternary", "Template", "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")]
    [InlineData("falcon3", "Template", "<|endoftext|><|user|>\nHi\n<|assistant|>\n")]
    [InlineData("llama3-8b-1.58", "Template", "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")]
    [InlineData("bitnet-2b4t", "BitNet", "<|begin_of_text|>User: Hi<|eot_id|>Assistant: ")]
    [InlineData("bitnet-large", "BitNet", "<s>User: Hi</s>Assistant: ")] // no template, SentencePiece vocabulary
    public void ChatUsesTheFilesTemplate_AndStopsOnItsEndTokens(string id, string format, string prompt)
    {
        string path = Folder.File($"{id}-chat.gguf");
        SyntheticModelWriter.Write(SyntheticModelSpec.ForFamily(ModelFamily.Find(id)!, "small", null, seed: 3), path);
        using GgufFile file = GgufFile.Open(path);
        TokenizerData data = GgufModelReader.ReadTokenizer(file, GgufModelReader.ReadConfig(file));
        var tokenizer = ByteLevelBpeTokenizer.Create(data);
        Assert.Equal(format, tokenizer.Chat.Format.ToString());
        Assert.Equal(prompt, tokenizer.Chat.Render([new ChatTurn("user", "Hi")], addGenerationPrompt: true).Text);
        Assert.True(tokenizer.IsStopToken(data.EosId!.Value));
        if (tokenizer.TryGetSpecialTokenId("<|im_end|>", out int imEnd))
        {
            Assert.True(tokenizer.IsStopToken(imEnd));
            Assert.False(tokenizer.IsStopToken(tokenizer.TryGetSpecialTokenId("<|im_start|>", out int imStart) ? imStart : -1));
        }
    }

    [Fact]
    public void Qwen3HeadsWiderThanTheResidualStream_AndBothQ2_0LayoutsDecideByExtent()
    {
        // the small qwen3 shape has 4 heads of 128 over d = 256 (as Qwen3-4B: 32 x 128 over 2560)
        ModelFamily g64 = ModelFamily.Find("bonsai-ternary")!, g128 = ModelFamily.Find("bonsai-ternary-g128")!;
        string a = Folder.File("g64.gguf"), b = Folder.File("g128.gguf");
        SyntheticModelWriter.Write(SyntheticModelSpec.ForFamily(g64, "small", null, seed: 5), a);
        SyntheticModelWriter.Write(SyntheticModelSpec.ForFamily(g128, "small", null, seed: 5), b);
        using GgufFile fa = GgufFile.Open(a), fb = GgufFile.Open(b);
        GgufTensorInfo qa = fa.GetTensor("blk.0.attn_q.weight"), qb = fb.GetTensor("blk.0.attn_q.weight");
        Assert.Equal(GgmlType.Q2_0, qa.Type);
        Assert.Equal(GgmlType.Q2_0, qb.Type); // one id in both files ...
        Assert.Equal(("Q2_0", 18 * 512 * 256 / 64L), (qa.TypeName, qa.ByteSize)); // ... two layouts: [256 -> 4 x 128]
        Assert.Equal(("Q2_0_G128", 34 * 512 * 256 / 128L), (qb.TypeName, qb.ByteSize));
        ModelConfig c = GgufModelReader.ReadConfig(fa);
        Assert.Equal((128, 512, 256), (c.HeadDim, c.QueryDim, c.EmbeddingLength));
        Assert.True(c.QueryKeyNorm);
    }

    [Fact]
    public async Task Qwen3StreamsDecodedTogetherGiveWhatEachGivesAlone()
    {
        // batched decoding (serve) runs the QK-norm and the wide query heads over several sequences' rows at once
        string path = Folder.File("batched-qwen3.gguf");
        SyntheticModelWriter.Write(SyntheticModelSpec.ForFamily(ModelFamily.Find("bonsai-ternary")!, "small", null, seed: 8), path);
        using BitNetModel model = BitNetModel.Load(path, new ModelOptions { Threads = 2, BatchSize = 16 });
        var greedy = new GenerationSettings { MaxTokens = 12, Sampling = global::BitNative.Generation.SamplingOptions.Greedy };
        string[] prompts = ["The little boat", "By noon the wind", "Stories of storms long"];
        var alone = new List<(string, FinishReason, int)>();
        foreach (string prompt in prompts)
        {
            using InferenceSession session = model.CreateSession();
            var text = new System.Text.StringBuilder();
            await foreach (string piece in session.GenerateAsync(prompt, greedy, TestContext.Current.CancellationToken))
            {
                text.Append(piece);
            }

            alone.Add((text.ToString(), session.LastStatistics!.FinishReason, session.LastStatistics.GeneratedTokens));
        }

        using var generator = new BatchedGenerator(model, new BatchedGeneratorOptions { Slots = 3, PrefillChunk = 4 });
        var streams = prompts.Select(p => generator.Start(p, greedy, TestContext.Current.CancellationToken)).ToList();
        var together = await Task.WhenAll(streams.Select(s => s.ReadToEndAsync(TestContext.Current.CancellationToken)));
        Assert.Equal(alone, together);
        streams.ForEach(s => s.Dispose());
    }

    [Fact]
    public void TheFamiliesTemplatesAreTheTestedTexts()
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "data", "templates");
        Assert.Equal(FamilyTemplates.Qwen3, File.ReadAllText(Path.Combine(folder, "qwen3.jinja")));
        Assert.Equal(FamilyTemplates.Falcon3, File.ReadAllText(Path.Combine(folder, "falcon3.jinja")));
        Assert.Equal(FamilyTemplates.Llama3, File.ReadAllText(Path.Combine(folder, "llama3.jinja")));
    }
}
