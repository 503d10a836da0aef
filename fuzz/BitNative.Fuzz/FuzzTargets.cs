using System.Text;
using System.Text.Json;
using BitNative.Authoring.Synthetic;
using BitNative.Cli.Serving;
using BitNative.Formats;
using BitNative.Formats.Gguf;
using BitNative.Formats.Safetensors;
using BitNative.Model;
using BitNative.Tokenization;
using BitNative.Tokenization.Jinja;
using SharpFuzz;

namespace BitNative.Fuzz;

/// <summary>One fuzz target: a reader fed arbitrary bytes.</summary>
/// <param name="Name">The name build/fuzz.sh, the corpus folder (fuzz/corpus/NAME) and the regression folder use.</param>
/// <param name="Description">What the bytes are.</param>
/// <param name="Action">
/// Runs the reader and everything the product does next with what it read. It returns when the reader accepted the
/// input or rejected it the documented way; any other exception escapes, and is a finding.
/// </param>
public sealed record FuzzTarget(string Name, string Description, ReadOnlySpanAction Action)
{
    /// <summary>Runs the target on <paramref name="data"/>.</summary>
    public void Run(ReadOnlySpan<byte> data) => Action(data);
}

/// <summary>
/// The harnesses. Each states its contract as the exceptions it lets pass: those the reader documents for bad input
/// (and that its callers turn into one-line errors or HTTP 400s). Anything else that escapes (an IndexOutOfRange,
/// a NullReference, an InvalidOperation from a JSON accessor, an OutOfMemory, a stack overflow) is a bug in the reader.
/// </summary>
public static class FuzzTargets
{
    public static readonly IReadOnlyList<FuzzTarget> All =
    [
        new("gguf", "a GGUF file: header, metadata and tensor infos, then the model config, tokenizer and chat template it carries", Gguf),
        new("safetensors", "a safetensors file: 8-byte length, JSON header, data", Safetensors),
        new("config", "a Hugging Face config.json (hyperparameters and quantization_config)", Config),
        new("tokenizer", "a Hugging Face tokenizer.json, optionally followed by a NUL byte and a tokenizer_config.json", Tokenizer),
        new("chat-template", "a chat template (Jinja subset), compiled and rendered over a fixed conversation", ChatTemplate),
        new("http", "the JSON body of POST /v1/chat/completions and /v1/completions, validated as bitnative serve does", Http),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    /// <summary>Text the tokenizers encode: ASCII, accents, CJK, emoji, digits, whitespace runs and special-token text.</summary>
    private const string SampleText = "Hello, world! Größe 12345  \n\n\t你好 😀 <|eot_id|><|im_start|>user don't";

    /// <summary>
    /// A conversation for the templates: special-token text and a private-use character inside messages. Lazy, like
    /// everything here that touches BitNative's types: in an instrumented process their code may run only once
    /// <c>Fuzzer.LibFuzzer.Run</c> has mapped the coverage memory.
    /// </summary>
    private static readonly Lazy<ChatTurn[]> Conversation = new(() =>
    [
        new("system", "You are terse."),
        new("user", "Say <|eot_id|> or <|im_end|>\uE000 please."),
        new("assistant", "<think>\nhm\n</think>\n\nNo."),
        new("user", "Why?"),
    ]);

    /// <summary>256 byte tokens (GPT-2 order, no merges) and the control tokens of the built-in formats and family templates.</summary>
    private static readonly Lazy<ByteLevelBpeTokenizer> BytesTokenizer = new(() =>
    {
        string[] specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>", "<|im_start|>", "<|im_end|>",
            "<|system|>", "<|user|>", "<|assistant|>"];
        var tokens = ByteLevel.VocabularyOrder.Select(b => ByteLevel.ByteToChar[b].ToString()).Concat(specials).ToList();
        var types = Enumerable.Repeat(TokenType.Normal, 256).Concat(specials.Select(_ => TokenType.Control)).ToList();
        var data = new TokenizerData(tokens, types, [], bosId: 256, eosId: 257, eotId: 258, null, addBos: true, "llama-bpe", ChatFormatter.BitNetTemplate);
        return ByteLevelBpeTokenizer.Create(data);
    });

    private static void Gguf(ReadOnlySpan<byte> data)
    {
        GgufFile file;
        try
        {
            file = GgufFile.Parse(data.ToArray(), "fuzz.gguf");
        }
        catch (BitNativeFormatException)
        {
            return;
        }

        using (file)
        {
            foreach (GgufTensorInfo tensor in file.Tensors)
            {
                _ = file.GetTensorData(tensor);
                if (tensor.Type == GgmlType.I2_S)
                {
                    _ = file.GetI2SScale(tensor);
                }
            }

            foreach (KeyValuePair<string, GgufValue> entry in file.Metadata)
            {
                _ = entry.Value.ToString();
            }

            // What loading does next, short of the weights (native code, not this harness's subject).
            try
            {
                ModelConfig config = GgufModelReader.ReadConfig(file);
                _ = ModelFamily.Recognise(file);
                Exercise(ByteLevelBpeTokenizer.Create(GgufModelReader.ReadTokenizer(file, config)));
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException or BitNativeFormatException)
            {
            }
        }
    }

