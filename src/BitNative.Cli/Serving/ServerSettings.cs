namespace BitNative.Cli.Serving;

/// <summary>What <c>bitnative serve</c> was asked to do.</summary>
internal sealed record ServerSettings(
    string ModelPath,
    ModelOptions ModelOptions,
    string Host,
    int Port,
    int Parallel,
    int QueueLimit,
    string? ApiKey,
    string ModelName,
    bool ForceContext);
