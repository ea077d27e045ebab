using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seckill.Load.Reports;

/// <summary>Writes report.md, report.html and report.json into the output folder.</summary>
public static class ReportFiles
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static IReadOnlyList<string> Write(Report report, string folder)
    {
        Directory.CreateDirectory(folder);
        var files = new (string Name, string Text)[]
        {
            ("report.md", MarkdownReport.Render(report)),
            ("report.html", HtmlReport.Render(report)),
            ("report.json", JsonSerializer.Serialize(report, Json)),
        };
        return [.. files.Select(f =>
        {
            var path = Path.Combine(folder, f.Name);
            File.WriteAllText(path, f.Text);
            return path;
        })];
    }
}
