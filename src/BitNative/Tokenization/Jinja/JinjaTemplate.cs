using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace BitNative.Tokenization.Jinja;

/// <summary>Jinja's undefined value: falsy, renders as nothing, and any attribute of it is undefined again.</summary>
internal sealed class JinjaUndefined
{
    public static readonly JinjaUndefined Instance = new();

    private JinjaUndefined()
    {
    }

    public override string ToString() => "";
}

/// <summary>The mutable object <c>namespace(...)</c> makes: the way a template carries a value out of a loop.</summary>
internal sealed class JinjaNamespace : Dictionary<string, object?>
{
    public JinjaNamespace()
        : base(StringComparer.Ordinal)
    {
    }
}

/// <summary>A callable value (a macro, <c>range</c>, a bound string method).</summary>
internal delegate object? JinjaCallable(List<object?> arguments, Dictionary<string, object?> keywords);

/// <summary>
/// A chat template compiled once and rendered per conversation: the subset of Jinja (as transformers runs it, with
/// <c>trim_blocks</c> and <c>lstrip_blocks</c>) that the templates of the model families BitNative runs use — loops with
/// <c>loop.*</c>, conditionals, <c>set</c> with namespaces, macros, Python-style string and dict methods, slicing, and
/// the filters and tests listed in <see cref="ApplyFilter"/> and <see cref="ApplyTest"/>. Values are Python's: none,
/// bool, int (long), float (double), str, list, dict. Templates come from model files, so they are untrusted: loops
/// and output are bounded, and nothing but the given variables and these functions is reachable.
/// </summary>
internal sealed class JinjaTemplate
{
    /// <summary>Loop iterations one render may run (a template from a file must not spin forever).</summary>
    public const int MaxIterations = 1_000_000;

    /// <summary>Characters one render may produce.</summary>
    public const int MaxOutput = 16 << 20;

    /// <summary>The largest tojson indent honoured (more would only build huge strings).</summary>
    private const int MaxIndent = 64;

    private readonly List<JinjaNode> _body;

    /// <exception cref="JinjaException">The template does not parse.</exception>
    public JinjaTemplate(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Source = source;
        _body = JinjaParser.Parse(source);
    }

    public string Source { get; }

    /// <summary>Renders the template with <paramref name="variables"/> as its globals.</summary>
    /// <exception cref="JinjaException">The template fails (raise_exception, a type error, a limit).</exception>
    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        var run = new Run(variables);
        try
        {
            run.Execute(_body);
        }
        catch (InsufficientExecutionStackException)
        {
            // Execute, Eval and the value walkers check the stack (EnsureSufficientExecutionStack): a macro that calls
            // itself, or a namespace that contains itself, would otherwise end the process with a stack overflow (found
            // by fuzzing, docs/RELIABILITY.md).
            throw new JinjaException("the template recurses too deeply (a macro that calls itself, or a value that contains itself?)");
        }

