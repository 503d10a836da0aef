namespace BitNative.Cli.Serving;

/// <summary>
/// Loads the model after the server starts listening, so <c>/health</c> can answer 503 while it loads (a readiness
/// probe keeps traffic away until then), and owns the model and its <see cref="BatchedGenerator"/>.
/// </summary>
internal sealed class ModelHost : IDisposable
{
    private readonly ServerSettings _settings;
    private volatile BatchedGenerator? _generator;
    private volatile bool _disposed;

    public ModelHost(ServerSettings settings) => _settings = settings;

    public bool IsReady => _generator is not null;

    /// <summary>Set when loading failed (the server then stops).</summary>
    public Exception? LoadError { get; private set; }

    /// <summary>The generator; a 503 until it is ready (model loading) and after the host is disposed (shutting down).</summary>
    public BatchedGenerator Generator => _generator ?? throw (_disposed ? ApiError.ShuttingDown() : ApiError.Loading());

    public Task LoadAsync() => Task.Run(() =>
    {
        try
        {
            BitNetModel model = Commands.ModelArguments.Load(_settings.ModelPath, _settings.ModelOptions);
            try
            {
                Commands.ModelArguments.CheckContext(_settings.ModelOptions.ContextLength, model.Config.ContextLength, _settings.ForceContext);
                _generator = new BatchedGenerator(model, new BatchedGeneratorOptions { Slots = _settings.Parallel, QueueLimit = _settings.QueueLimit });
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        catch (Exception e)
        {
            LoadError = e;
            throw;
        }
    });

    /// <summary>Stops the generator (its requests end with a 503), then unloads the model once no forward pass runs.</summary>
    public void Dispose()
    {
        _disposed = true;
        BatchedGenerator? generator = _generator;
        _generator = null;
        generator?.Dispose();
        generator?.Model.Dispose();
    }
}
