using System.Text.RegularExpressions;

namespace BitNative.Model;

/// <summary>The module class transformers puts in place of each converted nn.Linear (quantization_config.linear_class).</summary>
internal enum BitNetLinearClass
{
    /// <summary>
    /// <c>BitLinear</c>: a packed uint8 [out/4, in] buffer and a weight_scale that divides the output
    /// (y = W·x_q / (s_x · weight_scale)); quantization_mode does not change it.
    /// </summary>
    BitLinear,

    /// <summary>
    /// <c>AutoBitLinear</c>: an nn.Linear weight (packed checkpoints are unpacked into it at load) whose output, offline,
    /// is multiplied by weight_scale; online, the weight is ternarized with absmean at every forward instead.
    /// </summary>
    AutoBitLinear,
}

/// <summary>quantization_config.quantization_mode: whether the weights are stored quantized (offline) or as masters (online).</summary>
internal enum BitNetQuantizationMode
{
    Offline,
    Online,
}

/// <summary>
/// A config's <c>quantization_config</c> with <c>quant_method: "bitnet"</c>, read as transformers' BitNetQuantConfig
/// (utils/quantization_config.py: linear_class "bitlinear", quantization_mode "offline", use_rms_norm false,
/// rms_norm_eps 1e-6 by default; any other linear_class or mode is a ValueError there) and applied to modules as its
/// quantizer does (quantizers/quantizer_bitnet.py, integrations/bitnet.py): every nn.Linear is converted except the
/// output head (get_modules_to_not_convert always keeps the output embeddings) and the modules_to_not_convert entries.
/// </summary>
internal sealed class BitNetQuantization
{
    private readonly string _configPath;
    private readonly Regex[] _patterns;

    private BitNetQuantization(string configPath, BitNetLinearClass linearClass, BitNetQuantizationMode mode, bool useRmsNorm,
        float rmsNormEps, IReadOnlyList<string> modulesToNotConvert)
    {
        _configPath = configPath;
        LinearClass = linearClass;
        Mode = mode;
        UseRmsNorm = useRmsNorm;
        RmsNormEps = rmsNormEps;
        ModulesToNotConvert = modulesToNotConvert;
        _patterns = modulesToNotConvert.Select(p => Pattern(configPath, p)).ToArray();
    }

    public BitNetLinearClass LinearClass { get; }

    public BitNetQuantizationMode Mode { get; }

    /// <summary>Each converted module RMS-normalizes its own input (weight <c>&lt;module&gt;.rms_norm.weight</c>) before quantizing it.</summary>
    public bool UseRmsNorm { get; }

    /// <summary>Epsilon of those per-module norms (not the model's rms_norm_eps).</summary>
    public float RmsNormEps { get; }

    /// <summary>The config's entries; <c>lm_head</c> is never converted whether listed or not.</summary>
    public IReadOnlyList<string> ModulesToNotConvert { get; }

    /// <summary>Reads <c>quantization_config</c>, or returns null when the config has none (transformers then keeps every nn.Linear).</summary>
    public static BitNetQuantization? Read(ConfigJson config)
    {
        if (config.Object("quantization_config") is not { } q)
        {
            return null;
        }

        if (!q.Has("quant_method"))
        {
            throw new InvalidDataException($"{config.Path}: {q.Key("quant_method")} is missing; transformers needs it to pick a quantizer.");
        }

        string method = q.String("quant_method", "");
        if (method != "bitnet")
        {
            throw q.Unsupported("quant_method", method, "BitNative reads 'bitnet' checkpoints");
        }

        string linearClass = q.String("linear_class", "bitlinear");
        string mode = q.String("quantization_mode", "offline");
        bool useRmsNorm = q.Bool("use_rms_norm", false);
        // rms_norm_eps may be None in BitNetQuantConfig; it only matters (and None only fails) when the norms exist.
        float eps = useRmsNorm || !q.IsNullOrAbsent("rms_norm_eps") ? q.Float("rms_norm_eps", 1e-6f) : 1e-6f;
        if (useRmsNorm && !(eps > 0 && float.IsFinite(eps)))
        {
            throw new InvalidDataException($"{config.Path}: {q.Key("rms_norm_eps")} = {eps} must be a positive number when use_rms_norm is true.");
        }

        return new BitNetQuantization(
            config.Path,
            linearClass switch
            {
                "bitlinear" => BitNetLinearClass.BitLinear,
                "autobitlinear" => BitNetLinearClass.AutoBitLinear,
                _ => throw q.Unsupported("linear_class", linearClass, "transformers accepts 'bitlinear' or 'autobitlinear'"),
            },
            mode switch
            {
                "offline" => BitNetQuantizationMode.Offline,
                "online" => BitNetQuantizationMode.Online,
                _ => throw q.Unsupported("quantization_mode", mode, "transformers accepts 'offline' or 'online'"),
            },
            useRmsNorm,
            eps,
            q.StringList("modules_to_not_convert") ?? []);
    }

    /// <summary>
    /// Whether transformers replaces the nn.Linear <paramref name="module"/> (e.g. "model.layers.0.self_attn.q_proj").
    /// Current transformers (quantizers_utils.should_convert_module) skips a module when an entry, as a regular
    /// expression, matches the start of its name, or when its name ends with the entry; releases before that skipped it
    /// when the entry was a substring of its name. Where the two rules disagree the checkpoint means different models
    /// to different transformers versions, so that is an error rather than a pick.
    /// </summary>
    /// <exception cref="InvalidDataException">An entry matches the module by one rule and not by the other.</exception>
    public bool Converts(string module)
    {
        if (module == "lm_head")
        {
            return false;
        }

        for (int i = 0; i < _patterns.Length; i++)
        {
            string entry = ModulesToNotConvert[i];
            bool current = _patterns[i].IsMatch(module) || module.EndsWith(entry, StringComparison.Ordinal);
            bool legacy = module.Contains(entry, StringComparison.Ordinal);
            if (current != legacy)
            {
                throw new InvalidDataException(
                    $"{_configPath}: quantization_config.modules_to_not_convert entry '{entry}' {(current ? "skips" : "does not skip")} {module} in current transformers but {(legacy ? "skips" : "does not skip")} it in earlier releases; name the module by its full path.");
            }

            if (current)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Python's re.match: the entry as a regular expression anchored at the start of the module name.</summary>
    private static Regex Pattern(string configPath, string entry)
    {
        try
        {
            return new Regex("^(?:" + entry + ")", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException(
                $"{configPath}: quantization_config.modules_to_not_convert entry '{entry}' is not a regular expression: {e.Message}", e);
        }
    }
}
