using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Seckill.Web.Tests.Infrastructure;

/// <summary>One series line of Prometheus' text format: <c>name{label="value",…} value</c>.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public bool Has(string label, string value) => Labels.TryGetValue(label, out var own) && own == value;
}

/// <summary>
/// A scrape of <c>/metrics</c>, parsed strictly: a line that is neither a comment nor a well-formed
/// series fails the parse, as it would fail Prometheus'.
/// </summary>
public sealed partial class PrometheusScrape
{
    private PrometheusScrape(IReadOnlyList<PrometheusSample> samples, IReadOnlyDictionary<string, string> types)
    {
        Samples = samples;
        Types = types;
    }

    public IReadOnlyList<PrometheusSample> Samples { get; }

    /// <summary>Metric family name to its <c># TYPE</c> (counter, gauge, histogram).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public IEnumerable<PrometheusSample> Named(string name) => Samples.Where(sample => sample.Name == name);

    public IReadOnlySet<string> Names => Samples.Select(sample => sample.Name).ToHashSet();

    public static PrometheusScrape Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        var types = new Dictionary<string, string>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                continue;
            }
            if (TypeLine().Match(line) is { Success: true } type)
            {
                Assert.True(types.TryAdd(type.Groups["name"].Value, type.Groups["type"].Value), $"a second TYPE line for {type.Groups["name"].Value}");
                continue;
            }
            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a Prometheus series line: '{line}'");
            samples.Add(new PrometheusSample(match.Groups["name"].Value, Labels(match.Groups["labels"].Value, line), Number(match.Groups["value"].Value, line)));
        }
        return new PrometheusScrape(samples, types);
    }

    private static Dictionary<string, string> Labels(string text, string line)
    {
        var labels = new Dictionary<string, string>();
        var at = 0;
        while (at < text.Length)
        {
            var label = LabelPair().Match(text, at);
            Assert.True(label.Success && label.Index == at, $"bad labels in '{line}'");
            Assert.True(labels.TryAdd(label.Groups["name"].Value, Unescape(label.Groups["value"].Value)), $"a label twice in '{line}'");
            at += label.Length;
            if (at < text.Length)
            {
                Assert.True(text[at] == ',', $"bad labels in '{line}'");
                at++;
            }
        }
        return labels;
    }

    private static string Unescape(string value)
    {
        var text = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                i++;
                text.Append(value[i] == 'n' ? '\n' : value[i]);
            }
            else
            {
                text.Append(value[i]);
            }
        }
        return text.ToString();
    }

    private static double Number(string text, string line) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) => value,
        _ => throw new Xunit.Sdk.XunitException($"not a number in '{line}'"),
    };

    /// <summary>
    /// The metric names a Grafana dashboard's PromQL reads: every panel target's <c>expr</c> and
    /// every variable's <c>label_values(metric, label)</c>. Strings, label matchers, ranges and
    /// grouping clauses are removed; what remains is function names (followed by <c>(</c>),
    /// keywords, and the metric names.
    /// </summary>
    public static IReadOnlySet<string> MetricsQueriedBy(JsonElement dashboard)
    {
        var names = new HashSet<string>();
        foreach (var expression in Expressions(dashboard))
        {
            var text = StringLiteral().Replace(expression, "\"\"");
            text = Matchers().Replace(text, " ");
            text = Ranges().Replace(text, " ");
            text = Grouping().Replace(text, " ");
            foreach (Match token in Identifier().Matches(text))
            {
                var name = token.Groups["name"].Value;
                if (!token.Groups["call"].Success && !Keywords.Contains(name))
                {
                    names.Add(name);
                }
            }
        }
        foreach (var variable in dashboard.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (variable.TryGetProperty("definition", out var definition) && LabelValues().Match(definition.GetString()!) is { Success: true } query)
            {
                names.Add(query.Groups["metric"].Value);
            }
        }
        return names;
    }

    private static readonly HashSet<string> Keywords = ["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset"];

    private static IEnumerable<string> Expressions(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name == "expr" && property.Value.ValueKind == JsonValueKind.String)
                {
                    yield return property.Value.GetString()!;
                }
                foreach (var inner in Expressions(property.Value))
                {
                    yield return inner;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (var inner in Expressions(item))
                {
                    yield return inner;
                }
            }
        }
    }

    [GeneratedRegex(@"^# TYPE (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?<type>counter|gauge|histogram|summary|untyped)$")]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>([^""}]|""([^""\\]|\\.)*"")*)\})? (?<value>\S+)$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<name>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>([^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();

    [GeneratedRegex(@"""([^""\\]|\\.)*""")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(?<![a-zA-Z0-9_:.$])(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<call>\s*\()?")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"label_values\(\s*(?<metric>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*,")]
    private static partial Regex LabelValues();
}
