using System.Globalization;
using System.Text;

namespace BitNative.Trainer.Plot;

/// <summary>One row of a run's log.csv.</summary>
internal sealed record LogRow(int Step, long Tokens, float Loss, float? ValidationLoss);

/// <summary>
/// Draws the loss curve of a run as SVG (rendered to PNG with rsvg-convert by build/train-default-model.sh): training
/// loss per step (faint) and its moving average, held-out loss at each evaluation, against tokens seen.
/// </summary>
internal static class LossCurveSvg
{
    private const int Width = 960, Height = 540, Left = 80, Right = 30, Top = 50, Bottom = 70;

    public static List<LogRow> ReadLog(string path) =>
        File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(line =>
        {
            string[] f = line.Split(',');
            float? validation = f[5].Length > 0 ? float.Parse(f[5], CultureInfo.InvariantCulture) : null;
            return new LogRow(int.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture),
                float.Parse(f[3], CultureInfo.InvariantCulture), validation);
        }).ToList();

    public static string Render(IReadOnlyList<LogRow> rows, string title)
    {
        if (rows.Count == 0)
        {
            throw new InvalidDataException("The log has no rows.");
        }

        double xMax = rows[^1].Tokens / 1e6;
        double yMin = Math.Floor(Math.Min(rows.Min(r => r.Loss), rows.Where(r => r.ValidationLoss is not null).Select(r => r.ValidationLoss!.Value).DefaultIfEmpty(99).Min()) - 0.2);
        double yMax = Math.Ceiling(Math.Min(rows.Max(r => r.Loss), yMin + 6));
        double X(double tokensM) => Left + (Width - Left - Right) * tokensM / xMax;
        double Y(double loss) => Top + (Height - Top - Bottom) * (yMax - Math.Clamp(loss, yMin, yMax)) / (yMax - yMin);
        string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"14\">\n");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"30\" text-anchor=\"middle\" font-size=\"18\">{Escape(title)}</text>\n");

        for (double y = yMin; y <= yMax + 1e-9; y += 0.5) // horizontal grid and y labels
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{F(Y(y))}\" y2=\"{F(Y(y))}\" stroke=\"#e4e4e4\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 8}\" y=\"{F(Y(y) + 5)}\" text-anchor=\"end\">{y:F1}</text>\n");
        }

        double step = NiceStep(xMax);
        for (double x = 0; x <= xMax + 1e-9; x += step) // vertical grid and x labels
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(x))}\" x2=\"{F(X(x))}\" y1=\"{Top}\" y2=\"{Height - Bottom}\" stroke=\"#e4e4e4\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(X(x))}\" y=\"{Height - Bottom + 22}\" text-anchor=\"middle\">{x:0.##}</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{Width - Left - Right}\" height=\"{Height - Top - Bottom}\" fill=\"none\" stroke=\"#444\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 20}\" text-anchor=\"middle\">tokens seen (millions)</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(24 {(Top + Height - Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\">cross-entropy (nats / token)</text>\n");

        svg.Append(Polyline(rows.Select(r => (X(r.Tokens / 1e6), Y(r.Loss))), "#9ecae1", 1));
        svg.Append(Polyline(MovingAverage(rows, 25).Select(p => (X(p.TokensM), Y(p.Loss))), "#08519c", 2.5));
        var validation = rows.Where(r => r.ValidationLoss is not null).Select(r => (X(r.Tokens / 1e6), Y(r.ValidationLoss!.Value))).ToList();
        svg.Append(Polyline(validation, "#d94801", 2.5));
        foreach (var (x, y) in validation)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{F(x)}\" cy=\"{F(y)}\" r=\"4\" fill=\"#d94801\"/>\n");
        }

        int lx = Width - Right - 300, ly = Top + 25;
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{lx}\" x2=\"{lx + 30}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"#08519c\" stroke-width=\"2.5\"/><text x=\"{lx + 40}\" y=\"{ly + 5}\">training loss (25-step average)</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{lx}\" x2=\"{lx + 30}\" y1=\"{ly + 24}\" y2=\"{ly + 24}\" stroke=\"#d94801\" stroke-width=\"2.5\"/><text x=\"{lx + 40}\" y=\"{ly + 29}\">held-out loss (ternary)</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string Polyline(IEnumerable<(double X, double Y)> points, string color, double width) =>
        $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"{width.ToString(CultureInfo.InvariantCulture)}\" points=\"" +
        string.Join(' ', points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.X:F1},{p.Y:F1}"))) + "\"/>\n";

    private static IEnumerable<(double TokensM, double Loss)> MovingAverage(IReadOnlyList<LogRow> rows, int window)
    {
        double sum = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            sum += rows[i].Loss;
            if (i >= window)
            {
                sum -= rows[i - window].Loss;
            }

            yield return (rows[i].Tokens / 1e6, sum / Math.Min(i + 1, window));
        }
    }

    private static double NiceStep(double range)
    {
        // About 4 to 8 grid lines at 1, 2 or 5 times a power of ten.
        double raw = range / 8, magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw))), ratio = raw / magnitude;
        return magnitude * (ratio < 2 ? 2 : ratio < 5 ? 5 : 10);
    }

    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
