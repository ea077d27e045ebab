using System.Globalization;
using System.Text;

namespace Seckill.Web.Ops;

/// <summary>
/// Prometheus' text exposition format (version 0.0.4): <c># HELP</c> and <c># TYPE</c> per metric,
/// then one <c>name{label="value",…} number</c> line per series.
/// </summary>
public static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Metric and label names allow <c>[a-zA-Z0-9_]</c> (not leading with a digit); anything else becomes <c>_</c>.</summary>
    public static string Sanitize(string name)
    {
        var builder = new StringBuilder(name.Length + 1);
        if (name.Length > 0 && char.IsAsciiDigit(name[0]))
        {
            builder.Append('_');
        }
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }
        return builder.ToString();
    }

    public static void AppendHeader(StringBuilder text, string name, string? help, StreamKind kind)
    {
        if (!string.IsNullOrEmpty(help))
        {
            text.Append("# HELP ").Append(name).Append(' ').Append(help.Replace("\\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal)).Append('\n');
        }
        text.Append("# TYPE ").Append(name).Append(' ').Append(kind switch
        {
            StreamKind.Counter => "counter",
            StreamKind.Histogram => "histogram",
            _ => "gauge",
        }).Append('\n');
    }

    /// <summary>One series line; <paramref name="le"/> is the bucket bound of a histogram's <c>_bucket</c> line.</summary>
    public static void AppendSample(StringBuilder text, string name, KeyValuePair<string, object?>[] tags, double value, string? le = null)
    {
        text.Append(name);
        if (tags.Length > 0 || le is not null)
        {
            text.Append('{');
            var first = true;
            foreach (var tag in tags)
            {
                AppendLabel(text, Sanitize(tag.Key), Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "", ref first);
            }
            if (le is not null)
            {
                AppendLabel(text, "le", le, ref first);
            }
            text.Append('}');
        }
        text.Append(' ').Append(Number(value)).Append('\n');
    }

    public static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static void AppendLabel(StringBuilder text, string name, string value, ref bool first)
    {
        if (!first)
        {
            text.Append(',');
        }
        first = false;
        text.Append(name).Append("=\"");
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append(@"\\"),
                '"' => text.Append("\\\""),
                '\n' => text.Append(@"\n"),
                _ => text.Append(c),
            };
        }
        text.Append('"');
    }
}
