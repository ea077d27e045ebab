using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MySqlConnector;

namespace Seckill.Web.Tests.Infrastructure;

/// <summary>
/// The real servers integration tests run against: one <c>redis-server</c> (AOF on) and one
/// <c>mariadbd</c>, started on first use on free loopback ports with throwaway data directories,
/// shared by the whole test run and stopped when it ends. Tests that restart or stop a server
/// start their own with <see cref="RedisServer.Start"/> / <see cref="MariaDbServer.Create"/>.
/// </summary>
public static class TestServers
{
    // Never disposed: their processes are killed at exit like every launched process, and their
    // directories go with the test host (TestJanitor).
    private static readonly Lazy<RedisServer> SharedRedis = new(() => RedisServer.Start(databases: 4096));
    private static readonly Lazy<MariaDbServer> SharedMariaDb = new(() => MariaDbServer.Create());

    public static RedisServer Redis => SharedRedis.Value;

    public static MariaDbServer MariaDb => SharedMariaDb.Value;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static bool IsRoot => Environment.UserName == "root";

    /// <summary>Starts a server process; it is killed when the test run ends, whatever happens (<see cref="TestJanitor"/>).</summary>
    /// <param name="readyLine">If given, returns only once the server has printed a line containing it.</param>
    internal static Process Launch(string file, IEnumerable<string> arguments, string logPath, string? readyLine = null)
    {
        // Debian puts mariadbd in /usr/sbin, which is not on every user's PATH.
        var path = File.Exists(Path.Combine("/usr/sbin", file)) ? Path.Combine("/usr/sbin", file) : file;
        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return Launch(start, logPath, readyLine);
    }

    /// <summary>
    /// Starts a process with its output appended to <paramref name="logPath"/>; killed when the test
    /// run ends. With <paramref name="readyLine"/>, waits (up to a minute) until the process prints
    /// it, and throws with the log if it exits or never does.
    /// </summary>
    internal static Process Launch(ProcessStartInfo start, string logPath, string? readyLine = null)
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        void Write(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (log)
            {
                log.WriteLine(line);
            }
            if (readyLine is not null && line.Contains(readyLine, StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"{start.FileName} exited"));
        if (!process.Start())
        {
            throw new InvalidOperationException($"{start.FileName} did not start");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // Exit handlers do not run when the test host is killed; the watchdog still does its job.
        TestJanitor.Guard(process);
        // Only the signal at exit: waiting here for each process to be reaped kept the test host
        // alive for seconds per server after the run had ended.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Signal(process);
        if (readyLine is not null)
        {
            try
            {
                if (!ready.Task.Wait(TimeSpan.FromMinutes(1)))
                {
                    throw new TimeoutException($"{start.FileName} printed no '{readyLine}' within a minute");
                }
            }
            catch (Exception e) when (e is AggregateException or TimeoutException)
            {
                Kill(process);
                throw new InvalidOperationException($"{start.FileName} did not become ready. Log:\n{File.ReadAllText(logPath)}", e);
            }
        }
        return process;
    }

    private static void Signal(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }

    internal static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}

/// <summary>A <c>redis-server</c> process with AOF on, in its own data directory.</summary>
public sealed class RedisServer : IDisposable
{
    private readonly int _databases;
    private readonly string _fsync;
    private Process _process;

    private RedisServer(int port, string directory, int databases, string fsync)
    {
        Port = port;
        Directory = directory;
        _databases = databases;
        _fsync = fsync;
        _process = Run();
    }

    public int Port { get; }

    public string Directory { get; }

    /// <summary>Starts a new server. <paramref name="fsync"/> <c>always</c> makes a kill -9 of Redis lose nothing.</summary>
    public static RedisServer Start(int databases = 16, string fsync = "everysec") =>
        new(TestServers.FreePort(), TestJanitor.NewDirectory("redis"), databases, fsync);

    /// <summary>The setting value for database <paramref name="database"/> of this server.</summary>
    public string Configuration(int database = 0) => $"127.0.0.1:{Port},defaultDatabase={database}";

    private Process Run()
    {
        var log = Path.Combine(Directory, "redis.log");
        var process = TestServers.Launch("redis-server",
        [
            "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", Directory, "--databases", _databases.ToString(),
            "--appendonly", "yes", "--appendfsync", _fsync, "--save", "", "--protected-mode", "no",
        ], log, readyLine: "Ready to accept connections");
        return process;
    }

    /// <summary>Kills the server (SIGKILL) and starts it again on the same port and data: what survives is what AOF kept.</summary>
    public void Restart()
    {
        Kill();
        _process = Run();
    }

    /// <summary>SIGKILL, no chance to save anything.</summary>
    public void Kill() => TestServers.Kill(_process);

    /// <summary>Bytes in the AOF file the server is appending its writes to now.</summary>
    public long AofLength => new FileInfo(IncrementalAof()).Length;

