using System.Text;
using System.Text.RegularExpressions;
using BitNative.Tokenization.Jinja;

namespace BitNative.Tokenization;

/// <summary>
/// How a chat prompt is rendered: the model's own template (<see cref="Template"/>, run by the Jinja-subset interpreter),
/// or one of the built-in layouts when the file has no usable template.
/// </summary>
internal enum ChatFormat
{
    /// <summary>
    /// BitNet-b1.58-2B-4T: <c>{bos}System: {sys}&lt;|eot_id|&gt;User: {u}&lt;|eot_id|&gt;Assistant: {a}&lt;|eot_id|&gt;</c>,
    /// generation prompt <c>Assistant: </c>.
    /// </summary>
    BitNet,

    /// <summary>
    /// Llama-3: <c>{bos}&lt;|start_header_id|&gt;{role}&lt;|end_header_id|&gt;\n\n{content, trimmed}&lt;|eot_id|&gt;</c>,
    /// generation prompt <c>&lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n</c>.
    /// </summary>
    Llama3,

    /// <summary>ChatML: <c>&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n</c>, generation prompt <c>&lt;|im_start|&gt;assistant\n</c>.</summary>
    ChatMl,

    /// <summary>The file's <c>tokenizer.chat_template</c>, rendered by <see cref="JinjaTemplate"/> (Falcon3, Qwen3 / Bonsai, Llama-3 ...).</summary>
    Template,
}

/// <summary>Which format was chosen for a model and why (for logs and <c>bitnative inspect</c>).</summary>
internal sealed record ChatFormatChoice(ChatFormat Format, string Reason)
{
    /// <summary>The compiled template when <see cref="Format"/> is <see cref="ChatFormat.Template"/>.</summary>
    public JinjaTemplate? Template { get; init; }
}

/// <summary>One chat message.</summary>
internal readonly record struct ChatTurn(string Role, string Content);

/// <summary>
/// A piece of a rendered prompt: either a special token inserted by id, or text that is encoded without any
/// special-token parsing (so message content can never forge control tokens).
/// </summary>
internal readonly record struct PromptSegment(string Text, int? SpecialTokenId)
{
    /// <summary>True when this segment is a special token.</summary>
    public bool IsSpecial => SpecialTokenId is not null;
}

/// <summary>A rendered chat prompt.</summary>
internal sealed class ChatPrompt
{
    internal ChatPrompt(ChatFormat format, IReadOnlyList<PromptSegment> segments, int[] tokenIds)
    {
        Format = format;
        Segments = segments;
        TokenIds = tokenIds;
    }

    /// <summary>The format used.</summary>
    public ChatFormat Format { get; }

    /// <summary>The segments, in order (adjacent text is merged, so each text segment lies between special tokens).</summary>
    public IReadOnlyList<PromptSegment> Segments { get; }

    /// <summary>The prompt's token ids (BOS included when the tokenizer adds it).</summary>
    public int[] TokenIds { get; }

    /// <summary>The prompt as text, special tokens spelled out (for display and logs; never re-encode it).</summary>
    public string Text => string.Concat(Segments.Select(s => s.Text));
}

/// <summary>
/// Renders chat messages for a model. The template is recognised by signature (<see cref="Detect"/>); the prompt is
/// built as segments, control tokens inserted as ids and message text encoded as plain text (prompt-injection safe).
/// Thread-safe.
/// </summary>
internal sealed class ChatFormatter
{
    /// <summary>
    /// The BitNet-b1.58 chat template in Jinja form (what the model's Hugging Face tokenizer_config.json means); written
    /// by the BPE trainer (BitNative.Authoring) and recognised by <see cref="Detect"/>.
    /// </summary>
    public const string BitNetTemplate =
        "{% for message in messages %}{% if loop.first %}{{ bos_token }}{% endif %}" +
        "{{ message['role'] | capitalize + ': ' + message['content'] + '<|eot_id|>' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ 'Assistant: ' }}{% endif %}";

