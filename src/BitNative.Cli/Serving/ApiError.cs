using Microsoft.AspNetCore.Http;
namespace BitNative.Cli.Serving;

/// <summary>
/// A request the server answers with an OpenAI-style error body, <c>{"error": {"message", "type", "param", "code"}}</c>,
/// and this status. <see cref="Param"/> names the offending request field when there is one.
/// </summary>
internal sealed class ApiError : Exception
{
    public ApiError(int status, string message, string type, string? param = null, string? code = null)
        : base(message)
    {
        Status = status;
        Type = type;
        Param = param;
        Code = code;
    }

    public int Status { get; }

    public string Type { get; }

    public string? Param { get; }

    public string? Code { get; }

    /// <summary>Seconds a client should wait before retrying (sent as Retry-After), or null.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>A 400 naming the request field that is wrong.</summary>
    public static ApiError InvalidField(string field, string problem) =>
        new(StatusCodes.Status400BadRequest, $"'{field}' {problem}", "invalid_request_error", field, "invalid_value");

    /// <summary>A 400 for a feature this server does not implement, naming the field that asked for it.</summary>
    public static ApiError Unsupported(string field, string what) =>
        new(StatusCodes.Status400BadRequest, $"'{field}': {what} is not supported by this server.", "invalid_request_error", field, "unsupported_value");

    public static ApiError Loading() =>
        new(StatusCodes.Status503ServiceUnavailable, "The model is loading; try again shortly.", "unavailable_error", code: "model_loading")
        {
            RetryAfterSeconds = 2,
        };

    /// <summary>A 503 for a request that arrives, or was running, while the server unloads its model to stop.</summary>
    public static ApiError ShuttingDown() =>
        new(StatusCodes.Status503ServiceUnavailable, "The server is shutting down; its model is unloaded.", "unavailable_error", code: "shutting_down");

    /// <summary>A failure no handler expected: a 500, except a request the model's unloading ended (a 503 to retry elsewhere).</summary>
    public static ApiError Unexpected(Exception e) =>
        e is ObjectDisposedException ? ShuttingDown() : new(StatusCodes.Status500InternalServerError, e.Message, "server_error");

    public ErrorBody ToBody() => new(new ErrorDetail(Message, Type, Param, Code));
}

/// <summary>The JSON body of an error response.</summary>
internal sealed record ErrorBody(ErrorDetail Error);

/// <summary>OpenAI's error object.</summary>
internal sealed record ErrorDetail(string Message, string Type, string? Param, string? Code);
