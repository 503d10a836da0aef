using System.Text;
using BitNative.Formats.Gguf;
using BitNative.Formats.Safetensors;
using BitNative.Model;
using BitNative.Authoring.Gguf;
using BitNative.Authoring.Safetensors;
using BitNative.Authoring.Synthetic;
using BitNative.Tokenization;
using BitNative.Authoring.Tokenization;

namespace BitNative.Fuzz;

/// <summary>
/// Writes the seed corpus (committed under fuzz/corpus/&lt;target&gt;/) from the project's own writers: valid inputs
/// that reach deep into each reader, small enough for the fuzzer to mutate (a few KB each). Regenerate with
/// <c>dotnet artifacts/bin/BitNative.Fuzz/release/BitNative.Fuzz.dll seeds fuzz/corpus</c>.
/// </summary>
internal static class SeedCorpus
{
    public static void Write(string root)
    {
        string scratch = Path.Combine(Path.GetTempPath(), $"bitnative-seeds-{Environment.ProcessId}");
        Directory.CreateDirectory(scratch);
        try
        {
            Gguf(Path.Combine(root, "gguf"), scratch);
            Safetensors(Path.Combine(root, "safetensors"));
            Config(Path.Combine(root, "config"));
            Tokenizer(Path.Combine(root, "tokenizer"), scratch);
            ChatTemplates(Path.Combine(root, "chat-template"));
            Http(Path.Combine(root, "http"));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static void Save(string dir, string name, byte[] bytes)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, name), bytes);
        Console.WriteLine($"{Path.Combine(dir, name)}: {bytes.Length} bytes");
    }

    private static void Save(string dir, string name, string text) => Save(dir, name, Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// Synthetic models' metadata (architecture keys, a trained 300-token vocabulary, merges, a family's chat template)
    /// with one tiny tensor of each type the model uses in place of its weights, plus a file with every value type.
    /// </summary>
    private static void Gguf(string dir, string scratch)
    {
        const string Shape = "custom:d=256,layers=1,ff=256,heads=2,kv=1,vocab=300,ctx=64";
        SyntheticModelSpec[] specs =
        [
            SyntheticModelSpec.Parse(Shape, SyntheticWeights.I2S, SyntheticHead.F16, "bitnet-b1.58", seed: 1, vocabularyFile: null),
            SyntheticModelSpec.Parse(Shape, SyntheticWeights.Tq2, SyntheticHead.Q8_0, "bitnet", seed: 2, vocabularyFile: null),
            SyntheticModelSpec.ForFamily(ModelFamily.Find("falcon3")!, "small", weights: null, seed: 3),
            SyntheticModelSpec.ForFamily(ModelFamily.Find("bonsai-ternary")!, "small", weights: null, seed: 4),
        ];
        foreach (SyntheticModelSpec spec in specs)
        {
            string path = Path.Combine(scratch, "model.gguf");
            SyntheticModelWriter.Write(spec, path);
            using GgufFile model = GgufFile.Open(path);
            var w = new GgufWriter();
            foreach (KeyValuePair<string, GgufValue> entry in model.Metadata.Where(e => e.Key != GgufKnownKeys.Alignment))
            {
                w.Add(entry.Key, entry.Value);
            }

            foreach (GgufTensorInfo tensor in model.Tensors.DistinctBy(t => t.Type))
            {
                long[] dims = [GgmlTypeTable.Get(tensor.Type).BlockSize]; // one block
                w.AddTensor(tensor.Name, tensor.Type, dims, new byte[GgufWriter.GetTensorByteSize(tensor.Type, dims)]);
            }

            Save(dir, $"{(spec.Family?.Id ?? spec.Architecture)}-{spec.Weights}.gguf".ToLowerInvariant(), Bytes(w));
        }

        var all = new GgufWriter()
            .AddUInt8("u8", 1).AddInt8("i8", -1).AddUInt16("u16", 2).AddInt16("i16", -2).AddUInt32("u32", 3).AddInt32("i32", -3)
            .AddFloat32("f32", 0.5f).AddBool("bool", true).AddString("string", "héllo").AddUInt64("u64", 4).AddInt64("i64", -4)
            .AddFloat64("f64", 0.25).AddArray<uint>("u32s", [1, 2, 3]).AddArray<float>("f32s", [1f, -1f])
            .AddStringArray("strings", ["a", "", "ü"]).AddUInt32(GgufKnownKeys.Alignment, 64)
            .AddTensor("f32", GgmlType.F32, [2, 2], new byte[16]).AddTensor("f16", GgmlType.F16, [3], new byte[6]);
        Save(dir, "value-types.gguf", Bytes(all));
    }

    private static byte[] Bytes(GgufWriter w)
    {
        using var stream = new MemoryStream();
        w.WriteTo(stream);
        return stream.ToArray();
    }

    private static void Safetensors(string dir)
    {
        var w = new SafetensorsWriter().AddMetadata("format", "pt");
        foreach (SafetensorsDType dtype in Enum.GetValues<SafetensorsDType>())
        {
            long[] shape = [2, 3];
            w.AddTensor($"t.{dtype}".ToLowerInvariant(), dtype, shape, new byte[SafetensorsWriter.GetTensorByteSize(dtype, shape)]);
        }

        Save(dir, "every-dtype.safetensors", Bytes(w));
        // A packed BitNet projection as transformers writes it: uint8 [out/4, in] codes and a bf16 scale.
        Save(dir, "bitnet-projection.safetensors", Bytes(new SafetensorsWriter()
            .AddTensor("model.layers.0.self_attn.q_proj.weight", SafetensorsDType.U8, [2, 8], new byte[16])
            .AddTensor("model.layers.0.self_attn.q_proj.weight_scale", SafetensorsDType.BF16, [1], new byte[2])
            .AddTensor("model.norm.weight", SafetensorsDType.F32, [8], new byte[32])));
        Save(dir, "empty.safetensors", Bytes(new SafetensorsWriter()));
    }

    private static byte[] Bytes(SafetensorsWriter w)
    {
        using var stream = new MemoryStream();
        w.WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>config.json as BitNet-b1.58-2B-4T, Falcon3-1.58bit, an FP8 checkpoint and a bare default file write it.</summary>
    private static void Config(string dir)
    {
        Save(dir, "bitnet-2b4t.json", """
            {"architectures": ["BitNetForCausalLM"], "model_type": "bitnet", "hidden_act": "relu2", "vocab_size": 128256,
             "hidden_size": 2560, "intermediate_size": 6912, "num_hidden_layers": 30, "num_attention_heads": 20,
             "num_key_value_heads": 5, "max_position_embeddings": 4096, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
             "tie_word_embeddings": true, "torch_dtype": "bfloat16",
             "quantization_config": {"quant_method": "bitnet", "linear_class": "autobitlinear", "quantization_mode": "offline"}}
            """);
        Save(dir, "falcon3-llama.json", """
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu", "vocab_size": 131072,
             "hidden_size": 3072, "intermediate_size": 23040, "num_hidden_layers": 40, "num_attention_heads": 12,
             "num_key_value_heads": 4, "head_dim": 256, "max_position_embeddings": 32768, "rms_norm_eps": 1e-06,
             "rope_theta": 1000042.0, "rope_scaling": null, "attention_bias": false, "mlp_bias": false,
             "tie_word_embeddings": false, "quantization_config": {"quant_method": "bitnet", "modules_to_not_convert": ["lm_head"]}}
            """);
        Save(dir, "fp8.json", """
            {"model_type": "llama", "quantization_config": {"quant_method": "fp8", "weight_block_size": [128, 128]}}
            """);
        Save(dir, "defaults.json", """{"model_type": "bitnet"}""");
    }

    /// <summary>A trained 300-token vocabulary as tokenizer.json, alone and with its tokenizer_config.json after a NUL.</summary>
    private static void Tokenizer(string dir, string scratch)
    {
        TokenizerData data = ByteLevelBpeTrainer.Train(SyntheticText.Sample, 300);
        string json = Path.Combine(scratch, "tokenizer.json"), config = Path.Combine(scratch, "tokenizer_config.json");
        data.WriteHuggingFace(json, config);
        byte[] tokenizer = File.ReadAllBytes(json);
        Save(dir, "trained-300.json", tokenizer);
        Save(dir, "trained-300-with-config.json", [.. tokenizer, 0, .. File.ReadAllBytes(config)]);
    }

    private static void ChatTemplates(string dir)
    {
        Save(dir, "bitnet.jinja", ChatFormatter.BitNetTemplate);
        Save(dir, "bitnet-gguf-placeholder.jinja", FamilyTemplates.BitNetGgufPlaceholder);
        Save(dir, "llama3.jinja", FamilyTemplates.Llama3);
        Save(dir, "falcon3.jinja", FamilyTemplates.Falcon3);
        Save(dir, "qwen3.jinja", FamilyTemplates.Qwen3);
        // Every statement, most filters and tests, and the expression forms the family templates do not use.
        Save(dir, "features.jinja", """
            {%- macro turn(role, text='') -%}<{{ role|upper }}>{{ text|trim }}{%- endmacro -%}
            {%- set ns = namespace(n=0, seen=[]) -%}
            {%- for m in messages if m.role != 'tool' -%}
              {%- set ns.n = ns.n + 1 -%}
              {{ turn(m['role'], m.content) }}{{ loop.index }}/{{ loop.length }}{{ '!' if loop.last else ',' }}
              {%- if m.content is string and m.content.startswith('<think>') %}{{ m.content.split('</think>')[-1].lstrip('\n') }}{% endif -%}
            {%- else -%}none
            {%- endfor -%}
            {{ messages|selectattr('role', 'equalto', 'user')|map(attribute='content')|join(' | ') }}
            {{ (messages|length * 2 - 1) // 3 % 2 }}{{ -1.5|abs }}{{ '7'|int + '2.5'|float }}{{ [3, 1, 2]|reverse|list|first }}
            {{ {'a': 1, 'b': [1, 2]}|tojson }}{% for k, v in {'x': 1}.items() %}{{ k ~ v }}{% endfor %}
            {{ messages[1:][::-1][0].role|capitalize }}{{ 'a-b'.replace('-', '+')|title }}{{ none|default('d') }}
            {%- if bos_token is defined and not (eos_token is none) and 'x' in 'xyz' and ns.n >= 1 or false %}{{ bos_token }}{% elif true %}{% endif -%}
            {%- if add_generation_prompt %}{{ raise_exception('stop') if ns.n > 99 else 'Assistant: ' }}{% endif -%}
            """);
    }

    private static void Http(string dir)
    {
        Save(dir, "chat-all-fields.json", """
            {"model": "bitnative", "messages": [{"role": "system", "content": "Be brief."}, {"role": "developer", "content": "x"},
             {"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": " there"}]},
             {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "<|eot_id|>?"}],
             "max_completion_tokens": 16, "max_tokens": 8, "temperature": 0.7, "top_p": 0.9, "top_k": 40, "min_p": 0.05,
             "repeat_penalty": 1.1, "frequency_penalty": 0.5, "presence_penalty": -0.5, "seed": 42, "n": 1, "stop": ["\n\n", "User:"],
             "logit_bias": {"5": -100, "17": 2.5}, "stream": true, "stream_options": {"include_usage": true},
             "response_format": {"type": "text"}, "tools": [], "logprobs": false, "user": "ignored"}
            """);
        Save(dir, "chat-minimal.json", """{"messages": [{"role": "user", "content": "Hello"}]}""");
        Save(dir, "text-prompt.json", """{"prompt": "Once upon a time", "max_tokens": 4, "stop": "\n", "echo": false, "suffix": "", "best_of": 1}""");
        Save(dir, "text-token-ids.json", """{"prompt": [1, 2, 3, 262], "temperature": 0}""");
        Save(dir, "text-one-string.json", """{"prompt": ["one string"], "stream": false}""");
    }
}
