using BitNative.Authoring.Synthetic;
using BitNative.Tests.Formats;

namespace BitNative.Tests.Generation;

/// <summary>One synthetic tiny GGUF model shared by the generation and CLI tests of a class.</summary>
public sealed class TinyModelFixture : IDisposable
{
    private readonly TempFolder _folder = new();

    public TinyModelFixture()
    {
        Path = _folder.File("tiny.gguf");
        SyntheticModelWriter.Write(SyntheticModelSpec.Parse("tiny", SyntheticWeights.I2S, SyntheticHead.F16, "bitnet-b1.58", 21, null), Path);
        Model = BitNetModel.Load(Path, new ModelOptions { Threads = 2, BatchSize = 16 });
    }

    public string Path { get; }

    public BitNetModel Model { get; }

    public string Folder => _folder.Path;

    public void Dispose()
    {
        Model.Dispose();
        _folder.Dispose();
    }
}
