using BitNative.Tests.Cli;
using Xunit;

namespace BitNative.Tests.Serving;

/// <summary><c>bitnative serve</c>'s own argument errors: one clear line, before anything listens.</summary>
public sealed class ServeCliTests
{
    [Theory]
    [InlineData("--host localhost", "--host localhost is not an IP address")]
    [InlineData("--parallel 0", "--parallel in 1..256")]
    [InlineData("--port 70000", "--port in 0..65535")]
    public void BadArgumentsAreOneLineErrors(string arguments, string message)
    {
        string model = Path.Combine(AppContext.BaseDirectory, "models", "default.gguf");
        CliRunner.Result r = CliRunner.Run(["serve", "-m", model, .. arguments.Split(' ')]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void AMissingModelFileIsAnErrorNamingIt()
    {
        CliRunner.Result r = CliRunner.Run("serve", "-m", "/nonexistent/model.gguf", "--port", "0");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("/nonexistent/model.gguf", r.Stderr);
    }
}
