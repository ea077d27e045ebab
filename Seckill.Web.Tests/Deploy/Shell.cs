using System.Diagnostics;
using System.Text;

namespace Seckill.Web.Tests.Deploy;

/// <summary>Runs the repository's deploy files and the programs they use (bash, nginx) as a user would.</summary>
internal static class Shell
{
    /// <summary>The repository's root (the folder of Seckill.sln).</summary>
    public static readonly string Repo = FindRepo();

    public static string Nginx => File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";

    /// <summary>Runs <paramref name="file"/> to its end (killed after <paramref name="within"/>): its exit code and its output and errors.</summary>
    public static (int Code, string Text) Run(string file, IEnumerable<string> arguments, TimeSpan within, Dictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var started = Start(file, arguments, environment, workingDirectory);
        using var process = started.Process;
        if (!process.WaitForExit(within))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {within}: {started.Text}");
        }
        process.WaitForExit();
        return (process.ExitCode, started.Text.ToString());
    }

    /// <summary>Starts <paramref name="file"/> in the repository (or <paramref name="workingDirectory"/>), its output and errors gathered in Text.</summary>
    public static (Process Process, StringBuilder Text) Start(string file, IEnumerable<string> arguments, Dictionary<string, string>? environment,
        string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory ?? Repo };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? [])
        {
            info.Environment[key] = value;
        }
        var text = new StringBuilder();
        var process = new Process { StartInfo = info };
        void Append(object _, DataReceivedEventArgs line)
        {
            if (line.Data is not null)
            {
                lock (text)
                {
                    text.AppendLine(line.Data);
                }
            }
        }
        process.OutputDataReceived += Append;
        process.ErrorDataReceived += Append;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, text);
    }

    private static string FindRepo()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Seckill.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("the repository root (Seckill.sln) was not found");
    }
}
