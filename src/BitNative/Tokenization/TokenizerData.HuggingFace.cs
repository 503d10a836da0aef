using System.Text.Encodings.Web;
using System.Text.Json;
using BitNative.Formats;

namespace BitNative.Tokenization;

internal sealed partial class TokenizerData
{
    // End-of-turn tokens recognised by name when the metadata does not say which one it is.
    private static readonly string[] EndOfTurnNames = ["<|eot_id|>", "<|im_end|>"];

    /// <summary>
    /// Reads a Hugging Face tokenizer.json (BPE model: <c>model.vocab</c>, <c>model.merges</c> as "a b" strings or
    /// [a, b] pairs, <c>added_tokens</c>) and optionally tokenizer_config.json (<c>bos_token</c>, <c>eos_token</c>,
    /// <c>pad_token</c>, <c>add_bos_token</c>, <c>chat_template</c>). Added tokens with <c>special: true</c> become
    /// <see cref="TokenType.Control"/>, the others <see cref="TokenType.UserDefined"/>.
    /// The result is validated.
    /// </summary>
    /// <exception cref="InvalidDataException">The files are malformed or describe an inconsistent vocabulary.</exception>
    /// <exception cref="NotSupportedException">The tokenizer is not a byte-level BPE with the Llama-3 pre-tokenizer.</exception>
    public static TokenizerData FromHuggingFace(string tokenizerJsonPath, string? tokenizerConfigPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenizerJsonPath);
        using JsonDocument doc = ParseFile(tokenizerJsonPath);
        JsonElement root = doc.RootElement;
        string where = Path.GetFileName(tokenizerJsonPath);

        JsonElement model = Required(root, "model", where);
        string? modelType = OptionalString(model, "type");
        if (modelType is not null and not "BPE")
        {
            throw new NotSupportedException($"{where}: model.type is '{modelType}'; only BPE tokenizers are supported.");
        }

        foreach (string unsupported in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (model.TryGetProperty(unsupported, out JsonElement v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0)
            {
                throw new NotSupportedException($"{where}: model.{unsupported} is set; only plain byte-level BPE is supported.");
            }
        }

        if (model.TryGetProperty("byte_fallback", out JsonElement bf) && bf.ValueKind == JsonValueKind.True)
        {
            throw new NotSupportedException($"{where}: model.byte_fallback is set (SentencePiece-style BPE); only byte-level BPE is supported.");
        }

        if (root.TryGetProperty("normalizer", out JsonElement normalizer) && normalizer.ValueKind != JsonValueKind.Null)
        {
            throw new NotSupportedException($"{where}: a normalizer is configured ({OptionalString(normalizer, "type") ?? "?"}); Llama-3 style tokenizers have none.");
        }

        string preTokenizer = DetectPreTokenizer(root, where);

        // Vocabulary: id -> token, from model.vocab plus added_tokens.
        var byId = new Dictionary<int, (string Token, TokenType Type)>();
        JsonElement vocab = Required(model, "vocab", where);
        if (vocab.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{where}: model.vocab must be an object of token -> id.");
        }

        foreach (JsonProperty entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
            {
                throw new InvalidDataException($"{where}: model.vocab['{Printable(entry.Name)}'] is not a non-negative 32-bit id.");
            }

            if (!byId.TryAdd(id, (entry.Name, TokenType.Normal)))
            {
                throw new InvalidDataException($"{where}: id {id} is used by both '{Printable(byId[id].Token)}' and '{Printable(entry.Name)}'.");
            }
        }

        if (root.TryGetProperty("added_tokens", out JsonElement added) && added.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement token in added.EnumerateArray())
            {
                // Checked kinds: JsonElement's typed getters throw InvalidOperationException on others (found by fuzzing).
                int id = Required(token, "id", where + " added_tokens") is { ValueKind: JsonValueKind.Number } idValue
                    && idValue.TryGetInt32(out int i) && i >= 0
                    ? i
                    : throw new InvalidDataException($"{where}: an added token's id is not a non-negative 32-bit integer.");
                string content = Required(token, "content", where + " added_tokens") is { ValueKind: JsonValueKind.String } text
                    ? text.GetString()!
                    : throw new InvalidDataException($"{where}: added token {id} has no string content.");
                bool special = token.TryGetProperty("special", out JsonElement s) && s.ValueKind == JsonValueKind.True;
                TokenType type = special ? TokenType.Control : TokenType.UserDefined;
                if (byId.TryGetValue(id, out var existing) && existing.Token != content)
                {
                    throw new InvalidDataException(
                        $"{where}: added token {id} '{Printable(content)}' conflicts with vocabulary token '{Printable(existing.Token)}'.");
                }

                byId[id] = (content, type);
            }
        }

