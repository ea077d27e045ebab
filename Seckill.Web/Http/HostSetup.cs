using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace Seckill.Web.Http;

public static class HostSetup
{
    /// <summary>
    /// Loads <c>appsettings.json</c> from the binary's folder (it lives at the repository root and
    /// is copied next to the binary) as the lowest-precedence source, so environment variables
    /// (<c>A__B</c>) and command-line arguments override it, whatever the working directory.
    /// </summary>
    public static WebApplicationBuilder AddRepositorySettings(this WebApplicationBuilder builder)
    {
        builder.Configuration.Sources.Insert(0, SettingsFile());
        // Kestrel's own cap on bodies; our JSON reader refuses far smaller ones (JsonBody.MaxBytes).
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 1024 * 1024);
        // A flash sale opens thousands of connections in its first second. Kestrel's default
        // listen backlog (512) overflows; the kernel then drops the SYNs and each of those buyers
        // waits for the client's retransmit, a whole second (BENCHMARKS.md section 11). The kernel
        // caps it at net.core.somaxconn (4096 on current Linux). Section `Sockets` overrides it.
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions>(sockets =>
        {
            sockets.Backlog = 4096;
            // A request's code runs on the thread that read it instead of being handed to the
            // thread pool once more: one thread woken per request fewer, and on two cores shared
            // with Redis, MariaDB and the buyers' traffic every wake-up is CPU a request does not
            // get (BENCHMARKS.md section 39). "Unsafe" because code that blocks then holds the
            // reading thread; that thread is still a thread-pool thread (the runtime's own socket
            // completions are not inlined), so blocking costs what it always did.
            sockets.UnsafePreferInlineScheduling = true;
            builder.Configuration.GetSection("Sockets").Bind(sockets);
        });
        return builder;
    }

    /// <summary>
    /// Console logs as JSON lines in Production (one object per entry, scopes included: the
    /// purchase path's <c>RequestPath</c>, <c>InstanceId</c> and <c>SaleId</c>),
    /// the readable simple format elsewhere. <c>Logging:Console:FormatterName</c> (<c>json</c>,
    /// <c>simple</c>, <c>systemd</c>) chooses explicitly, in any environment.
    /// </summary>
    /// <remarks>
    /// Including scopes costs no request anything: ASP.NET Core's request scope is off in the
    /// shipped settings (category <c>Microsoft.AspNetCore.Hosting.Diagnostics</c>; on, it is made
    /// for every request whether or not a formatter prints it), and the purchase path opens its
    /// own only when it writes a line (<c>Purchasing/PurchaseLog</c>).
    /// </remarks>
    public static WebApplicationBuilder AddConsoleLogs(this WebApplicationBuilder builder)
    {
        if (builder.Environment.IsProduction() && string.IsNullOrEmpty(builder.Configuration[FormatterNameKey]))
        {
            builder.Logging.AddJsonConsole(json =>
            {
                json.IncludeScopes = true;
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            });
        }
        return builder;
    }

    private const string FormatterNameKey = "Logging:Console:FormatterName";

    /// <summary>
    /// Validates every <c>ValidateOnStart</c> options class right after the host is built, before
    /// anything runs or binds a port. The host would do it in <c>StartAsync</c> anyway, but by then
    /// <c>Run</c> disposes the host as it fails, and a test host that asks it for services at that
    /// moment sees "object disposed" instead of the message naming the bad key.
    /// </summary>
    public static WebApplication ValidateSettings(this WebApplication app)
    {
        app.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
        return app;
    }

    /// <summary>The same settings for the sub-commands that run without a host.</summary>
    public static IConfiguration LoadSettings(string[] args) =>
        new ConfigurationBuilder().Add(SettingsFile()).AddEnvironmentVariables().AddCommandLine(args.Skip(1).Where(a => a.Contains('=')).ToArray()).Build();

    /// <summary>appsettings.json beside the binary (the repository root's, copied at build).</summary>
    internal static JsonConfigurationSource SettingsFile() => new()
    {
        Path = "appsettings.json",
        Optional = true,
        FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
    };
}
