using System.Runtime.CompilerServices;

namespace BitNative.Tokenization.Jinja;

/// <summary>A node of a parsed template body.</summary>
internal abstract record JinjaNode;

internal sealed record TextNode(string Text) : JinjaNode;

internal sealed record OutputNode(JinjaExpr Value) : JinjaNode;

internal sealed record IfNode(List<(JinjaExpr Condition, List<JinjaNode> Body)> Branches, List<JinjaNode>? Else) : JinjaNode;

internal sealed record ForNode(string[] Targets, JinjaExpr Iterable, JinjaExpr? Filter, List<JinjaNode> Body, List<JinjaNode>? Else) : JinjaNode;

/// <summary><c>{% set name = value %}</c>, <c>{% set ns.attr = value %}</c> or <c>{% set a, b = value %}</c>.</summary>
internal sealed record SetNode(string[] Targets, string? Attribute, JinjaExpr Value) : JinjaNode;

/// <summary><c>{% set name %}body{% endset %}</c>.</summary>
internal sealed record SetBlockNode(string Target, List<JinjaNode> Body) : JinjaNode;

internal sealed record MacroNode(string Name, (string Name, JinjaExpr? Default)[] Parameters, List<JinjaNode> Body) : JinjaNode;

/// <summary>An expression.</summary>
internal abstract record JinjaExpr;

internal sealed record LiteralExpr(object? Value) : JinjaExpr;

internal sealed record NameExpr(string Name) : JinjaExpr;

internal sealed record ListExpr(List<JinjaExpr> Items) : JinjaExpr;

internal sealed record DictExpr(List<(JinjaExpr Key, JinjaExpr Value)> Items) : JinjaExpr;

internal sealed record AttributeExpr(JinjaExpr Target, string Name) : JinjaExpr;

internal sealed record IndexExpr(JinjaExpr Target, JinjaExpr Index) : JinjaExpr;

internal sealed record SliceExpr(JinjaExpr Target, JinjaExpr? Start, JinjaExpr? Stop, JinjaExpr? Step) : JinjaExpr;

internal sealed record CallExpr(JinjaExpr Callee, List<JinjaExpr> Arguments, List<(string Name, JinjaExpr Value)> Keywords) : JinjaExpr;

internal sealed record FilterExpr(JinjaExpr Value, string Name, List<JinjaExpr> Arguments, List<(string Name, JinjaExpr Value)> Keywords) : JinjaExpr;

internal sealed record TestExpr(JinjaExpr Value, string Name, List<JinjaExpr> Arguments, bool Negated) : JinjaExpr;

internal sealed record UnaryExpr(string Operator, JinjaExpr Operand) : JinjaExpr;

internal sealed record BinaryExpr(string Operator, JinjaExpr Left, JinjaExpr Right) : JinjaExpr;

internal sealed record ConditionalExpr(JinjaExpr Condition, JinjaExpr Then, JinjaExpr? Else) : JinjaExpr;

/// <summary>
/// A recursive-descent parser for the Jinja subset chat templates use: <c>if / elif / else</c>, <c>for ... in ... [if ...]
/// [else]</c>, <c>set</c> (names, namespace attributes, blocks), <c>macro</c>, comments, and expressions with
/// Jinja's precedence (conditional, or, and, not, comparisons and <c>in</c> / <c>is</c>, <c>~</c>, + -, * / // %,
/// unary -, filters, calls, attributes, subscripts and slices, list / dict literals).
/// </summary>
internal sealed class JinjaParser
{
    private readonly List<JinjaToken> _tokens;
    private int _at;

    private JinjaParser(List<JinjaToken> tokens) => _tokens = tokens;

    public static List<JinjaNode> Parse(string source)
    {
        var parser = new JinjaParser(JinjaLexer.Tokenize(source));
        List<JinjaNode> body;
        string? end;
        try
        {
            body = parser.ParseBody(out end);
        }
        catch (InsufficientExecutionStackException)
        {
            // The recursive steps check the stack (EnsureSufficientExecutionStack), so a template nested deeper than the
            // thread's stack allows is an error, not a process-ending stack overflow.
            throw new JinjaException("the template nests too deeply", parser.Current.Position);
        }

        if (end is not null)
        {
            throw new JinjaException($"unexpected '{{% {end} %}}'", parser.Current.Position);
        }

        return body;
    }

    private JinjaToken Current => _tokens[_at];