    /// <summary>
    /// Kills the server (SIGKILL) and starts it again from the first <paramref name="keep"/> bytes
    /// of its AOF: a Redis that lost its last writes (an <c>everysec</c> fsync cut short by a host
    /// crash, or writes postponed behind a slow disk), which replays a prefix of what it answered.
    /// </summary>
    public void RestartWithoutWritesAfter(long keep)
    {
        Kill();
        using (var aof = new FileStream(IncrementalAof(), FileMode.Open, FileAccess.Write))
        {
            aof.SetLength(Math.Min(keep, aof.Length));
        }
        _process = Run();
    }

    // Redis 7 appends to the "incr" file its manifest names (the last one, after a rewrite).
    private string IncrementalAof()
    {
        var folder = Path.Combine(Directory, "appendonlydir");
        var name = File.ReadAllLines(Path.Combine(folder, "appendonly.aof.manifest"))
            .Last(line => line.EndsWith(" type i", StringComparison.Ordinal)).Split(' ')[1];
        return Path.Combine(folder, name);
    }

    /// <summary>Sends one command (space-separated words) and returns the raw reply.</summary>
    public string Command(string command)
    {
        using var client = new TcpClient();
        client.Connect(IPAddress.Loopback, Port);
        using var stream = client.GetStream();
        var words = command.Split(' ');
        var request = new StringBuilder($"*{words.Length}\r\n");
        foreach (var word in words)
        {
            request.Append($"${Encoding.UTF8.GetByteCount(word)}\r\n{word}\r\n");
        }
        stream.Write(Encoding.UTF8.GetBytes(request.ToString()));
        var buffer = new byte[64 * 1024];
        var read = stream.Read(buffer);
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    public void Dispose()
    {
        Kill();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// A <c>mariadbd</c> process on its own data directory (made by <c>mariadb-install-db</c>).
/// It runs with <c>--skip-grant-tables</c>: any user name connects, no passwords in tests.
/// </summary>
public sealed class MariaDbServer : IDisposable
{
    private Process? _process;
    private int _databases;

    private MariaDbServer(int port, string directory)
    {
        Port = port;
        Directory = directory;
        var log = Path.Combine(directory, "install.log");
        var install = TestServers.Launch("mariadb-install-db",
        [
            "--no-defaults", $"--datadir={DataDirectory}", "--auth-root-authentication-method=normal", "--skip-test-db",
            .. TestServers.IsRoot ? ["--user=root"] : Array.Empty<string>(),
        ], log);
        install.WaitForExit();
        if (install.ExitCode != 0)
        {
            throw new InvalidOperationException($"mariadb-install-db failed:\n{File.ReadAllText(log)}");
        }
        Start();
    }

    public int Port { get; }

    public string Directory { get; }

    private string DataDirectory => Path.Combine(Directory, "data");

    public static MariaDbServer Create() =>
        new(TestServers.FreePort(), TestJanitor.NewDirectory("mariadb"));

    /// <summary>Starts the server on its port and data (again, after <see cref="Stop"/>).</summary>
    public void Start()
    {
        var log = Path.Combine(Directory, "mariadbd.log");
        _process = TestServers.Launch("mariadbd",
        [
            "--no-defaults", $"--datadir={DataDirectory}", $"--port={Port}", "--bind-address=127.0.0.1",
            $"--socket={Path.Combine(Directory, "mariadbd.sock")}", $"--pid-file={Path.Combine(Directory, "mariadbd.pid")}",
            "--skip-grant-tables", "--skip-log-bin", "--max-connections=2000", "--innodb-buffer-pool-size=128M",
            // Tests kill the service, never this server's host: the OS keeps what a commit wrote.
            "--innodb-flush-log-at-trx-commit=2",
            .. TestServers.IsRoot ? ["--user=root"] : Array.Empty<string>(),
        ], log, readyLine: "ready for connections");
    }

    /// <summary>Stops the server (SIGKILL): clients get "connection refused" until <see cref="Start"/>.</summary>
    public void Stop()
    {
        if (_process is not null)
        {
            TestServers.Kill(_process);
        }
    }

    /// <summary>A new empty database on this server; returns its connection string.</summary>
    public string CreateDatabase()
    {
        var name = $"seckill_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        using var connection = new MySqlConnection(ConnectionString(null));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE {name}";
        command.ExecuteNonQuery();
        return ConnectionString(name);
    }

    /// <summary>An open connection to <paramref name="database"/> on this server.</summary>
    public MySqlConnection Open(string database)
    {
        var connection = new MySqlConnection(ConnectionString(database));
        connection.Open();
        return connection;
    }

    public string ConnectionString(string? database) =>
        $"Server=127.0.0.1;Port={Port};User Id=seckill;Password=;SslMode=None;{(database is null ? "" : $"Database={database};")}";

    public void Dispose()
    {
        Stop();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
