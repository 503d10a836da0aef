using BitNative.Formats.Safetensors;
using BitNative.Kernels;
using BitNative.Model.Planning;

namespace BitNative.Model;

/// <summary>
/// Builds each projection of a Hugging Face checkpoint as the module transformers puts there computes it
/// (integrations/bitnet.py), decided by quantization_config alone, never by what the values look like:
/// <list type="table">
/// <item><term>no quantization_config, or the module in modules_to_not_convert</term><description>nn.Linear: full-precision
/// weights over float activations.</description></item>
/// <item><term>bitlinear (either mode)</term><description>BitLinear: packed uint8 weights, y = W·x_q / (s_x · weight_scale):
/// the scale is 1 / weight_scale, whatever its value.</description></item>
/// <item><term>autobitlinear, offline</term><description>AutoBitLinear: the weight as stored (packed uint8 is unpacked into
/// it), y = (W·x_q / s_x) · weight_scale.</description></item>
/// <item><term>autobitlinear, online</term><description>AutoBitLinear: master weights ternarized with absmean at every forward
/// (<see cref="WeightConversion.TernarizeOnline"/>); there is no weight_scale.</description></item>
/// </list>
/// Activations are quantized int8 absmax per token in every class (ActQuant / activation_quant), after the module's own
/// RMSNorm when use_rms_norm is set (<see cref="WeightMatrix.InputNorm"/>). Each ternary matrix is built once in the
/// layout and with the input precision <see cref="KernelPlanner"/> decides for it.
/// </summary>
internal sealed class HuggingFaceProjections(HuggingFaceTensors tensors, BitNetQuantization? quantization, KernelPlanner planner,
    ResourceOwner owner)
{
    /// <summary>The projection <paramref name="module"/> ("model.layers.0.self_attn.q_proj"): [inFeatures -> outFeatures].</summary>
    public WeightMatrix Build(string module, int outFeatures, int inFeatures, ProjectionRole role)
    {
        string name = module + ".weight";
        SafetensorsTensorInfo weight = tensors.Get(name);
        if (quantization is null || !quantization.Converts(module))
        {
            if (weight.DType == SafetensorsDType.U8)
            {
                throw new InvalidDataException(quantization is null
                    ? $"{tensors.Path}: {name} is packed uint8, but config.json has no quantization_config, so transformers would load it as a full-precision nn.Linear."
                    : $"{tensors.Path}: {name} is packed uint8, but quantization_config.modules_to_not_convert keeps {module} a full-precision nn.Linear.");
            }

            return Dense(weight, outFeatures, inFeatures);
        }

        InputRmsNorm? norm = quantization.UseRmsNorm
            ? new InputRmsNorm(tensors.Floats(tensors.Get(module + ".rms_norm.weight",
                "quantization_config.use_rms_norm gives every converted module its own RMSNorm"), inFeatures), quantization.RmsNormEps)
            : null;
        var target = new Target(weight, outFeatures, inFeatures, role, norm);
        return (quantization.LinearClass, quantization.Mode) switch
        {
            (BitNetLinearClass.BitLinear, _) => BitLinear(module, target),
            (BitNetLinearClass.AutoBitLinear, BitNetQuantizationMode.Offline) => AutoBitLinearOffline(module, target),
            _ => AutoBitLinearOnline(module, target),
        };
    }

    /// <summary>A converted module's weight tensor, its shape, where it sits in the block, and its own input norm (or null).</summary>
    private readonly record struct Target(SafetensorsTensorInfo Weight, int OutFeatures, int InFeatures, ProjectionRole Role, InputRmsNorm? Norm);

    /// <summary>BitLinear's buffer is uint8 [out/4, in]; it has no float weight to load, and divides by weight_scale.</summary>
    private WeightMatrix BitLinear(string module, Target target)
    {
        SafetensorsTensorInfo weight = target.Weight;
        if (weight.DType != SafetensorsDType.U8)
        {
            throw new InvalidDataException(
                $"{tensors.Path}: {weight.Name} is {weight.DType}, but quantization_config.linear_class bitlinear reads packed uint8 weights [{target.OutFeatures / 4}, {target.InFeatures}].");
        }

        float weightScale = WeightScale(module);
        if (weightScale == 0)
        {
            throw new InvalidDataException($"{tensors.Path}: {module}.weight_scale is 0, and linear_class bitlinear divides by it.");
        }

        return Ternary(target, Unpack(weight, target.OutFeatures, target.InFeatures), 1f / weightScale);
    }

    /// <summary>
    /// AutoBitLinear offline multiplies by weight_scale. A packed weight is unpacked to its ternary values; a float
    /// weight is used as stored, which runs on the ternary kernels when it holds one scale times ternary values exactly
    /// (the form save_pretrained writes after loading a packed checkpoint) and as float weights over int8 rows otherwise.
    /// </summary>
    private WeightMatrix AutoBitLinearOffline(string module, Target target)
    {
        float weightScale = WeightScale(module);
        if (target.Weight.DType == SafetensorsDType.U8)
        {
            return Ternary(target, Unpack(target.Weight, target.OutFeatures, target.InFeatures), weightScale);
        }

        float[] w = tensors.Floats(target.Weight, target.OutFeatures, target.InFeatures);
        return WeightConversion.ExactTernary(w) is var (q, scale)
            ? Ternary(target, q, scale * weightScale)
            : FloatsOverInt8(target, w, weightScale);
    }

    /// <summary>AutoBitLinear online ternarizes master weights at every forward; it has no weight_scale buffer.</summary>
    private WeightMatrix AutoBitLinearOnline(string module, Target target)
    {
        SafetensorsTensorInfo weight = target.Weight;
        if (weight.DType == SafetensorsDType.U8)
        {
            throw new InvalidDataException(
                $"{tensors.Path}: {weight.Name} is packed uint8, but quantization_config.quantization_mode online quantizes master weights; packed weights are an offline checkpoint's.");
        }

        if (tensors.Has(module + ".weight_scale"))
        {
            throw new InvalidDataException(
                $"{tensors.Path}: {module}.weight_scale is present, but quantization_config.quantization_mode online takes the scale from the master weights; it belongs to an offline checkpoint.");
        }

        var (q, scale) = WeightConversion.TernarizeOnline(tensors.Floats(weight, target.OutFeatures, target.InFeatures));
        return Ternary(target, q, scale);
    }

    private float WeightScale(string module)
    {
        SafetensorsTensorInfo t = tensors.Get(module + ".weight_scale", "offline BitNet modules scale their output by it");
        float scale = tensors.Floats(t, 1)[0];
        return float.IsFinite(scale)
            ? scale
            : throw new InvalidDataException($"{tensors.Path}: {module}.weight_scale = {scale} is not a finite number.");
    }

    /// <summary>
    /// transformers' unpack_weights: byte [i, j] holds rows s·(out/4) + i for s = 0..3 in bits 2s..2s+1, as w + 1. Code 3
    /// would unpack to 2, which no ternary checkpoint holds: a corrupt tensor.
    /// </summary>
    private sbyte[] Unpack(SafetensorsTensorInfo t, int outFeatures, int inFeatures)
    {
        if (t.Shape.Count != 2 || t.Shape[0] * 4 != outFeatures || t.Shape[1] != inFeatures)
        {
            throw new InvalidDataException(
                $"{tensors.Path}: packed tensor {t.Name} has shape [{string.Join(", ", t.Shape)}], expected [{outFeatures / 4}, {inFeatures}].");
        }

        ReadOnlySpan<byte> packed = tensors.Data(t);
        var q = new sbyte[(long)outFeatures * inFeatures];
        int quarter = outFeatures / 4;
        for (int i = 0; i < quarter; i++)
        {
            for (int j = 0; j < inFeatures; j++)
            {
                byte b = packed[i * inFeatures + j];
                for (int s = 0; s < 4; s++)
                {
                    int code = (b >> (2 * s)) & 3;
                    if (code == 3)
                    {
                        throw new InvalidDataException($"{tensors.Path}: {t.Name} holds code 3, which is not a ternary value.");
                    }

                    q[(long)(s * quarter + i) * inFeatures + j] = (sbyte)(code - 1);
                }
            }
        }

        return q;
    }

    /// <summary>Ternary values in the layout (and with the kernel variants) the planner chose, reading the input precision it gives the projection's role.</summary>
    private WeightMatrix Ternary(Target target, sbyte[] q, float scale)
    {
        string name = target.Weight.Name;
        int n = target.OutFeatures, k = target.InFeatures, block = WeightTypes.Info(WeightType.I2S).BlockWeights;
        if (k % block != 0)
        {
            throw new InvalidDataException($"{tensors.Path}: {name} has rows of {k} weights; ternary kernels need a multiple of {block}.");
        }

        KernelPlanEntry plan = planner.Plan(WeightType.I2S, n, k, target.Role);
        return planner.Matrix(name, plan, planner.Pack(plan.Layout, q, n, k), scale, n, k, target.Role, target.Norm);
    }

    /// <summary>
    /// Float weights over int8 rows (the F32 x int8 kernel): y = weight_scale · s_x · (W · x_q), as AutoBitLinear offline
    /// computes with a float weight it does not quantize. int8 whatever the planner gives ternary projections: transformers'
    /// ActQuant is int8, and int4 rows are a ternary-kernel option.
    /// </summary>
    private WeightMatrix FloatsOverInt8(Target target, float[] w, float weightScale) =>
        new(target.Weight.Name, WeightType.F32, F32Bytes(w), weightScale, target.OutFeatures, target.InFeatures, ActivationType.Int8)
        {
            InputNorm = target.Norm,
        };

    /// <summary>An nn.Linear kept in full precision: F32 rows over float activations.</summary>
    private WeightMatrix Dense(SafetensorsTensorInfo weight, int outFeatures, int inFeatures) =>
        new(weight.Name, WeightType.F32, F32Bytes(tensors.Floats(weight, outFeatures, inFeatures)), 1f, outFeatures, inFeatures,
            ActivationType.F32);

    /// <summary>The values as F32 weight bytes in native memory the owner keeps.</summary>
    private ReadOnlyMemory<byte> F32Bytes(float[] w)
    {
        var buffer = owner.Track(new NativeBuffer<byte>(checked(w.Length * sizeof(float))));
        w.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(buffer.GetSpan()));
        return buffer.Memory;
    }
}
