namespace BitNative.Model;

/// <summary>Where a projection sits in a block, which decides the precision of its input.</summary>
internal enum ProjectionRole
{
    /// <summary>Q, K, V: read the attention norm's output.</summary>
    AttentionInput,

    /// <summary>The attention output projection: reads the (sub-normed) attention output.</summary>
    AttentionOutput,

    /// <summary>Gate and up: read the feed-forward norm's output.</summary>
    FeedForwardInput,

    /// <summary>Down: reads the gated hidden layer.</summary>
    FeedForwardOutput,
}