    /// <summary>Parses nodes until the end of input or a block keyword that closes the caller's block (returned in <paramref name="end"/>).</summary>
    private List<JinjaNode> ParseBody(out string? end, params string[] enders)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        var nodes = new List<JinjaNode>();
        while (true)
        {
            JinjaToken t = Current;
            switch (t.Kind)
            {
                case JinjaTokenKind.End:
                    end = null;
                    if (enders.Length > 0)
                    {
                        throw new JinjaException($"missing '{{% {enders[^1]} %}}'", t.Position);
                    }

                    return nodes;
                case JinjaTokenKind.Text:
                    nodes.Add(new TextNode(t.Value));
                    _at++;
                    break;
                case JinjaTokenKind.OutputStart:
                    _at++;
                    nodes.Add(new OutputNode(ParseExpression()));
                    Expect(JinjaTokenKind.OutputEnd);
                    break;
                case JinjaTokenKind.StatementStart:
                    JinjaToken keyword = _tokens[_at + 1];
                    if (keyword.Kind == JinjaTokenKind.Name && enders.Contains(keyword.Value))
                    {
                        _at += 2;
                        end = keyword.Value;
                        return nodes;
                    }

                    _at++;
                    nodes.Add(ParseStatement());
                    break;
                default:
                    throw new JinjaException($"unexpected '{t.Value}'", t.Position);
            }
        }
    }

    private JinjaNode ParseStatement()
    {
        JinjaToken keyword = Expect(JinjaTokenKind.Name);
        switch (keyword.Value)
        {
            case "if":
            {
                var branches = new List<(JinjaExpr, List<JinjaNode>)>();
                JinjaExpr condition = ParseExpression();
                Expect(JinjaTokenKind.StatementEnd);
                List<JinjaNode>? elseBody = null;
                while (true)
                {
                    List<JinjaNode> body = ParseBody(out string? end, "elif", "else", "endif");
                    branches.Add((condition, body));
                    if (end == "elif")
                    {
                        condition = ParseExpression();
                        Expect(JinjaTokenKind.StatementEnd);
                        continue;
                    }

                    if (end == "else")
                    {
                        Expect(JinjaTokenKind.StatementEnd);
                        elseBody = ParseBody(out _, "endif");
                    }

                    Expect(JinjaTokenKind.StatementEnd);
                    return new IfNode(branches, elseBody);
                }
            }

            case "for":
            {
                var targets = new List<string> { Expect(JinjaTokenKind.Name).Value };
                while (IsOperator(","))
                {
                    _at++;
                    targets.Add(Expect(JinjaTokenKind.Name).Value);
                }

                ExpectName("in");
                JinjaExpr iterable = ParseOr(); // 'if' after the iterable filters items; it is not a conditional expression
                JinjaExpr? filter = null;
                if (IsName("if"))
                {
                    _at++;
                    filter = ParseOr();
                }

                Expect(JinjaTokenKind.StatementEnd);
                List<JinjaNode> body = ParseBody(out string? end, "else", "endfor");
                List<JinjaNode>? elseBody = null;
                if (end == "else")
                {
                    Expect(JinjaTokenKind.StatementEnd);
                    elseBody = ParseBody(out _, "endfor");
                }

                Expect(JinjaTokenKind.StatementEnd);
                return new ForNode(targets.ToArray(), iterable, filter, body, elseBody);
            }

            case "set":
            {
                var targets = new List<string> { Expect(JinjaTokenKind.Name).Value };
                string? attribute = null;
                if (IsOperator("."))
                {
                    _at++;
                    attribute = Expect(JinjaTokenKind.Name).Value;
                }

                while (IsOperator(","))
                {
                    _at++;
                    targets.Add(Expect(JinjaTokenKind.Name).Value);
                }

                if (Current.Kind == JinjaTokenKind.StatementEnd && attribute is null && targets.Count == 1)
                {
                    _at++;
                    List<JinjaNode> body = ParseBody(out _, "endset");
                    Expect(JinjaTokenKind.StatementEnd);
                    return new SetBlockNode(targets[0], body);
                }

                ExpectOperator("=");
                JinjaExpr value = ParseExpression();
                Expect(JinjaTokenKind.StatementEnd);
                return new SetNode(targets.ToArray(), attribute, value);
            }

            case "macro":
            {
                string name = Expect(JinjaTokenKind.Name).Value;
                ExpectOperator("(");
                var parameters = new List<(string, JinjaExpr?)>();
                while (!IsOperator(")"))
                {
                    string p = Expect(JinjaTokenKind.Name).Value;
                    JinjaExpr? fallback = null;
                    if (IsOperator("="))
                    {
                        _at++;
                        fallback = ParseExpression();
                    }

                    parameters.Add((p, fallback));
                    if (IsOperator(","))
                    {
                        _at++;
                    }
                }

                _at++;
                Expect(JinjaTokenKind.StatementEnd);
                List<JinjaNode> body = ParseBody(out _, "endmacro");
                Expect(JinjaTokenKind.StatementEnd);
                return new MacroNode(name, parameters.ToArray(), body);
            }

            default:
                throw new JinjaException($"unsupported statement '{keyword.Value}'", keyword.Position);
        }
    }

    private JinjaExpr ParseExpression()
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        JinjaExpr value = ParseOr();
        if (!IsName("if"))
        {
            return value;
        }

        _at++;
        JinjaExpr condition = ParseOr();
        JinjaExpr? otherwise = null;
        if (IsName("else"))
        {
            _at++;
            otherwise = ParseExpression();
        }

        return new ConditionalExpr(condition, value, otherwise);
    }

    private JinjaExpr ParseOr()
    {
        JinjaExpr left = ParseAnd();
        while (IsName("or"))
        {
            _at++;
            left = new BinaryExpr("or", left, ParseAnd());
        }

        return left;
    }

    private JinjaExpr ParseAnd()
    {
        JinjaExpr left = ParseNot();
        while (IsName("and"))
        {
            _at++;
            left = new BinaryExpr("and", left, ParseNot());
        }

        return left;
    }

    private JinjaExpr ParseNot()
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        if (IsName("not"))
        {
            _at++;
            return new UnaryExpr("not", ParseNot());
        }

        return ParseComparison();
    }

    private JinjaExpr ParseComparison()
    {
        JinjaExpr left = ParseConcat();
        while (true)
        {
            if (Current.Kind == JinjaTokenKind.Operator && Current.Value is "==" or "!=" or "<" or ">" or "<=" or ">=")
            {
                string op = Current.Value;
                _at++;
                left = new BinaryExpr(op, left, ParseConcat());
            }
            else if (IsName("in"))
            {
                _at++;
                left = new BinaryExpr("in", left, ParseConcat());
            }
            else if (IsName("not") && _tokens[_at + 1] is { Kind: JinjaTokenKind.Name, Value: "in" })
            {
                _at += 2;
                left = new UnaryExpr("not", new BinaryExpr("in", left, ParseConcat()));
            }
            else if (IsName("is"))
            {
                _at++;
                bool negated = false;
                if (IsName("not"))
                {
                    _at++;
                    negated = true;
                }

                string test = Expect(JinjaTokenKind.Name).Value;
                var args = new List<JinjaExpr>();
                if (IsOperator("("))
                {
                    (args, _) = ParseArguments();
                }
                else if (Current.Kind is JinjaTokenKind.String or JinjaTokenKind.Integer or JinjaTokenKind.Float)
                {
                    args.Add(ParsePrimary()); // "is equalto 3", "is divisibleby 2"
                }

                left = new TestExpr(left, test, args, negated);
            }
            else
            {
                return left;
            }
        }
    }

    private JinjaExpr ParseConcat()
    {
        JinjaExpr left = ParseAdditive();
        while (IsOperator("~"))
        {
            _at++;
            left = new BinaryExpr("~", left, ParseAdditive());
        }

        return left;
    }

    private JinjaExpr ParseAdditive()
    {
        JinjaExpr left = ParseMultiplicative();
        while (Current.Kind == JinjaTokenKind.Operator && Current.Value is "+" or "-")
        {
            string op = Current.Value;
            _at++;
            left = new BinaryExpr(op, left, ParseMultiplicative());
        }

        return left;
    }

    private JinjaExpr ParseMultiplicative()
    {
        JinjaExpr left = ParseUnary();
        while (Current.Kind == JinjaTokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            string op = Current.Value;
            _at++;
            left = new BinaryExpr(op, left, ParseUnary());
        }

        return left;
    }

    private JinjaExpr ParseUnary()
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        if (Current.Kind == JinjaTokenKind.Operator && Current.Value is "-" or "+")
        {
            string op = Current.Value;
            _at++;
            return new UnaryExpr(op, ParseUnary());
        }

        return ParsePostfix(ParsePrimary());
    }

    private JinjaExpr ParsePostfix(JinjaExpr value)
    {
        while (true)
        {
            if (IsOperator("."))
            {
                _at++;
                value = new AttributeExpr(value, Expect(JinjaTokenKind.Name).Value);
            }
            else if (IsOperator("["))
            {
                _at++;
                value = ParseSubscript(value);
            }
            else if (IsOperator("("))
            {
                var (args, keywords) = ParseArguments();
                value = new CallExpr(value, args, keywords);
            }
            else if (IsOperator("|"))
            {
                _at++;
                string name = Expect(JinjaTokenKind.Name).Value;
                var (args, keywords) = IsOperator("(") ? ParseArguments() : ([], []);
                value = new FilterExpr(value, name, args, keywords);
            }
            else
            {
                return value;
            }
        }
    }

    private JinjaExpr ParseSubscript(JinjaExpr target)
    {
        JinjaExpr? start = null, stop = null, step = null;
        if (!IsOperator(":"))
        {
            start = ParseExpression();
            if (IsOperator("]"))
            {
                _at++;
                return new IndexExpr(target, start);
            }
        }

        ExpectOperator(":");
        if (!IsOperator(":") && !IsOperator("]"))
        {
            stop = ParseExpression();
        }

        if (IsOperator(":"))
        {
            _at++;
            if (!IsOperator("]"))
            {
                step = ParseExpression();
            }
        }

        ExpectOperator("]");
        return new SliceExpr(target, start, stop, step);
    }

    private (List<JinjaExpr>, List<(string, JinjaExpr)>) ParseArguments()
    {
        ExpectOperator("(");
        var args = new List<JinjaExpr>();
        var keywords = new List<(string, JinjaExpr)>();
        while (!IsOperator(")"))
        {
            if (Current.Kind == JinjaTokenKind.Name && _tokens[_at + 1] is { Kind: JinjaTokenKind.Operator, Value: "=" })
            {
                string name = Current.Value;
                if (keywords.Any(k => k.Item1 == name))
                {
                    throw new JinjaException($"keyword argument '{name}' repeated", Current.Position); // Python's SyntaxError
                }

                _at += 2;
                keywords.Add((name, ParseExpression()));
            }
            else
            {
                args.Add(ParseExpression());
            }

            if (IsOperator(","))
            {
                _at++;
            }
            else if (!IsOperator(")"))
            {
                throw new JinjaException($"expected ',' or ')', found '{Current.Value}'", Current.Position);
            }
        }

        _at++;
        return (args, keywords);
    }

    private JinjaExpr ParsePrimary()
    {
        JinjaToken t = Current;
        _at++;
        switch (t.Kind)
        {
            case JinjaTokenKind.String:
                string text = t.Value;
                while (Current.Kind == JinjaTokenKind.String) // adjacent literals concatenate
                {
                    text += Current.Value;
                    _at++;
                }

                return new LiteralExpr(text);
            case JinjaTokenKind.Integer:
                // Python's integers have no limit; ours are 64-bit.
                return long.TryParse(t.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n)
                    ? new LiteralExpr(n)
                    : throw new JinjaException($"integer literal {t.Value} does not fit 64 bits", t.Position);
            case JinjaTokenKind.Float:
                return new LiteralExpr(double.Parse(t.Value, System.Globalization.CultureInfo.InvariantCulture));
            case JinjaTokenKind.Name:
                return t.Value switch
                {
                    "true" or "True" => new LiteralExpr(true),
                    "false" or "False" => new LiteralExpr(false),
                    "none" or "None" => new LiteralExpr(null),
                    _ => new NameExpr(t.Value),
                };
            case JinjaTokenKind.Operator when t.Value == "(":
            {
                JinjaExpr inner = ParseExpression();
                if (IsOperator(","))
                {
                    var items = new List<JinjaExpr> { inner }; // a tuple: read as a list
                    while (IsOperator(","))
                    {
                        _at++;
                        if (!IsOperator(")"))
                        {
                            items.Add(ParseExpression());
                        }
                    }

                    inner = new ListExpr(items);
                }

                ExpectOperator(")");
                return inner;
            }

            case JinjaTokenKind.Operator when t.Value == "[":
            {
                var items = new List<JinjaExpr>();
                while (!IsOperator("]"))
                {
                    items.Add(ParseExpression());
                    if (IsOperator(","))
                    {
                        _at++;
                    }
                }

                _at++;
                return new ListExpr(items);
            }

            case JinjaTokenKind.Operator when t.Value == "{":
            {
                var items = new List<(JinjaExpr, JinjaExpr)>();
                while (!IsOperator("}"))
                {
                    JinjaExpr key = ParseExpression();
                    ExpectOperator(":");
                    items.Add((key, ParseExpression()));
                    if (IsOperator(","))
                    {
                        _at++;
                    }
                }

                _at++;
                return new DictExpr(items);
            }

            default:
                throw new JinjaException($"unexpected '{(t.Kind == JinjaTokenKind.End ? "end of template" : t.Value)}' in an expression", t.Position);
        }
    }

    private bool IsOperator(string op) => Current.Kind == JinjaTokenKind.Operator && Current.Value == op;

    private bool IsName(string name) => Current.Kind == JinjaTokenKind.Name && Current.Value == name;

    private JinjaToken Expect(JinjaTokenKind kind)
    {
        JinjaToken t = Current;
        if (t.Kind != kind)
        {
            throw new JinjaException($"expected {kind}, found '{(t.Kind == JinjaTokenKind.End ? "end of template" : t.Value)}'", t.Position);
        }

        _at++;
        return t;
    }

    private void ExpectOperator(string op)
    {
        if (!IsOperator(op))
        {
            throw new JinjaException($"expected '{op}', found '{Current.Value}'", Current.Position);
        }

        _at++;
    }

    private void ExpectName(string name)
    {
        if (!IsName(name))
        {
            throw new JinjaException($"expected '{name}', found '{Current.Value}'", Current.Position);
        }

        _at++;
    }
}