    private const string StartHeader = "<|start_header_id|>";
    private const string EndHeader = "<|end_header_id|>";
    private const string EotText = "<|eot_id|>";
    private const string ImStart = "<|im_start|>";
    private const string ImEnd = "<|im_end|>";

    private readonly ByteLevelBpeTokenizer _tokenizer;
    private readonly int? _bos;
    private readonly int? _turnEnd;       // BitNet / Llama-3 end of message
    private readonly int _headerStart;    // Llama-3
    private readonly int _headerEnd;      // Llama-3
    private readonly int _imStart;        // ChatML
    private readonly int _imEnd;          // ChatML

    /// <summary>Detects the format from the tokenizer's chat template (or uses <paramref name="choice"/>) and checks its tokens exist.</summary>
    public ChatFormatter(ByteLevelBpeTokenizer tokenizer, ChatFormatChoice? choice = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _bos = tokenizer.AddBos ? tokenizer.BosId : null;
        choice ??= Detect(tokenizer.Data.ChatTemplate);

        int eot = tokenizer.TryGetSpecialTokenId(EotText, out int e) ? e : tokenizer.EotId ?? -1;
        _headerStart = tokenizer.TryGetSpecialTokenId(StartHeader, out int hs) ? hs : -1;
        _headerEnd = tokenizer.TryGetSpecialTokenId(EndHeader, out int he) ? he : -1;
        _imStart = tokenizer.TryGetSpecialTokenId(ImStart, out int ims) ? ims : -1;
        _imEnd = tokenizer.TryGetSpecialTokenId(ImEnd, out int ime) ? ime : -1;

        if (choice.Format == ChatFormat.Template && MissingControlToken(choice.Template!, tokenizer) is { } missing)
        {
            ChatFormatChoice fallback = DetectBySignature(choice.Template!.Source);
            choice = fallback with { Reason = $"The chat template writes {missing}, which the vocabulary lacks. {fallback.Reason}" };
        }

        if (choice.Format == ChatFormat.Llama3 && (_headerStart < 0 || _headerEnd < 0 || eot < 0))
        {
            choice = new ChatFormatChoice(ChatFormat.BitNet,
                $"{choice.Reason} But the vocabulary lacks {StartHeader}, {EndHeader} or {EotText}; falling back to the BitNet-b1.58 format.");
        }
        else if (choice.Format == ChatFormat.ChatMl && (_imStart < 0 || _imEnd < 0))
        {
            choice = new ChatFormatChoice(ChatFormat.BitNet,
                $"{choice.Reason} But the vocabulary lacks {ImStart} or {ImEnd}; falling back to the BitNet-b1.58 format.");
        }

        Choice = choice;
        _turnEnd = eot >= 0 ? eot : tokenizer.EosId;

        var stop = new List<int>();
        // The template's turn end is the file's EOT (or EOS); ChatML's is <|im_end|> (Qwen3 files name it EOS).
        int? formatEnd = choice.Format == ChatFormat.ChatMl || (choice.Format == ChatFormat.Template && _imEnd >= 0 && eot < 0) ? _imEnd : _turnEnd;
        if (formatEnd is int end)
        {
            stop.Add(end);
        }

        if (tokenizer.EosId is int eos && !stop.Contains(eos))
        {
            stop.Add(eos);
        }

        StopTokenIds = stop;
    }

    /// <summary>The chosen format and the reason.</summary>
    public ChatFormatChoice Choice { get; }

    /// <summary>The chosen format.</summary>
    public ChatFormat Format => Choice.Format;

    /// <summary>Tokens that end an assistant message in this format (the turn terminator and EOS).</summary>
    public IReadOnlyList<int> StopTokenIds { get; }

