namespace BitNative.Generation;

/// <summary>
/// Streams generated text while watching for stop strings: text is released only once it can no longer be the start
/// of a stop string, and a match ends the stream with everything before it.
/// </summary>
internal sealed class StopStringMatcher
{
    private readonly IReadOnlyList<string> _stops;
    private readonly int _longest;
    private string _pending = "";

    public StopStringMatcher(IReadOnlyList<string> stops)
    {
        _stops = stops;
        _longest = stops.Count == 0 ? 0 : stops.Max(s => s.Length);
    }

    /// <summary>Adds text; returns what can be released and whether a stop string was reached.</summary>
    public (string Release, bool Stopped) Append(string text)
    {
        if (_stops.Count == 0)
        {
            return (text, false);
        }

        _pending += text;
        int first = -1;
        foreach (string stop in _stops)
        {
            int at = _pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
            }
        }

        if (first >= 0)
        {
            string before = _pending[..first];
            _pending = "";
            return (before, true);
        }

        // Keep the longest tail that is a prefix of some stop string; release the rest.
        int keep = 0;
        for (int length = Math.Min(_longest - 1, _pending.Length); length > 0; length--)
        {
            if (IsPrefixOfAStop(_pending.AsSpan(_pending.Length - length)))
            {
                keep = length;
                break;
            }
        }

        string release = _pending[..^keep];
        _pending = _pending[^keep..];
        return (release, false);
    }

    private bool IsPrefixOfAStop(ReadOnlySpan<char> tail)
    {
        foreach (string stop in _stops)
        {
            if (stop.AsSpan().StartsWith(tail, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Releases what is held back at the end of a stream that did not stop on a string.</summary>
    public string Flush()
    {
        string rest = _pending;
        _pending = "";
        return rest;
    }
}
