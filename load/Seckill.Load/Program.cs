namespace Seckill.Load;

public static class LoadProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] is "-h" or "--help")
        {
            Console.WriteLine(LoadOptions.Usage);
            return 0;
        }
        if (args.Length > 0 && args[0] == "writer")
        {
            return await WriterBench.WriterBenchmark.MainAsync(args[1..]);
        }
        LoadOptions options;
        try
        {
            options = LoadOptions.Parse(args);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"Seckill.Load: {e.Message}\n\n{LoadOptions.Usage}");
            return 64;
        }
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var report = await LoadRun.RunAsync(options, Console.Error, cancel.Token);
        Console.WriteLine(Reports.MarkdownReport.Render(report, timeline: false));
        foreach (var file in Reports.ReportFiles.Write(report, options.Output))
        {
            Console.WriteLine($"wrote {file}");
        }
        return report.ExitCode;
    }
}