    /// <summary>
    /// Chooses how to render: the model's template itself when the Jinja-subset interpreter compiles it, except the
    /// published BitNet-b1.58-2B-4T GGUF's broken <c>Human: … BITNETAssistant:</c> placeholder (the model was not trained
    /// on it: the BitNet format instead). Without a template, or with one the interpreter does not compile, the template
    /// is recognised by signature (<see cref="DetectBySignature"/>).
    /// </summary>
    public static ChatFormatChoice Detect(string? template)
    {
        if (string.IsNullOrWhiteSpace(template) || template.Contains("BITNETAssistant", StringComparison.Ordinal))
        {
            return DetectBySignature(template);
        }

        try
        {
            return new ChatFormatChoice(ChatFormat.Template, "Rendering the model's chat template (Jinja).") { Template = new JinjaTemplate(template) };
        }
        catch (JinjaException e)
        {
            ChatFormatChoice fallback = DetectBySignature(template);
            return fallback with { Reason = $"The chat template does not compile ({e.Message}). {fallback.Reason}" };
        }
    }

    /// <summary>
    /// Recognises a chat template by signature: Llama-3 header tokens, ChatML markers, the BitNet
    /// <c>Role: …&lt;|eot_id|&gt;</c> layout, and the published BitNet-b1.58-2B-4T GGUF's broken
    /// <c>Human: … BITNETAssistant:</c> placeholder. Anything else (or no template) falls back to the BitNet format.
    /// </summary>
    public static ChatFormatChoice DetectBySignature(string? template)
    {
        if (string.IsNullOrWhiteSpace(template))
        {
            return new ChatFormatChoice(ChatFormat.BitNet, "The model has no chat template; using the BitNet-b1.58 format.");
        }

        // The converter that produced microsoft/bitnet-b1.58-2B-4T-gguf embedded an Orion-style placeholder
        // ("Human: {u}\n\nBITNETAssistant: " + eos) that the model was never trained on: under it the model does not stop.
        if (template.Contains("BITNETAssistant", StringComparison.Ordinal))
        {
            return new ChatFormatChoice(ChatFormat.BitNet,
                "The embedded template is the broken 'Human: … BITNETAssistant:' placeholder of the published " +
                "BitNet-b1.58-2B-4T GGUF; using the BitNet-b1.58 format the model was trained with.");
        }

        if (template.Contains(StartHeader, StringComparison.Ordinal) && template.Contains(EndHeader, StringComparison.Ordinal))
        {
            return new ChatFormatChoice(ChatFormat.Llama3, "Recognised a Llama-3 template (<|start_header_id|>…<|end_header_id|>).");
        }

        if (template.Contains(ImStart, StringComparison.Ordinal))
        {
            return new ChatFormatChoice(ChatFormat.ChatMl, "Recognised a ChatML template (<|im_start|>…<|im_end|>).");
        }

        if (template.Contains(EotText, StringComparison.Ordinal) && template.Contains("Assistant: ", StringComparison.Ordinal))
        {
            return new ChatFormatChoice(ChatFormat.BitNet, "Recognised the BitNet-b1.58 template (Role: …<|eot_id|>, 'Assistant: ').");
        }

        string start = template.Length > 60 ? template[..60] + "…" : template;
        return new ChatFormatChoice(ChatFormat.BitNet,
            $"Unrecognised chat template ('{TokenizerData.Printable(start)}'); templates are not executed, " +
            "falling back to the BitNet-b1.58 format.");
    }

    /// <summary>Renders <paramref name="messages"/> and encodes them segment by segment.</summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="addGenerationPrompt">End with the opening of an assistant turn.</param>
    /// <param name="enableThinking">The template variable <c>enable_thinking</c> (Qwen3's switch); null leaves it undefined.</param>
    /// <exception cref="ArgumentException">A message has an empty role or null content.</exception>
    /// <exception cref="InvalidOperationException">The model's template fails on this conversation.</exception>
    public ChatPrompt Render(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, bool? enableThinking = null)
    {
        IReadOnlyList<PromptSegment> segments = BuildSegments(messages, addGenerationPrompt, enableThinking);
        var ids = new List<int>();
        foreach (PromptSegment segment in segments)
        {
            if (segment.SpecialTokenId is int id)
            {
                ids.Add(id);
            }
            else
            {
                _tokenizer.EncodeText(segment.Text, ids);
            }
        }

        return new ChatPrompt(Format, segments, ids.ToArray());
    }

