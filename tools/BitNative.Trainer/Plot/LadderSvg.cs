using System.Globalization;
using System.Text;

namespace BitNative.Trainer.Plot;

/// <summary>One rung of the precision ladder: a model file's projections at some bits per weight, and its perplexity.</summary>
/// <param name="Name">The type (f16, q4_k, ... or "ternary QAT").</param>
/// <param name="Bits">Bits per projection weight.</param>
/// <param name="Perplexity">Held-out perplexity.</param>
/// <param name="Trained">True for a model trained at that precision (QAT), false for post-training quantization of the float model.</param>
internal sealed record LadderPoint(string Name, double Bits, double Perplexity, bool Trained);

/// <summary>
/// Draws docs/QUALITY.md's precision ladder as SVG: held-out perplexity against bits per projection weight (both on log
/// scales), the float model quantized after training as one series, the model trained ternary from scratch as another,
/// and the float model's own perplexity as a dashed line.
/// </summary>
internal static class LadderSvg
{
    private const int Width = 960, Height = 560, Left = 90, Right = 40, Top = 60, Bottom = 70;

    /// <summary>Reads name,bits,ppl,kind rows (kind: ptq or qat) after a header line.</summary>
    public static List<LadderPoint> Read(string path) =>
        File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(line =>
        {
            string[] f = line.Split(',');
            return new LadderPoint(f[0], double.Parse(f[1], CultureInfo.InvariantCulture), double.Parse(f[2], CultureInfo.InvariantCulture),
                f[3].Trim() == "qat");
        }).ToList();

    public static string Render(IReadOnlyList<LadderPoint> points, string title)
    {
        if (points.Count == 0)
        {
            throw new InvalidDataException("The ladder has no rows.");
        }

        double xMin = 1, xMax = 22; // log2 axis: 1 .. 16 bits and room for the labels
        double baseline = points.Where(p => !p.Trained).OrderByDescending(p => p.Bits).First().Perplexity;
        double yMin = Math.Pow(10, Math.Floor(Math.Log10(points.Min(p => p.Perplexity)) * 4) / 4);
        double yMax = Math.Pow(10, Math.Ceiling(Math.Log10(points.Max(p => p.Perplexity)) * 4) / 4);
        double X(double bits) => Left + (Width - Left - Right) * Math.Log2(bits / xMin) / Math.Log2(xMax / xMin);
        double Y(double ppl) => Top + (Height - Top - Bottom) * Math.Log10(yMax / ppl) / Math.Log10(yMax / yMin);
        string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"14\">\n");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"30\" text-anchor=\"middle\" font-size=\"18\">{Escape(title)}</text>\n");
        foreach (double y in Ticks(yMin, yMax))
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{F(Y(y))}\" y2=\"{F(Y(y))}\" stroke=\"#e4e4e4\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 8}\" y=\"{F(Y(y) + 5)}\" text-anchor=\"end\">{y:0.#}</text>\n");
        }

        for (double x = 1; x <= 16; x *= 2)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(x))}\" x2=\"{F(X(x))}\" y1=\"{Top}\" y2=\"{Height - Bottom}\" stroke=\"#e4e4e4\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(X(x))}\" y=\"{Height - Bottom + 22}\" text-anchor=\"middle\">{x:0}</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{Width - Left - Right}\" height=\"{Height - Top - Bottom}\" fill=\"none\" stroke=\"#444\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 20}\" text-anchor=\"middle\">bits per projection weight (log scale)</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(24 {(Top + Height - Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\">held-out perplexity (log scale)</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{F(Y(baseline))}\" y2=\"{F(Y(baseline))}\" stroke=\"#08519c\" stroke-dasharray=\"6 4\"/>\n");

        // Labels go to the first of four places beside their point that overlaps no label, point or the legend.
        int legendX = Width - Right - 330, legendTop = Top + 10;
        var taken = new List<(double X0, double Y0, double X1, double Y1)> { (legendX, legendTop, Width - Right, legendTop + 70) };
        foreach (LadderPoint p in points)
        {
            taken.Add((X(p.Bits) - 6, Y(p.Perplexity) - 6, X(p.Bits) + 6, Y(p.Perplexity) + 6));
        }

        foreach (LadderPoint p in points.OrderBy(p => p.Bits))
        {
            double x = X(p.Bits), y = Y(p.Perplexity);
            string color = p.Trained ? "#d94801" : "#08519c";
            svg.Append(p.Trained
                ? string.Create(CultureInfo.InvariantCulture, $"<rect x=\"{F(x - 6)}\" y=\"{F(y - 6)}\" width=\"12\" height=\"12\" fill=\"{color}\"/>\n")
                : string.Create(CultureInfo.InvariantCulture, $"<circle cx=\"{F(x)}\" cy=\"{F(y)}\" r=\"5\" fill=\"{color}\"/>\n"));
            double width = 7.2 * p.Name.Length;
            (double X, double Y, string Anchor)[] places = [(x + 8, y - 8, "start"), (x + 8, y + 18, "start"), (x - 8, y - 8, "end"), (x - 8, y + 18, "end")];
            var (tx, ty, anchor) = places.FirstOrDefault(q => !taken.Any(b => Overlaps(b, Box(q.X, q.Y, q.Anchor, width))), places[0]);
            taken.Add(Box(tx, ty, anchor, width));
            svg.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{F(tx)}\" y=\"{F(ty)}\" text-anchor=\"{anchor}\" fill=\"{color}\" font-size=\"12\">{Escape(p.Name)}</text>\n");
        }

        int lx = legendX, legendY = legendTop + 15;
        svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{lx + 15}\" cy=\"{legendY}\" r=\"5\" fill=\"#08519c\"/><text x=\"{lx + 30}\" y=\"{legendY + 5}\">float model, quantized after training</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{lx + 9}\" y=\"{legendY + 18}\" width=\"12\" height=\"12\" fill=\"#d94801\"/><text x=\"{lx + 30}\" y=\"{legendY + 29}\">trained ternary from scratch (QAT)</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{lx}\" x2=\"{lx + 30}\" y1=\"{legendY + 48}\" y2=\"{legendY + 48}\" stroke=\"#08519c\" stroke-dasharray=\"6 4\"/><text x=\"{lx + 40}\" y=\"{legendY + 53}\">the float model itself</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static (double X0, double Y0, double X1, double Y1) Box(double x, double y, string anchor, double width) =>
        anchor == "start" ? (x, y - 12, x + width, y + 3) : (x - width, y - 12, x, y + 3);

    private static bool Overlaps((double X0, double Y0, double X1, double Y1) a, (double X0, double Y0, double X1, double Y1) b) =>
        a.X0 < b.X1 && b.X0 < a.X1 && a.Y0 < b.Y1 && b.Y0 < a.Y1;

    /// <summary>1, 1.5, 2, 3, 4, 5, 7 times powers of ten inside [min, max] (enough grid lines on a short log axis).</summary>
    private static IEnumerable<double> Ticks(double min, double max)
    {
        for (double decade = Math.Pow(10, Math.Floor(Math.Log10(min))); decade <= max; decade *= 10)
        {
            foreach (double m in new[] { 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0 })
            {
                if (decade * m >= min * 0.999 && decade * m <= max * 1.001)
                {
                    yield return decade * m;
                }
            }
        }
    }

    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
