namespace Seckill.Load;

public static class LoadProgram
{
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

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
        // A load run's answers run on the socket engine's threads instead of being handed to the
        // thread pool: one thread woken per answer fewer. The tool never blocks there (it records
        // and sends again), and on this 2-core machine every wake-up of the tool is CPU the
        // measured service does not get (BENCHMARKS.md section 39). Read once, at the first socket
        // operation, so it is set before any; an explicit value in the environment wins. The
        // writer benchmark above keeps the runtime's default: its database calls are not the
        // tool's traffic.
        if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletions, "1");
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
