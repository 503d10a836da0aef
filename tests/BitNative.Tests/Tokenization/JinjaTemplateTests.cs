using System.Text.Json;
using BitNative.Tokenization;
using BitNative.Tokenization.Jinja;
using Xunit;

namespace BitNative.Tests.Tokenization;

/// <summary>
/// The Jinja-subset interpreter against @huggingface/jinja (build/make-template-goldens.sh writes the goldens): the chat
/// templates of the model families (Falcon3, Qwen3 / Bonsai with its thinking switch, Llama-3, BitNet) over fixed
/// conversations, with and without the generation prompt.
/// </summary>
public sealed class JinjaTemplateTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "data", "templates");

    public static TheoryData<string> Templates() => ["falcon3", "qwen3", "llama3", "bitnet"];

    [Theory]
    [MemberData(nameof(Templates))]
    public void RendersWhatTheReferenceJinjaRenders(string name)
    {
        using JsonDocument cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "cases.json")));
        using JsonDocument goldens = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "goldens.json")));
        JsonElement t = cases.RootElement.GetProperty("templates").GetProperty(name);
        var template = new JinjaTemplate(File.ReadAllText(Path.Combine(Folder, t.GetProperty("file").GetString()!)));
        int checkedCount = 0;
        foreach (JsonElement golden in goldens.RootElement.GetProperty("goldens").EnumerateArray())
        {
            if (golden.GetProperty("template").GetString() != name)
            {
                continue;
            }

            string conversation = golden.GetProperty("conversation").GetString()!;
            var messages = cases.RootElement.GetProperty("conversations").GetProperty(conversation).EnumerateArray()
                .Select(m => (object?)new Dictionary<string, object?>
                {
                    ["role"] = m.GetProperty("role").GetString(),
                    ["content"] = m.GetProperty("content").GetString(),
                })
                .ToList();
            var variables = new Dictionary<string, object?>
            {
                ["messages"] = messages,
                ["bos_token"] = t.GetProperty("bos_token").GetString(),
                ["eos_token"] = t.GetProperty("eos_token").GetString(),
                ["add_generation_prompt"] = golden.GetProperty("add_generation_prompt").GetBoolean(),
            };
            if (golden.GetProperty("enable_thinking").ValueKind != JsonValueKind.Null)
            {
                variables["enable_thinking"] = golden.GetProperty("enable_thinking").GetBoolean();
            }

            Assert.True(golden.GetProperty("text").GetString() == template.Render(variables),
                $"{name} / {conversation} / {JsonSerializer.Serialize(variables.Where(v => v.Key != "messages"))}:\nexpected {JsonSerializer.Serialize(golden.GetProperty("text").GetString())}\nactual   {JsonSerializer.Serialize(template.Render(variables))}");
            checkedCount++;
        }

        Assert.Equal(20, checkedCount);
    }

    [Theory]
    [InlineData("{{ 'a' ~ 1 ~ none }}|{{ [1, 2, 3][::-1] }}|{{ 'abc'[1:] }}|{{ 7 // 2 }}|{{ -7 % 3 }}", "a1None|[3, 2, 1]|bc|3|2")]
    [InlineData("{% set ns = namespace(n=0) %}{% for i in range(5) if i is odd %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", "4")]
    [InlineData("{% for k, v in {'a': 1, 'b': [True, none]}.items() %}{{ k }}={{ v | tojson }};{% endfor %}", "a=1;b=[true, null];")]
    [InlineData("{{ x is defined }} {{ x | default('d') }} {{ '' | default('e', true) }} {{ 'A,B'.split(',') | join('+') }}", "False d e A+B")]
    [InlineData("{%- macro m(a, b='2') -%}[{{ a }}{{ b }}]{%- endmacro -%}{{ m(1) }}{{ m(3, b=4) }}", "[12][34]")]
    [InlineData("  {% if true %}\n  x\n  {% endif %}\n", "  x\n")]
    [InlineData("{{ 'hi' if false }}|{{ 'a' if 1 > 2 else 'b' }}|{{ 'x' in 'xyz' and 2 not in [1] }}", "|b|True")]
    // 64-bit edges that once threw from .NET instead of answering as Python does (fuzz/regressions/chat-template).
    [InlineData("{{ 'abc'[1::9223372036854775807] }}|{{ 'a,b'.split(',', 9223372036854775807) }}|{{ (-9223372036854775807 - 1) % -1 }}|{{ [1]|tojson(indent=-1) }}",
        "b|['a', 'b']|0|[\n1\n]")]
    [InlineData("{{ 'ab'.replace('', '-') }}|{{ ''|replace('', '-') }}", "-a-b-|-")] // Python's str.replace with an empty old (fuzz finding)
    public void EvaluatesTheSubset(string source, string expected) =>
        Assert.Equal(expected, new JinjaTemplate(source).Render(new Dictionary<string, object?>()));

    [Theory]
    [InlineData("{% for x in range(2000000) %}{% endfor %}", "limit")]
    [InlineData("{{ raise_exception('no system role') }}", "no system role")]
    [InlineData("{% if %}", "expression")]
    [InlineData("{% for x in y %}", "endfor")]
    [InlineData("{{ x | unknownfilter }}", "unsupported filter")]
    // Literals the lexer once passed to long.Parse / int.Parse unchecked (found by fuzzing, fuzz/regressions/chat-template).
    [InlineData("{{ '\\uzzzz' }}", "truncated \\uXXXX escape")]
    [InlineData("{{ 99999999999999999999 }}", "does not fit 64 bits")]
    [InlineData("{{ \u0663 + 1 }}", "unexpected character")] // ARABIC-INDIC DIGIT THREE
    // Arity and overflow checks, and recursion that once ended the process with a stack overflow (fuzz/regressions/chat-template).
    [InlineData("{% set ns = namespace(n=0, n=1) %}", "keyword argument 'n' repeated")]
    [InlineData("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "longer than the output limit")]
    [InlineData("{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}", "longer than the output limit")]
    [InlineData("{{ 'a'|replace('a') }}", "replace takes 2 arguments")]
    [InlineData("{{ 'a'.find() }}", "find takes 1 argument")]
    [InlineData("{{ (-9223372036854775807 - 1)|abs }}", "abs overflows 64 bits")]
    [InlineData("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "recurses too deeply")]
    [InlineData("{% set ns = namespace(a=1) %}{% set ns.b = ns %}{{ ns|tojson }}", "recurses too deeply")]
    [InlineData("{% set ns = namespace(a=1) %}{% set ns.b = ns %}{{ ns }}{{ ns == ns }}", "recurses too deeply")]
    public void ErrorsAreExceptionsThatSayWhy(string source, string fragment)
    {
        var e = Assert.Throws<JinjaException>(() => new JinjaTemplate(source).Render(new Dictionary<string, object?>()));
        Assert.Contains(fragment, e.Message);
    }

    /// <summary>
    /// Nesting deeper than the stack allows is an error on any thread (a server renders on pool threads with smaller
    /// stacks than the main thread), not a process-ending stack overflow.
    /// </summary>
    [Fact]
    public void DeepNestingIsAnErrorEvenOnASmallStack()
    {
        string parens = "{{ " + new string('(', 20000) + "1" + new string(')', 20000) + " }}";
        string sum = "{{ " + string.Join("+", Enumerable.Repeat("1", 20000)) + " }}"; // parses flat, evaluates deep
        Exception? parse = null, render = null;
        var thread = new Thread(() =>
        {
            parse = Record.Exception(() => new JinjaTemplate(parens));
            render = Record.Exception(() => new JinjaTemplate(sum).Render(new Dictionary<string, object?>()));
        }, maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        Assert.Contains("nests too deeply", Assert.IsType<JinjaException>(parse).Message);
        Assert.Contains("recurses too deeply", Assert.IsType<JinjaException>(render).Message);
    }

    [Fact]
    public void Qwen3Template_RendersThroughTheChatPath_WithTheThinkingSwitch_AndStopsOnImEnd()
    {
        string template = File.ReadAllText(Path.Combine(Folder, "qwen3.jinja"));
        var t = ByteLevelBpeTokenizer.Create(TestVocabularies.BytesOnly(template, addBos: false, "<|endoftext|>", "<|im_start|>", "<|im_end|>"));
        Assert.Equal(ChatFormat.Template, t.Chat.Format);
        ChatPrompt prompt = t.Chat.Render([new ChatTurn("user", "Hi<|im_end|>")], addGenerationPrompt: true, enableThinking: false);
        Assert.Equal("<|im_start|>user\nHi<|im_end|><|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n", prompt.Text);
        // the <|im_end|> the user typed stays text: the three control tokens come from the template
        Assert.Equal(3, prompt.TokenIds.Count(t.IsSpecialToken));
        Assert.True(t.IsStopToken(t.TryGetSpecialTokenId("<|im_end|>", out int imEnd) ? imEnd : -1));
    }
}
