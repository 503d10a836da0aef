using System.Text;

namespace BitNative.Tokenization;

/// <summary>
/// GPT-2's reversible byte-to-character map used by byte-level BPE vocabularies (GPT-2, Llama-3):
/// every byte becomes one printable BMP character, so a token's string spells its bytes.
/// Bytes 33..126, 161..172 and 174..255 map to themselves; the other 68 bytes map, in byte order,
/// to U+0100.. (space 0x20 becomes 'Ġ' U+0120, newline 0x0A becomes 'Ċ' U+010A).
/// </summary>
internal static class ByteLevel
{
    /// <summary>Character for each byte.</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();

    /// <summary>The 256 bytes in GPT-2's vocabulary order (the order of the first 256 Llama-3 tokens).</summary>
    public static readonly byte[] VocabularyOrder = BuildVocabularyOrder();

    // Index = character code (all mapped characters are below U+0144); value = byte or -1.
    private static readonly short[] CharToByteTable = BuildCharToByte();

    private static bool MapsToItself(int b) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            map[b] = MapsToItself(b) ? (char)b : (char)next++;
        }

        return map;
    }

    private static byte[] BuildVocabularyOrder()
    {
        var order = new List<byte>(256);
        for (int b = 0; b < 256; b++)
        {
            if (MapsToItself(b))
            {
                order.Add((byte)b);
            }
        }

        for (int b = 0; b < 256; b++)
        {
            if (!MapsToItself(b))
            {
                order.Add((byte)b);
            }
        }

        return order.ToArray();
    }

    private static short[] BuildCharToByte()
    {
        var table = new short[0x144];
        Array.Fill(table, (short)-1);
        for (int b = 0; b < 256; b++)
        {
            table[ByteToChar[b]] = (short)b;
        }

        return table;
    }

    /// <summary>The byte a byte-level character stands for, or -1 if the character is not in the alphabet.</summary>
    public static int CharToByte(char c) => c < CharToByteTable.Length ? CharToByteTable[c] : -1;

    /// <summary>True when every character of <paramref name="token"/> is in the byte-level alphabet.</summary>
    public static bool IsByteLevelString(string token)
    {
        foreach (char c in token)
        {
            if (CharToByte(c) < 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The bytes a byte-level token string spells. Precondition: <see cref="IsByteLevelString"/>.</summary>
    public static byte[] ToBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            bytes[i] = (byte)CharToByte(token[i]);
        }

        return bytes;
    }

    /// <summary>
    /// Writes the byte-level form of <paramref name="text"/>'s UTF-8 encoding into <paramref name="destination"/>
    /// (which must hold <c>Encoding.UTF8.GetMaxByteCount(text.Length)</c> chars) and returns its length.
    /// Lone surrogates encode as U+FFFD, as <see cref="Encoding.UTF8"/> does.
    /// </summary>
    public static int EncodeUtf8(ReadOnlySpan<char> text, Span<char> destination)
    {
        Span<byte> small = stackalloc byte[256];
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        Span<byte> utf8 = max <= small.Length ? small : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(max));
        int n = Encoding.UTF8.GetBytes(text, utf8);
        for (int i = 0; i < n; i++)
        {
            destination[i] = ByteToChar[utf8[i]];
        }

        if (rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }

        return n;
    }
}