    /// <summary>The prompt as segments, without encoding.</summary>
    public IReadOnlyList<PromptSegment> BuildSegments(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, bool? enableThinking = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (Format == ChatFormat.Template)
        {
            return TemplateSegments(messages, addGenerationPrompt, enableThinking);
        }

        var b = new SegmentBuilder(_tokenizer);
        if (_bos is int bos)
        {
            b.Special(bos);
        }

        for (int i = 0; i < messages.Count; i++)
        {
            ChatTurn m = CheckedMessage(messages, i);

            switch (Format)
            {
                case ChatFormat.Llama3:
                    // Meta's template trims the content ("message['content'] | trim").
                    b.Special(_headerStart).Text(m.Role).Special(_headerEnd).Text("\n\n" + m.Content.Trim()).Special(TurnEnd());
                    break;
                case ChatFormat.ChatMl:
                    b.Special(_imStart).Text(m.Role + "\n" + m.Content).Special(_imEnd).Text("\n");
                    break;
                default:
                    b.Text(Capitalize(m.Role) + ": " + m.Content).Special(TurnEnd());
                    break;
            }
        }

        if (addGenerationPrompt)
        {
            switch (Format)
            {
                case ChatFormat.Llama3:
                    b.Special(_headerStart).Text("assistant").Special(_headerEnd).Text("\n\n");
                    break;
                case ChatFormat.ChatMl:
                    b.Special(_imStart).Text("assistant\n");
                    break;
                default:
                    b.Text("Assistant: ");
                    break;
            }
        }

        return b.Build();
    }

    /// <summary>Message <paramref name="i"/>, which must have a role and content.</summary>
    private static ChatTurn CheckedMessage(IReadOnlyList<ChatTurn> messages, int i)
    {
        ChatTurn m = messages[i];
        if (string.IsNullOrWhiteSpace(m.Role))
        {
            throw new ArgumentException($"Message {i} has an empty role.", nameof(messages));
        }

        if (m.Content is null)
        {
            throw new ArgumentException($"Message {i} has null content.", nameof(messages));
        }

        return m;
    }

    /// <summary>
    /// Runs the model's template. Message text must never become control tokens, so before rendering every role and
    /// content has each special token's text (and any private-use character) replaced by a private-use character of
    /// its own; the rendered text is cut at the special tokens only the template itself wrote, and each text piece gets
    /// its original characters back before it is encoded as plain text. BOS is added when the tokenizer adds it and the
    /// template did not write it.
    /// </summary>
    private List<PromptSegment> TemplateSegments(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, bool? enableThinking)
    {
        var shelter = new Shelter(_tokenizer);
        var list = new List<object?>();
        for (int i = 0; i < messages.Count; i++)
        {
            ChatTurn m = CheckedMessage(messages, i);

            list.Add(new Dictionary<string, object?>(StringComparer.Ordinal) { ["role"] = shelter.Hide(m.Role), ["content"] = shelter.Hide(m.Content) });
        }

        var variables = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = list,
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = _tokenizer.BosId is int b ? _tokenizer.Data.Tokens[b] : "",
            ["eos_token"] = _tokenizer.EosId is int e ? _tokenizer.Data.Tokens[e] : "",
        };
        if (enableThinking is bool thinking)
        {
            variables["enable_thinking"] = thinking;
        }

        string text;
        try
        {
            text = Choice.Template!.Render(variables);
        }
        catch (JinjaException ex)
        {
            throw new InvalidOperationException($"The model's chat template failed: {ex.Message}", ex);
        }