        return run.Output.ToString();
    }

    /// <summary>One rendering: the output, the scopes, and the iteration budget.</summary>
    private sealed class Run
    {
        private readonly List<Dictionary<string, object?>> _scopes = [];
        private int _iterations;

        public Run(IReadOnlyDictionary<string, object?> variables)
        {
            var globals = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["range"] = (JinjaCallable)Range,
                ["namespace"] = (JinjaCallable)((_, kw) =>
                {
                    var ns = new JinjaNamespace();
                    foreach (var (k, v) in kw)
                    {
                        ns[k] = v;
                    }

                    return ns;
                }),
                ["raise_exception"] = (JinjaCallable)((args, _) =>
                    throw new JinjaException("the template raised: " + (args.Count > 0 ? Str(args[0]) : "an error"))),
                ["strftime_now"] = (JinjaCallable)((args, _) => StrftimeNow(args.Count > 0 ? Str(args[0]) : "%Y-%m-%d")),
            };
            foreach (var (k, v) in variables)
            {
                globals[k] = v;
            }

            _scopes.Add(globals);
        }

        public StringBuilder Output { get; } = new();

        public void Execute(List<JinjaNode> nodes)
        {
            RuntimeHelpers.EnsureSufficientExecutionStack();
            foreach (JinjaNode node in nodes)
            {
                switch (node)
                {
                    case TextNode t:
                        Write(t.Text);
                        break;
                    case OutputNode o:
                        Write(Str(Eval(o.Value)));
                        break;
                    case IfNode i:
                        ExecuteIf(i);
                        break;
                    case ForNode f:
                        ExecuteFor(f);
                        break;
                    case SetNode s:
                        ExecuteSet(s);
                        break;
                    case SetBlockNode b:
                        _scopes[^1][b.Target] = Capture(b.Body);
                        break;
                    case MacroNode m:
                        _scopes[^1][m.Name] = MakeMacro(m);
                        break;
                }
            }
        }

        private void Write(string text)
        {
            Output.Append(text);
            if (Output.Length > MaxOutput)
            {
                throw new JinjaException($"the template produced more than {MaxOutput} characters");
            }
        }

        private string Capture(List<JinjaNode> body)
        {
            int start = Output.Length;
            Execute(body);
            string text = Output.ToString(start, Output.Length - start);
            Output.Length = start;
            return text;
        }

        private void ExecuteIf(IfNode node)
        {
            foreach (var (condition, body) in node.Branches)
            {
                if (Truthy(Eval(condition)))
                {
                    Execute(body);
                    return;
                }
            }

            if (node.Else is not null)
            {
                Execute(node.Else);
            }
        }

        private void ExecuteFor(ForNode node)
        {
            List<object?> items = Iterate(Eval(node.Iterable)).ToList();
            if (node.Filter is not null)
            {
                items = items.Where(item =>
                {
                    _scopes.Add(Bind(node.Targets, item));
                    try
                    {
                        return Truthy(Eval(node.Filter));
                    }
                    finally
                    {
                        _scopes.RemoveAt(_scopes.Count - 1);
                    }
                }).ToList();
            }

            if (items.Count == 0)
            {
                if (node.Else is not null)
                {
                    Execute(node.Else);
                }

                return;
            }

            for (int i = 0; i < items.Count; i++)
            {
                if (++_iterations > MaxIterations)
                {
                    throw new JinjaException($"the template ran more than {MaxIterations} loop iterations");
                }

                Dictionary<string, object?> scope = Bind(node.Targets, items[i]);
                scope["loop"] = new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["index0"] = (long)i,
                    ["index"] = (long)i + 1,
                    ["revindex0"] = (long)(items.Count - 1 - i),
                    ["revindex"] = (long)(items.Count - i),
                    ["first"] = i == 0,
                    ["last"] = i == items.Count - 1,
                    ["length"] = (long)items.Count,
                    ["previtem"] = i > 0 ? items[i - 1] : JinjaUndefined.Instance,
                    ["nextitem"] = i + 1 < items.Count ? items[i + 1] : JinjaUndefined.Instance,
                };
                _scopes.Add(scope); // each iteration is a scope of its own: a plain 'set' in the body does not leak out
                try
                {
                    Execute(node.Body);
                }
                finally
                {
                    _scopes.RemoveAt(_scopes.Count - 1);
                }
            }
        }

        private static Dictionary<string, object?> Bind(string[] targets, object? item)
        {
            var scope = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (targets.Length == 1)
            {
                scope[targets[0]] = item;
                return scope;
            }

            List<object?> parts = Iterate(item).ToList();
            if (parts.Count != targets.Length)
            {
                throw new JinjaException($"cannot unpack {parts.Count} values into {targets.Length} names");
            }

            for (int i = 0; i < targets.Length; i++)
            {
                scope[targets[i]] = parts[i];
            }

            return scope;
        }

        private void ExecuteSet(SetNode node)
        {
            object? value = Eval(node.Value);
            if (node.Attribute is not null)
            {
                if (Lookup(node.Targets[0]) is not JinjaNamespace ns)
                {
                    throw new JinjaException($"cannot set an attribute of '{node.Targets[0]}', which is not a namespace");
                }

                ns[node.Attribute] = value;
                return;
            }

            if (node.Targets.Length == 1)
            {
                _scopes[^1][node.Targets[0]] = value;
                return;
            }

            foreach (var (k, v) in Bind(node.Targets, value))
            {
                _scopes[^1][k] = v;
            }
        }

        private JinjaCallable MakeMacro(MacroNode m) => (args, kw) =>
        {
            var scope = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (int i = 0; i < m.Parameters.Length; i++)
            {
                var (name, fallback) = m.Parameters[i];
                scope[name] = i < args.Count ? args[i] : kw.TryGetValue(name, out object? v) ? v
                    : fallback is not null ? Eval(fallback) : JinjaUndefined.Instance;
            }

            _scopes.Add(scope);
            try
            {
                return Capture(m.Body);
            }
            finally
            {
                _scopes.RemoveAt(_scopes.Count - 1);
            }
        };

        private object? Lookup(string name)
        {
            for (int i = _scopes.Count - 1; i >= 0; i--)
            {
                if (_scopes[i].TryGetValue(name, out object? value))
                {
                    return value;
                }
            }

            return JinjaUndefined.Instance;
        }

        private object? Eval(JinjaExpr expr)
        {
            RuntimeHelpers.EnsureSufficientExecutionStack();
            switch (expr)
            {
                case LiteralExpr l:
                    return l.Value;
                case NameExpr n:
                    return Lookup(n.Name);
                case ListExpr l:
                    return l.Items.Select(Eval).ToList();
                case DictExpr d:
                {
                    var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var (k, v) in d.Items)
                    {
                        dict[Str(Eval(k))] = Eval(v);
                    }

                    return dict;
                }

                case AttributeExpr a:
                    return GetAttribute(Eval(a.Target), a.Name);
                case IndexExpr i:
                    return GetItem(Eval(i.Target), Eval(i.Index));
                case SliceExpr s:
                    return Slice(Eval(s.Target), s.Start is null ? null : Eval(s.Start), s.Stop is null ? null : Eval(s.Stop),
                        s.Step is null ? null : Eval(s.Step));
                case CallExpr c:
                {
                    object? callee = Eval(c.Callee);
                    if (callee is not JinjaCallable f)
                    {
                        throw new JinjaException($"'{Describe(c.Callee)}' is not callable");
                    }

                    return f(c.Arguments.Select(Eval).ToList(), c.Keywords.ToDictionary(k => k.Name, k => Eval(k.Value)));
                }

                case FilterExpr f:
                    return ApplyFilter(f.Name, Eval(f.Value), f.Arguments.Select(Eval).ToList(),
                        f.Keywords.ToDictionary(k => k.Name, k => Eval(k.Value)));
                case TestExpr t:
                    return ApplyTest(t.Name, Eval(t.Value), t.Arguments.Select(Eval).ToList()) != t.Negated;
                case UnaryExpr u:
                {
                    object? v = Eval(u.Operand);
                    return u.Operator switch
                    {
                        "not" => !Truthy(v),
                        "-" => v switch
                        {
                            long x => (object)(-x),
                            double x => -x,
                            bool x => -(x ? 1L : 0L),
                            _ => throw new JinjaException($"bad operand for unary -: {TypeName(v)}"),
                        },
                        _ => v,
                    };
                }

                case BinaryExpr b when b.Operator == "and":
                {
                    object? left = Eval(b.Left);
                    return Truthy(left) ? Eval(b.Right) : left;
                }

                case BinaryExpr b when b.Operator == "or":
                {
                    object? left = Eval(b.Left);
                    return Truthy(left) ? left : Eval(b.Right);
                }

                case BinaryExpr b:
                    return Binary(b.Operator, Eval(b.Left), Eval(b.Right));
                case ConditionalExpr c:
                    return Truthy(Eval(c.Condition)) ? Eval(c.Then) : c.Else is null ? JinjaUndefined.Instance : Eval(c.Else);
                default:
                    throw new JinjaException($"unknown expression {expr.GetType().Name}");
            }
        }

        private static string Describe(JinjaExpr e) => e switch
        {
            NameExpr n => n.Name,
            AttributeExpr a => Describe(a.Target) + "." + a.Name,
            _ => "expression",
        };

        private static object? Range(List<object?> args, Dictionary<string, object?> kw)
        {
            long start = 0, stop, step = 1;
            switch (args.Count)
            {
                case 1: stop = Int(args[0]); break;
                case 2: start = Int(args[0]); stop = Int(args[1]); break;
                case 3: start = Int(args[0]); stop = Int(args[1]); step = Int(args[2]); break;
                default: throw new JinjaException("range takes 1 to 3 arguments");
            }

            if (step == 0)
            {
                throw new JinjaException("range step is 0");
            }

            long count = step > 0 ? Math.Max(0, (stop - start + step - 1) / step) : Math.Max(0, (start - stop - step - 1) / -step);
            if (count > MaxIterations)
            {
                throw new JinjaException($"range of {count} values exceeds the limit of {MaxIterations}");
            }

            var list = new List<object?>((int)count);
            for (long i = 0; i < count; i++)
            {
                list.Add(start + i * step);
            }

            return list;
        }

        private static string StrftimeNow(string format)
        {
            DateTime now = DateTime.Now;
            var sb = new StringBuilder();
            for (int i = 0; i < format.Length; i++)
            {
                if (format[i] != '%' || i + 1 == format.Length)
                {
                    sb.Append(format[i]);
                    continue;
                }

                char c = format[++i];
                sb.Append(c switch
                {
                    'd' => now.ToString("dd", CultureInfo.InvariantCulture),
                    'm' => now.ToString("MM", CultureInfo.InvariantCulture),
                    'Y' => now.ToString("yyyy", CultureInfo.InvariantCulture),
                    'y' => now.ToString("yy", CultureInfo.InvariantCulture),
                    'b' => now.ToString("MMM", CultureInfo.InvariantCulture),
                    'B' => now.ToString("MMMM", CultureInfo.InvariantCulture),
                    'H' => now.ToString("HH", CultureInfo.InvariantCulture),
                    'M' => now.ToString("mm", CultureInfo.InvariantCulture),
                    'S' => now.ToString("ss", CultureInfo.InvariantCulture),
                    'A' => now.ToString("dddd", CultureInfo.InvariantCulture),
                    'a' => now.ToString("ddd", CultureInfo.InvariantCulture),
                    '%' => "%",
                    _ => "%" + c,
                });
            }

            return sb.ToString();
        }
    }

    // ---- values ---------------------------------------------------------------------------------------------------

    /// <summary>Python's truth value.</summary>
    public static bool Truthy(object? v) => v switch
    {
        null or JinjaUndefined => false,
        bool b => b,
        long i => i != 0,
        double d => d != 0,
        string s => s.Length > 0,
        System.Collections.ICollection c => c.Count > 0,
        _ => true,
    };

    /// <summary>The text a value renders as (Python's str, except undefined, which renders as nothing).</summary>
    public static string Str(object? v) => v switch
    {
        null => "None",
        JinjaUndefined => "",
        string s => s,
        bool b => b ? "True" : "False",
        long i => i.ToString(CultureInfo.InvariantCulture),
        double d => PyFloat(d),
        JinjaCallable => "<function>",
        _ => Repr(v),
    };

    private static string PyFloat(double d) =>
        double.IsInteger(d) && Math.Abs(d) < 1e16 ? d.ToString("0.0", CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Python's repr: strings quoted, containers spelled out.</summary>
    private static string Repr(object? v)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack(); // a namespace may contain itself
        return v switch
        {
            string s => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'").Replace("\n", "\\n") + "'",
            IDictionary<string, object?> d => "{" + string.Join(", ", d.Select(kv => Repr(kv.Key) + ": " + Repr(kv.Value))) + "}",
            List<object?> l => "[" + string.Join(", ", l.Select(Repr)) + "]",
            _ => Str(v),
        };
    }

    private static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        JinjaUndefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        IDictionary<string, object?> => "dict",
        _ => v.GetType().Name,
    };

    private static long Int(object? v) => v switch
    {
        long i => i,
        bool b => b ? 1 : 0,
        double d => (long)d,
        string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long i) => i,
        _ => throw new JinjaException($"expected an integer, got {TypeName(v)}"),
    };

    private static IEnumerable<object?> Iterate(object? v) => v switch
    {
        null or JinjaUndefined => [],
        string s => EnumerateRunes(s),
        List<object?> l => l,
        IDictionary<string, object?> d => d.Keys.Cast<object?>(),
        _ => throw new JinjaException($"{TypeName(v)} is not iterable"),
    };

    private static IEnumerable<object?> EnumerateRunes(string s)
    {
        foreach (Rune r in s.EnumerateRunes())
        {
            yield return r.ToString();
        }
    }

    private static object? GetAttribute(object? target, string name)
    {
        if (target is IDictionary<string, object?> d)
        {
            if (d.TryGetValue(name, out object? v))
            {
                return v;
            }

            return d is JinjaNamespace ? JinjaUndefined.Instance : (object?)DictMethod(d, name) ?? JinjaUndefined.Instance;
        }

        if (target is string s)
        {
            return (object?)StringMethod(s, name) ?? JinjaUndefined.Instance;
        }

        return JinjaUndefined.Instance;
    }

    private static object? GetItem(object? target, object? index)
    {
        switch (target)
        {
            case IDictionary<string, object?> d:
                return index is string key && d.TryGetValue(key, out object? v) ? v : GetAttributeFallback(d, index);
            case List<object?> l:
            {
                long i = Int(index);
                if (i < 0)
                {
                    i += l.Count;
                }

                return i >= 0 && i < l.Count ? l[(int)i] : JinjaUndefined.Instance;
            }

            case string s:
            {
                string[] chars = EnumerateRunes(s).Cast<string>().ToArray();
                long i = Int(index);
                if (i < 0)
                {
                    i += chars.Length;
                }

                return i >= 0 && i < chars.Length ? chars[i] : JinjaUndefined.Instance;
            }

            default:
                return JinjaUndefined.Instance;
        }
    }

    private static object? GetAttributeFallback(IDictionary<string, object?> d, object? index) =>
        index is string name ? (object?)DictMethod(d, name) ?? JinjaUndefined.Instance : JinjaUndefined.Instance;

    private static object? Slice(object? target, object? start, object? stop, object? step)
    {
        long st = step is null or JinjaUndefined ? 1 : Int(step);
        if (st == 0)
        {
            throw new JinjaException("slice step cannot be zero");
        }

        List<object?> items = target switch
        {
            string s => EnumerateRunes(s).ToList(),
            List<object?> l => l,
            _ => throw new JinjaException($"{TypeName(target)} cannot be sliced"),
        };
        int n = items.Count;
        st = Math.Clamp(st, -(long)n - 1, (long)n + 1); // same elements; i += st cannot overflow
        long Norm(object? v, long fallback)
        {
            if (v is null or JinjaUndefined)
            {
                return fallback;
            }

            long i = Int(v);
            if (i < 0)
            {
                i += n;
            }

            return st > 0 ? Math.Clamp(i, 0, n) : Math.Clamp(i, -1, n - 1);
        }

        long a = Norm(start, st > 0 ? 0 : n - 1), b = Norm(stop, st > 0 ? n : -1);
        var result = new List<object?>();
        for (long i = a; st > 0 ? i < b : i > b; i += st)
        {
            result.Add(items[(int)i]);
        }

        return target is string ? string.Concat(result.Cast<string>()) : result;
    }

    private static object? Binary(string op, object? a, object? b)
    {
        switch (op)
        {
            case "==": return PyEquals(a, b);
            case "!=": return !PyEquals(a, b);
            case "<" or ">" or "<=" or ">=":
            {
                int c = Compare(a, b);
                return op switch { "<" => c < 0, ">" => c > 0, "<=" => c <= 0, _ => c >= 0 };
            }

            case "in":
                return b switch
                {
                    string s => a is string sub ? s.Contains(sub, StringComparison.Ordinal) : throw new JinjaException("'in <string>' needs a string"),
                    List<object?> l => l.Any(x => PyEquals(x, a)),
                    IDictionary<string, object?> d => a is string k && d.ContainsKey(k),
                    null or JinjaUndefined => false,
                    _ => throw new JinjaException($"'in' is not supported for {TypeName(b)}"),
                };
            case "~":
                return Concat(Str(a), Str(b));
            case "+":
                return (a, b) switch
                {
                    (string x, string y) => Concat(x, y),
                    (List<object?> x, List<object?> y) => x.Count + (long)y.Count <= MaxOutput ? x.Concat(y).ToList() : throw TooLong(),
                    _ when IsNumber(a) && IsNumber(b) => Arithmetic(op, a, b),
                    _ => throw new JinjaException($"unsupported operand types for +: {TypeName(a)} and {TypeName(b)}"),
                };
            case "*" when a is string s && b is long times:
                return string.Concat(Enumerable.Repeat(s, (int)Math.Clamp(times, 0, MaxOutput / Math.Max(1, s.Length))));
            default:
                if (!IsNumber(a) || !IsNumber(b))
                {
                    throw new JinjaException($"unsupported operand types for {op}: {TypeName(a)} and {TypeName(b)}");
                }

                return Arithmetic(op, a, b);
        }
    }

    private static bool IsNumber(object? v) => v is long or double or bool;

    private static object Arithmetic(string op, object? a, object? b)
    {
        if (a is double || b is double || op == "/")
        {
            double x = ToDouble(a), y = ToDouble(b);
            return op switch
            {
                "+" => x + y,
                "-" => x - y,
                "*" => x * y,
                "/" => y == 0 ? throw new JinjaException("division by zero") : x / y,
                "//" => y == 0 ? throw new JinjaException("division by zero") : Math.Floor(x / y),
                "%" => y == 0 ? throw new JinjaException("modulo by zero") : x - y * Math.Floor(x / y),
                _ => throw new JinjaException($"unknown operator {op}"),
            };
        }

        long p = Int(a), q = Int(b);
        return op switch
        {
            "+" => p + q,
            "-" => p - q,
            "*" => p * q,
            "//" => q == 0 ? throw new JinjaException("division by zero") : (long)Math.Floor((double)p / q),
            "%" => q == 0 ? throw new JinjaException("modulo by zero") : q == -1 ? 0L : ((p % q) + q) % q, // long.MinValue % -1 throws
            _ => throw new JinjaException($"unknown operator {op}"),
        };
    }

    private static double ToDouble(object? v) => v switch
    {
        double d => d,
        long i => i,
        bool b => b ? 1 : 0,
        _ => throw new JinjaException($"expected a number, got {TypeName(v)}"),
    };

    private static bool PyEquals(object? a, object? b)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack(); // a namespace may contain itself
        if (IsNumber(a) && IsNumber(b))
        {
            return ToDouble(a) == ToDouble(b);
        }

        return (a, b) switch
        {
            (null, null) => true,
            (JinjaUndefined, JinjaUndefined) => true,
            (string x, string y) => x == y,
            (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => PyEquals(p.First, p.Second)),
            (IDictionary<string, object?> x, IDictionary<string, object?> y) =>
                x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out object? v) && PyEquals(kv.Value, v)),
            _ => false,
        };
    }

    private static int Compare(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            return ToDouble(a).CompareTo(ToDouble(b));
        }

        if (a is string x && b is string y)
        {
            return string.CompareOrdinal(x, y);
        }

        throw new JinjaException($"cannot compare {TypeName(a)} with {TypeName(b)}");
    }

    // ---- methods, filters, tests ----------------------------------------------------------------------------------

    private static JinjaCallable? StringMethod(string s, string name) => name switch
    {
        "startswith" => (args, _) => Prefixes(args).Any(p => s.StartsWith(p, StringComparison.Ordinal)),
        "endswith" => (args, _) => Prefixes(args).Any(p => s.EndsWith(p, StringComparison.Ordinal)),
        "strip" => (args, _) => StripChars(s, args, true, true),
        "lstrip" => (args, _) => StripChars(s, args, true, false),
        "rstrip" => (args, _) => StripChars(s, args, false, true),
        "upper" => (_, _) => s.ToUpperInvariant(),
        "lower" => (_, _) => s.ToLowerInvariant(),
        "title" => (_, _) => Title(s),
        "capitalize" => (_, _) => Capitalize(s),
        "replace" => (args, _) => Replace(s, Str(Needs(args, 2, name)[0]), Str(args[1])),
        "split" => (args, kw) => Split(s, args.Count > 0 ? args[0] : kw.GetValueOrDefault("sep"),
            args.Count > 1 ? Int(args[1]) : kw.TryGetValue("maxsplit", out object? m) ? Int(m) : -1),
        "find" => (args, _) => (long)s.IndexOf(Str(Needs(args, 1, name)[0]), StringComparison.Ordinal),
        "count" => (args, _) => (long)CountOccurrences(s, Str(Needs(args, 1, name)[0])),
        _ => null,
    };

    /// <summary><paramref name="args"/>, when it holds at least <paramref name="count"/> arguments.</summary>
    private static List<object?> Needs(List<object?> args, int count, string what) =>
        args.Count >= count ? args : throw new JinjaException($"{what} takes {count} argument{(count == 1 ? "" : "s")}");

    /// <summary>
    /// Strings a template builds may not outgrow the output limit: doubling a variable in a loop would otherwise exhaust
    /// memory within a few dozen iterations (found by fuzzing, docs/RELIABILITY.md).
    /// </summary>
    private static JinjaException TooLong() => new($"a value longer than the output limit of {MaxOutput} characters");

    private static string Limit(string s) => s.Length <= MaxOutput ? s : throw TooLong();

    private static string Concat(string x, string y) => x.Length + (long)y.Length <= MaxOutput ? x + y : throw TooLong();

    /// <summary>Python's str.replace: an empty <paramref name="old"/> inserts <paramref name="replacement"/> around every character.</summary>
    private static string Replace(string s, string old, string replacement)
    {
        if (old.Length > 0)
        {
            long length = s.Length + (long)CountOccurrences(s, old) * (replacement.Length - old.Length);
            return length <= MaxOutput ? s.Replace(old, replacement, StringComparison.Ordinal) : throw TooLong();
        }

        return (s.Length + 1L) * replacement.Length + s.Length <= MaxOutput
            ? replacement + string.Join(replacement, EnumerateRunes(s)) + (s.Length > 0 ? replacement : "")
            : throw TooLong();
    }

    private static IEnumerable<string> Prefixes(List<object?> args) =>
        args.Count == 0 ? throw new JinjaException("startswith / endswith need an argument")
        : args[0] is List<object?> l ? l.Select(Str) : [Str(args[0])];

    private static string StripChars(string s, List<object?> args, bool start, bool end)
    {
        if (args.Count == 0 || args[0] is null or JinjaUndefined)
        {
            return start && end ? s.Trim() : start ? s.TrimStart() : s.TrimEnd();
        }

        char[] chars = Str(args[0]).ToCharArray();
        return start && end ? s.Trim(chars) : start ? s.TrimStart(chars) : s.TrimEnd(chars);
    }

    private static List<object?> Split(string s, object? separator, long maxSplit)
    {
        if (separator is null or JinjaUndefined)
        {
            string[] words = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return words.Cast<object?>().ToList();
        }

        string sep = Str(separator);
        if (sep.Length == 0)
        {
            throw new JinjaException("empty separator");
        }

        string[] parts = maxSplit < 0 || maxSplit >= int.MaxValue ? s.Split(sep) : s.Split(sep, (int)maxSplit + 1);
        return parts.Cast<object?>().ToList();
    }

    private static int CountOccurrences(string s, string sub)
    {
        if (sub.Length == 0)
        {
            return s.Length + 1;
        }

        int count = 0;
        for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    private static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool start = true;
        foreach (char c in s)
        {
            sb.Append(start ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            start = !char.IsLetterOrDigit(c);
        }

        return sb.ToString();
    }

    private static JinjaCallable? DictMethod(IDictionary<string, object?> d, string name) => name switch
    {
        "get" => (args, _) => args.Count > 0 && args[0] is string k && d.TryGetValue(k, out object? v) ? v
            : args.Count > 1 ? args[1] : null,
        "items" => (_, _) => d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList(),
        "keys" => (_, _) => d.Keys.Cast<object?>().ToList(),
        "values" => (_, _) => d.Values.ToList(),
        _ => null,
    };

    /// <summary>
    /// The filters: length / count, trim, tojson (indent), capitalize, title, upper, lower, string, int, float,
    /// default / d, join, first, last, list, reverse, replace, items, selectattr / rejectattr, map(attribute=), safe, abs.
    /// </summary>
    private static object? ApplyFilter(string name, object? v, List<object?> args, Dictionary<string, object?> kw)
    {
        switch (name)
        {
            case "length" or "count":
                return v switch
                {
                    string s => (long)EnumerateRunes(s).Count(),
                    System.Collections.ICollection c => (long)c.Count,
                    null or JinjaUndefined => 0L,
                    _ => throw new JinjaException($"{TypeName(v)} has no length"),
                };
            case "trim":
                return StripChars(Str(v), args, true, true);
            case "tojson":
            {
                object? indent = args.Count > 0 ? args[0] : kw.GetValueOrDefault("indent");
                // Python indents by ' ' * indent: nothing when negative.
                return ToJson(v, indent is null or JinjaUndefined ? null : (int)Math.Clamp(Int(indent), 0, MaxIndent), 0);
            }

            case "capitalize": return Capitalize(Str(v));
            case "title": return Title(Str(v));
            case "upper": return Str(v).ToUpperInvariant();
            case "lower": return Str(v).ToLowerInvariant();
            case "string": return Str(v);
            case "safe": return v;
            case "int": return v is string text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double sd) ? (long)sd : IsNumber(v) ? Int(v) : 0L;
            case "float": return IsNumber(v) ? ToDouble(v) : v is string fs && double.TryParse(fs, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) ? f : 0.0;
            case "abs": return v is double d ? Math.Abs(d) : Int(v) is var a and not long.MinValue ? Math.Abs(a) : throw new JinjaException("abs overflows 64 bits");
            case "default" or "d":
            {
                bool boolean = args.Count > 1 ? Truthy(args[1]) : kw.TryGetValue("boolean", out object? b) && Truthy(b);
                bool use = v is JinjaUndefined || (boolean && !Truthy(v));
                return use ? args.Count > 0 ? args[0] : "" : v;
            }

            case "join":
                return Limit(string.Join(args.Count > 0 ? Str(args[0]) : "", Iterate(v).Select(x =>
                    kw.TryGetValue("attribute", out object? a) ? Str(GetItem(x, a)) : Str(x))));
            case "first": return Iterate(v).FirstOrDefault(JinjaUndefined.Instance);
            case "last": return v is string ls ? GetItem(ls, -1L) : Iterate(v).LastOrDefault(JinjaUndefined.Instance);
            case "list": return Iterate(v).ToList();
            case "reverse": return v is string rs ? string.Concat(EnumerateRunes(rs).Reverse()) : Iterate(v).Reverse().ToList();
            case "replace": return Replace(Str(v), Str(Needs(args, 2, name)[0]), Str(args[1]));
            case "items":
                return v is IDictionary<string, object?> d2
                    ? d2.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList()
                    : throw new JinjaException($"{TypeName(v)} has no items");
            case "selectattr" or "rejectattr":
            {
                if (args.Count == 0)
                {
                    throw new JinjaException($"{name} needs an attribute");
                }

                string attribute = Str(args[0]);
                bool keep = name == "selectattr";
                return Iterate(v).Where(x =>
                {
                    object? value = GetItem(x, attribute);
                    bool passes = args.Count > 1 ? ApplyTest(Str(args[1]), value, args.Skip(2).ToList()) : Truthy(value);
                    return passes == keep;
                }).ToList();
            }

            case "map":
                if (kw.TryGetValue("attribute", out object? attr))
                {
                    return Iterate(v).Select(x => GetItem(x, attr)).ToList();
                }

                if (args.Count > 0)
                {
                    string filter = Str(args[0]);
                    return Iterate(v).Select(x => ApplyFilter(filter, x, args.Skip(1).ToList(), [])).ToList();
                }

                throw new JinjaException("map needs attribute= or a filter name");
            default:
                throw new JinjaException($"unsupported filter '{name}'");
        }
    }

    /// <summary>
    /// The tests: defined, undefined, none, string, number, integer, float, boolean, true, false, mapping, iterable,
    /// sequence, callable, equalto / eq / ==, ne / !=, lt, gt, le, ge, even, odd, divisibleby, in.
    /// </summary>
    private static bool ApplyTest(string name, object? v, List<object?> args) => name switch
    {
        "defined" => v is not JinjaUndefined,
        "undefined" => v is JinjaUndefined,
        "none" => v is null,
        "string" => v is string,
        "number" => v is long or double,
        "integer" => v is long,
        "float" => v is double,
        "boolean" => v is bool,
        "true" => v is true,
        "false" => v is false,
        "mapping" => v is IDictionary<string, object?>,
        "iterable" => v is string or List<object?> or IDictionary<string, object?>,
        "sequence" => v is string or List<object?> or IDictionary<string, object?>,
        "callable" => v is JinjaCallable,
        "equalto" or "eq" or "==" or "sameas" => PyEquals(v, Arg(args, name)),
        "ne" or "!=" => !PyEquals(v, Arg(args, name)),
        "lt" or "lessthan" => Compare(v, Arg(args, name)) < 0,
        "gt" or "greaterthan" => Compare(v, Arg(args, name)) > 0,
        "le" => Compare(v, Arg(args, name)) <= 0,
        "ge" => Compare(v, Arg(args, name)) >= 0,
        "even" => Int(v) % 2 == 0,
        "odd" => Int(v) % 2 != 0,
        "divisibleby" => Int(Arg(args, name)) != 0 && Int(v) % Int(Arg(args, name)) == 0,
        "in" => (bool)Binary("in", v, Arg(args, name))!,
        _ => throw new JinjaException($"unsupported test '{name}'"),
    };

    private static object? Arg(List<object?> args, string test) =>
        args.Count > 0 ? args[0] : throw new JinjaException($"test '{test}' needs an argument");

    /// <summary>Python's json.dumps as transformers' tojson calls it (ensure_ascii off, keys in order).</summary>
    private static string ToJson(object? v, int? indent, int depth)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack(); // a namespace may contain itself
        string Pad(int d) => indent is int n ? "\n" + new string(' ', n * d) : "";
        string itemSeparator = indent is null ? ", " : ",";
        switch (v)
        {
            case null or JinjaUndefined: return "null";
            case bool b: return b ? "true" : "false";
            case long i: return i.ToString(CultureInfo.InvariantCulture);
            case double d: return PyFloat(d);
            case string s: return JsonString(s);
            case List<object?> l:
                return l.Count == 0 ? "[]"
                    : "[" + string.Join(itemSeparator, l.Select(x => Pad(depth + 1) + ToJson(x, indent, depth + 1))) + Pad(depth) + "]";
            case IDictionary<string, object?> m:
                return m.Count == 0 ? "{}"
                    : "{" + string.Join(itemSeparator, m.Select(kv => Pad(depth + 1) + JsonString(kv.Key) + ": " + ToJson(kv.Value, indent, depth + 1))) +
                      Pad(depth) + "}";
            default: return JsonString(Str(v));
        }
    }

    private static string JsonString(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }
}