        if (byId.Count == 0)
        {
            throw new InvalidDataException($"{where}: the vocabulary is empty.");
        }

        int count = byId.Keys.Max() + 1;
        if (count != byId.Count)
        {
            int missing = Enumerable.Range(0, count).First(i => !byId.ContainsKey(i));
            throw new InvalidDataException($"{where}: token ids are not contiguous; id {missing} has no token (max id {count - 1}).");
        }

        var tokens = new string[count];
        var types = new TokenType[count];
        foreach (var (id, (token, type)) in byId)
        {
            tokens[id] = token;
            types[id] = type;
        }

        var merges = ReadMerges(model, where);

        // Special ids and the rest from tokenizer_config.json.
        int? bos = null, eos = null, pad = null;
        bool? addBos = null;
        string? chatTemplate = null;
        var lookup = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            lookup.TryAdd(tokens[i], i);
        }

        if (tokenizerConfigPath is not null)
        {
            using JsonDocument config = ParseFile(tokenizerConfigPath);
            JsonElement c = config.RootElement;
            string cwhere = Path.GetFileName(tokenizerConfigPath);
            bos = SpecialTokenId(c, "bos_token", lookup, cwhere);
            eos = SpecialTokenId(c, "eos_token", lookup, cwhere);
            pad = SpecialTokenId(c, "pad_token", lookup, cwhere);
            if (c.TryGetProperty("add_bos_token", out JsonElement ab) && ab.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                addBos = ab.GetBoolean();
            }

            chatTemplate = ReadChatTemplate(c, cwhere);
        }

        int? eot = null;
        foreach (string name in EndOfTurnNames)
        {
            if (lookup.TryGetValue(name, out int id) && types[id] == TokenType.Control)
            {
                eot = id;
                break;
            }
        }

        // Llama-3's tokenizer_config.json has no add_bos_token: its post-processor prepends BOS. Default to
        // adding BOS whenever there is one, as llama.cpp does for these vocabularies.
        var data = new TokenizerData(tokens, types, merges, bos, eos, eot, pad, addBos ?? bos is not null, preTokenizer, chatTemplate);
        data.Validate();
        return data;
    }

    private static List<string> ReadMerges(JsonElement model, string where)
    {
        var merges = new List<string>();
        if (!model.TryGetProperty("merges", out JsonElement array) || array.ValueKind == JsonValueKind.Null)
        {
            return merges;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{where}: model.merges must be an array.");
        }

        int index = 0;
        foreach (JsonElement merge in array.EnumerateArray())
        {
            if (merge.ValueKind == JsonValueKind.String)
            {
                merges.Add(merge.GetString()!);
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                     && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
            {
                string left = merge[0].GetString()!;
                string right = merge[1].GetString()!;
                if (left.Contains(' ') || right.Contains(' '))
                {
                    // GGUF (and Microsoft.ML.Tokenizers) store merges as "left right"; a space inside a part is ambiguous.
                    throw new InvalidDataException($"{where}: merge {index} ['{Printable(left)}', '{Printable(right)}'] contains a space inside a part.");
                }

                merges.Add(left + " " + right);
            }
            else
            {
                throw new InvalidDataException($"{where}: merge {index} is neither \"left right\" nor [left, right].");
            }

            index++;
        }

        return merges;
    }

    private static string DetectPreTokenizer(JsonElement root, string where)
    {
        if (!root.TryGetProperty("pre_tokenizer", out JsonElement pre) || pre.ValueKind == JsonValueKind.Null)
        {
            throw new NotSupportedException($"{where}: no pre_tokenizer; only the Llama-3 byte-level pre-tokenizer is supported.");
        }

        // Llama-3: Sequence[ Split(Regex = Llama-3 pattern, Isolated), ByteLevel(use_regex = false) ].
        string? regex = null;
        bool byteLevel = false;
        IEnumerable<JsonElement> steps = OptionalString(pre, "type") != "Sequence" ? [pre]
            : pre.TryGetProperty("pretokenizers", out JsonElement list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray()
            : throw new InvalidDataException($"{where}: pre_tokenizer is a Sequence without a 'pretokenizers' array.");
        foreach (JsonElement step in steps)
        {
            switch (OptionalString(step, "type"))
            {
                case "Split" when step.TryGetProperty("pattern", out JsonElement pattern):
                    regex = OptionalString(pattern, "Regex");
                    break;
                case "ByteLevel":
                    byteLevel = true;
                    if (step.TryGetProperty("use_regex", out JsonElement useRegex) && useRegex.ValueKind == JsonValueKind.True)
                    {
                        throw new NotSupportedException($"{where}: ByteLevel pre-tokenizer with the GPT-2 regex; only the Llama-3 pattern is supported.");
                    }

                    break;
                default:
                    throw new NotSupportedException($"{where}: unsupported pre-tokenizer step '{OptionalString(step, "type")}'.");
            }
        }

        if (byteLevel && regex == Llama3PreTokenizer.Qwen2Pattern)
        {
            return "qwen2";
        }

        if (!byteLevel || regex != Llama3PreTokenizer.Pattern)
        {
            throw new NotSupportedException($"{where}: the pre-tokenizer is not Llama-3's or Qwen2's (Split with their regex + ByteLevel).");
        }

        return Llama3PreTokenizerName;
    }

    private static int? SpecialTokenId(JsonElement config, string key, Dictionary<string, int> lookup, string where)
    {
        if (!config.TryGetProperty(key, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        // Either "content" or an AddedToken object { "content": ..., ... }.
        string? content = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object => OptionalString(value, "content"),
            _ => null,
        };
        if (content is null)
        {
            throw new InvalidDataException($"{where}: {key} is neither a string nor an object with 'content'.");
        }

        return lookup.TryGetValue(content, out int id)
            ? id
            : throw new InvalidDataException($"{where}: {key} '{Printable(content)}' is not in the vocabulary.");
    }

    private static string? ReadChatTemplate(JsonElement config, string where)
    {
        if (!config.TryGetProperty("chat_template", out JsonElement t) || t.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (t.ValueKind == JsonValueKind.String)
        {
            return t.GetString();
        }

        // Newer files: [{ "name": "default", "template": "..." }, ...].
        if (t.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement named in t.EnumerateArray())
            {
                if (OptionalString(named, "name") == "default")
                {
                    return OptionalString(named, "template");
                }
            }

            return null;
        }

        throw new InvalidDataException($"{where}: chat_template is neither a string nor a list of named templates.");
    }

    /// <summary>
    /// Writes a Hugging Face style tokenizer.json (byte-level BPE, Llama-3 pre-tokenizer, <c>ignore_merges</c>) and,
    /// if <paramref name="tokenizerConfigPath"/> is given, a tokenizer_config.json with the special tokens, add_bos
    /// and chat template. <see cref="FromHuggingFace"/> reads both back to an identical description.
    /// </summary>
    public void WriteHuggingFace(string tokenizerJsonPath, string? tokenizerConfigPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenizerJsonPath);
        Validate();
        if (!UsesLlama3PreTokenizer)
        {
            throw new NotSupportedException($"Pre-tokenizer '{PreTokenizer}' cannot be written; only Llama-3 is supported.");
        }

        var options = new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        Formats.AtomicFile.Write(tokenizerJsonPath, stream =>
        {
            using var w = new Utf8JsonWriter(stream, options);
            w.WriteStartObject();
            w.WriteString("version", "1.0");
            w.WriteNull("truncation");
            w.WriteNull("padding");
            w.WriteStartArray("added_tokens");
            for (int id = 0; id < Count; id++)
            {
                if (!TokenTypes[id].IsText())
                {
                    w.WriteStartObject();
                    w.WriteNumber("id", id);
                    w.WriteString("content", Tokens[id]);
                    w.WriteBoolean("single_word", false);
                    w.WriteBoolean("lstrip", false);
                    w.WriteBoolean("rstrip", false);
                    w.WriteBoolean("normalized", false);
                    w.WriteBoolean("special", TokenTypes[id] != TokenType.UserDefined);
                    w.WriteEndObject();
                }
            }

            w.WriteEndArray();
            w.WriteNull("normalizer");
            w.WriteStartObject("pre_tokenizer");
            w.WriteString("type", "Sequence");
            w.WriteStartArray("pretokenizers");
            w.WriteStartObject();
            w.WriteString("type", "Split");
            w.WriteStartObject("pattern");
            w.WriteString("Regex", Llama3PreTokenizer.Pattern);
            w.WriteEndObject();
            w.WriteString("behavior", "Isolated");
            w.WriteBoolean("invert", false);
            w.WriteEndObject();
            WriteByteLevel(w, addPrefixSpace: false, trimOffsets: true, useRegex: false);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WritePropertyName("post_processor");
            WriteByteLevel(w, addPrefixSpace: true, trimOffsets: false, useRegex: true);
            w.WritePropertyName("decoder");
            WriteByteLevel(w, addPrefixSpace: true, trimOffsets: true, useRegex: true);
            w.WriteStartObject("model");
            w.WriteString("type", "BPE");
            w.WriteNull("dropout");
            w.WriteNull("unk_token");
            w.WriteNull("continuing_subword_prefix");
            w.WriteNull("end_of_word_suffix");
            w.WriteBoolean("fuse_unk", false);
            w.WriteBoolean("byte_fallback", false);
            w.WriteBoolean("ignore_merges", true);
            w.WriteStartObject("vocab");
            for (int id = 0; id < Count; id++)
            {
                if (TokenTypes[id].IsText())
                {
                    w.WriteNumber(Tokens[id], id);
                }
            }

            w.WriteEndObject();
            w.WriteStartArray("merges");
            foreach (string merge in Merges)
            {
                w.WriteStringValue(merge);
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        });

        if (tokenizerConfigPath is null)
        {
            return;
        }

        Formats.AtomicFile.Write(tokenizerConfigPath, stream =>
        {
            using var w = new Utf8JsonWriter(stream, options);
            w.WriteStartObject();
            w.WriteBoolean("add_bos_token", AddBos);
            WriteTokenOrNull(w, "bos_token", BosId);
            WriteTokenOrNull(w, "eos_token", EosId);
            WriteTokenOrNull(w, "pad_token", PadId);
            if (ChatTemplate is null)
            {
                w.WriteNull("chat_template");
            }
            else
            {
                w.WriteString("chat_template", ChatTemplate);
            }

            w.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
            w.WriteEndObject();
        });
    }

    private void WriteTokenOrNull(Utf8JsonWriter w, string name, int? id)
    {
        if (id is int value)
        {
            w.WriteString(name, Tokens[value]);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteByteLevel(Utf8JsonWriter w, bool addPrefixSpace, bool trimOffsets, bool useRegex)
    {
        w.WriteStartObject();
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", addPrefixSpace);
        w.WriteBoolean("trim_offsets", trimOffsets);
        w.WriteBoolean("use_regex", useRegex);
        w.WriteEndObject();
    }

    private static JsonDocument ParseFile(string path)
    {
        byte[] bytes = Formats.InputFile.ReadAllBytes(path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }

        if (JsonText.FindNonUnicode(bytes, doc.RootElement) is { } at)
        {
            doc.Dispose();
            throw new InvalidDataException($"{path}: the string at {at} is not valid Unicode text (invalid UTF-8, or an escaped unpaired surrogate).");
        }

        return doc;
    }

    private static JsonElement Required(JsonElement element, string name, string where)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out JsonElement value))
        {
            throw new InvalidDataException($"{where}: missing '{name}'.");
        }

        return value;
    }

    private static string? OptionalString(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;
}