        var segments = new List<PromptSegment>();
        if (_bos is int bos && !text.StartsWith(_tokenizer.Data.Tokens[bos], StringComparison.Ordinal))
        {
            segments.Add(new PromptSegment(_tokenizer.Data.Tokens[bos], bos));
        }

        for (int start = 0; start < text.Length;)
        {
            (int at, int id, int length) = _tokenizer.FindSpecial(text, start);
            int end = at < 0 ? text.Length : at;
            if (end > start)
            {
                segments.Add(new PromptSegment(shelter.Restore(text[start..end]), null));
            }

            if (at < 0)
            {
                break;
            }

            segments.Add(new PromptSegment(text.Substring(at, length), id));
            start = at + length;
        }

        return segments;
    }

    /// <summary>The first control-token-looking literal (<c>&lt;|…|&gt;</c>) of the template that is not a special token of the vocabulary.</summary>
    private static string? MissingControlToken(JinjaTemplate template, ByteLevelBpeTokenizer tokenizer)
    {
        foreach (Match m in Regex.Matches(template.Source, @"<\|[A-Za-z0-9_]{1,40}\|>"))
        {
            if (!tokenizer.TryGetSpecialTokenId(m.Value, out _))
            {
                return m.Value;
            }
        }

        return null;
    }

    /// <summary>Keeps message text from forming special tokens inside a rendered template (see <see cref="TemplateSegments"/>).</summary>
    private sealed class Shelter(ByteLevelBpeTokenizer tokenizer)
    {
        private const char First = '\uE000', Last = '\uF8FF';
        private readonly List<string> _hidden = [];

        public string Hide(string text)
        {
            var sb = new StringBuilder(text.Length);
            for (int i = 0; i < text.Length;)
            {
                (int at, _, int length) = tokenizer.FindSpecial(text, i);
                int end = at < 0 ? text.Length : at;
                for (; i < end; i++)
                {
                    sb.Append(text[i] is >= First and <= Last ? Mark(text[i].ToString()) : text[i]);
                }

                if (at >= 0)
                {
                    sb.Append(Mark(text.Substring(at, length)));
                    i = at + length;
                }
            }

            return sb.ToString();
        }

        public string Restore(string text)
        {
            if (_hidden.Count == 0)
            {
                return text;
            }

            var sb = new StringBuilder(text.Length);
            foreach (char c in text)
            {
                int index = c - First;
                sb.Append(c is >= First and <= Last && index < _hidden.Count ? _hidden[index] : c.ToString());
            }

            return sb.ToString();
        }

        private char Mark(string original)
        {
            if (_hidden.Count > Last - First)
            {
                throw new ArgumentException("A conversation holds too many special-token texts to render safely.");
            }

            _hidden.Add(original);
            return (char)(First + _hidden.Count - 1);
        }
    }

    private int TurnEnd() =>
        _turnEnd ?? throw new InvalidOperationException($"The {Format} chat format needs {EotText} or an EOS token; the vocabulary has neither.");

    // Jinja's capitalize: first character upper case, the rest lower case ("user" -> "User").
    private static string Capitalize(string role) =>
        role.Length == 0 ? role : char.ToUpperInvariant(role[0]) + role[1..].ToLowerInvariant();

    private sealed class SegmentBuilder(ByteLevelBpeTokenizer tokenizer)
    {
        private readonly List<PromptSegment> _segments = [];
        private readonly StringBuilder _text = new();

        public SegmentBuilder Special(int id)
        {
            FlushText();
            _segments.Add(new PromptSegment(tokenizer.Data.Tokens[id], id));
            return this;
        }

        public SegmentBuilder Text(string text)
        {
            _text.Append(text);
            return this;
        }

        public IReadOnlyList<PromptSegment> Build()
        {
            FlushText();
            return _segments;
        }

        private void FlushText()
        {
            if (_text.Length > 0)
            {
                _segments.Add(new PromptSegment(_text.ToString(), null));
                _text.Clear();
            }
        }
    }
}