    private static void Safetensors(ReadOnlySpan<byte> data)
    {
        SafetensorsFile file;
        try
        {
            file = SafetensorsFile.Parse(data.ToArray(), "fuzz.safetensors");
        }
        catch (BitNativeFormatException)
        {
            return;
        }

        using (file)
        {
            foreach (SafetensorsTensorInfo tensor in file.Tensors)
            {
                _ = file.GetTensorData(tensor);
            }

            _ = file.Metadata.Count;
        }
    }

    private static void Config(ReadOnlySpan<byte> data)
    {
        string path = Scratch.Write("config.json", data);
        try
        {
            _ = HuggingFaceConfig.Read(path);
        }
        catch (InvalidDataException)
        {
        }
    }

    private static void Tokenizer(ReadOnlySpan<byte> data)
    {
        int nul = data.IndexOf((byte)0);
        string json = Scratch.Write("tokenizer.json", nul < 0 ? data : data[..nul]);
        string? config = nul < 0 ? null : Scratch.Write("tokenizer_config.json", data[(nul + 1)..]);
        try
        {
            Exercise(ByteLevelBpeTokenizer.Create(TokenizerData.FromHuggingFace(json, config)));
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
        }
    }

    private static void ChatTemplate(ReadOnlySpan<byte> data)
    {
        // A template compiles, or Detect falls back to a built-in format by signature; rendering may fail only through
        // the template (raise_exception, a type error, a limit), as the documented InvalidOperationException.
        var formatter = new ChatFormatter(BytesTokenizer.Value, ChatFormatter.Detect(Encoding.UTF8.GetString(data)));
        try
        {
            _ = formatter.Render(Conversation.Value, addGenerationPrompt: true, enableThinking: false);
            _ = formatter.Render(Conversation.Value[1..2], addGenerationPrompt: false);
        }
        catch (InvalidOperationException e) when (IsChatFormatError(e))
        {
        }
    }

    private static void Http(ReadOnlySpan<byte> data)
    {
        JsonDocument body;
        try
        {
            body = JsonDocument.Parse(data.ToArray()); // CompletionEndpoints.ReadJson: malformed JSON is a 400
        }
        catch (JsonException)
        {
            return;
        }

        using (body)
        {
            foreach (bool chat in (bool[])[true, false])
            {
                try
                {
                    const int Context = 512;
                    int vocab = BytesTokenizer.Value.VocabularySize;
                    CompletionRequest request = chat
                        ? CompletionRequest.ParseChat(body.RootElement, Context, vocab)
                        : CompletionRequest.ParseText(body.RootElement, Context, vocab);
                    // What BatchedGenerator.Start does with it before any native code runs (an ArgumentException there is a 400).
                    try
                    {
                        request.Settings.Validate(vocab);
                        if (request.Messages is { } messages)
                        {
                            _ = BytesTokenizer.Value.Chat.Render(messages.Select(m => new ChatTurn(m.Role, m.Content)).ToList(), addGenerationPrompt: true);
                        }
                        else if (request.Text is { } text)
                        {
                            _ = BytesTokenizer.Value.Encode(text, addBos: true);
                        }
                    }
                    catch (ArgumentException)
                    {
                    }
                }
                catch (ApiError e)
                {
                    _ = JsonSerializer.Serialize(e.ToBody());
                }
            }
        }
    }

    /// <summary>Encodes, decodes and renders a chat with a tokenizer that was read from the input.</summary>
    private static void Exercise(ByteLevelBpeTokenizer tokenizer)
    {
        int[] ids = tokenizer.Encode(SampleText, tokenizer.AddBos);
        _ = tokenizer.Detokenize(ids);
        _ = tokenizer.Detokenize(tokenizer.EncodeWithSpecialTokens(SampleText, addBos: false), skipSpecialTokens: true);
        for (int id = 0; id < Math.Min(tokenizer.VocabularySize, 64); id++)
        {
            _ = tokenizer.TokenToPiece(id);
        }

        try
        {
            _ = tokenizer.Chat.Render(Conversation.Value, addGenerationPrompt: true);
        }
        catch (InvalidOperationException e) when (IsChatFormatError(e))
        {
        }
    }

    /// <summary>
    /// ChatFormatter.Render's documented failure: the model's template fails on the conversation (a JinjaException
    /// inside), or the vocabulary lacks the tokens the format needs (e.g. no end-of-turn token). Both come from
    /// ChatFormatter itself; an InvalidOperationException from anywhere else is a bug.
    /// </summary>
    private static bool IsChatFormatError(InvalidOperationException e) =>
        e.InnerException is JinjaException || e.TargetSite?.DeclaringType == typeof(ChatFormatter);

    /// <summary>
    /// Files for the readers that take a path (config.json, tokenizer.json): one folder per process under the temp
    /// folder (build/fuzz.sh points TMPDIR at a folder it removes afterwards), each name overwritten per input.
    /// </summary>
    private static class Scratch
    {
        private static readonly Lazy<string> Folder = new(() =>
        {
            string dir = Path.Combine(Path.GetTempPath(), $"bitnative-fuzz-{Environment.ProcessId}");
            Directory.CreateDirectory(dir);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(dir, recursive: true);
            return dir;
        });

        public static string Write(string name, ReadOnlySpan<byte> bytes)
        {
            string path = Path.Combine(Folder.Value, name);
            using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 1);
            stream.Write(bytes);
            return path;
        }
    }
}
