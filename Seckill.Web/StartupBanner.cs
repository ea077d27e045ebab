using System.Globalization;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Seckill.Web.Cluster;
using Seckill.Web.Jobs;
using Seckill.Web.Sales;
using Seckill.Web.Storage;

namespace Seckill.Web;

/// <summary>
/// One block, logged once the server listens: what this instance is (its mode, its stores and
/// whether they answered), where to reach it, and in Development the demo sale's lines to paste.
/// It names every feature, as <c>Program.cs</c> does, so it lives beside it.
/// </summary>
/// <remarks>
/// Logged, not written to the console directly: in Production the console is JSON lines
/// (<see cref="Http.HostSetup.AddConsoleLogs"/>), which a bare text block would break, and the
/// logger keeps the block in order with the other startup lines.
/// </remarks>
public static partial class StartupBanner
{
    public static void ShowWhenListening(WebApplication app)
    {
        // ApplicationStarted runs its callbacks last registered first: registered here, before the
        // host starts, the banner comes after the host's own "Now listening on" lines.
        app.Lifetime.ApplicationStarted.Register(() => _ = LogAsync(app));
    }

    private static async Task LogAsync(WebApplication app)
    {
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StartupBanner).FullName!);
        try
        {
            var url = BaseUrl(app.Urls);
            var storage = StorageDescription.Of(app.Services);
            var instance = app.Services.GetRequiredService<IOptions<InstanceOptions>>().Value.InstanceId;
            // The stores were reached at startup (it fails otherwise); asking again shows it.
            var health = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(app.Lifetime.ApplicationStopping);
            var demo = app.Services.GetRequiredService<DemoSale>().Lines(url, Random.Shared.NextInt64(1_000, 1_000_000));
            Listening(log, instance, url, storage.Mode, Details(url, storage, health, demo, DocsUrls(app, url)));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The banner is a convenience: failing to make it must not stop a service that runs.
            BannerFailed(log, e);
        }
    }

    /// <summary>The API description's URLs, as the settings serve them (README "API reference").</summary>
    private static string DocsUrls(WebApplication app, string url)
    {
        var docs = app.Services.GetRequiredService<IOptions<Docs.DocsOptions>>().Value;
        return !docs.OpenApi ? "off (Docs:OpenApi)"
            : docs.ScalarServed(app.Environment) ? $"{url}{Docs.DocsSetup.DocumentPath}, {url}{Docs.DocsSetup.ScalarPath}"
            : $"{url}{Docs.DocsSetup.DocumentPath} (the Scalar page: Docs:Scalar)";
    }

    /// <summary>The block under the first line; public for its tests.</summary>
    public static string Details(string url, StorageDescription storage, HealthReport health, IReadOnlyList<string> demo, string docs)
    {
        var s = new StringBuilder();
        foreach (var store in storage.Stores)
        {
            var reached = health.Entries.TryGetValue(store.Check, out var entry) && entry.Status == HealthStatus.Healthy
                ? "reached" : $"NOT reached ({entry.Description ?? entry.Status.ToString()})";
            Line(s, store.What, $"{store.Where}: {reached}");
        }
        var dashboard = url + JobsSetup.DashboardPath;
        Line(s, "API", $"{url}/api/sales/{{id}}, {url}/api/orders/{{id}} … (README \"API\")");
        Line(s, "jobs dashboard", $"{dashboard}, its sales page {dashboard}{Jobs.Dashboard.SalesPage.Path} (admins only: README \"Jobs and their dashboard\")");
        Line(s, "metrics", $"{url}{Ops.PrometheusApi.Path} (Prometheus), {url}/api/admin/metrics (JSON); admins only (README \"Metrics and monitoring\")");
        Line(s, "API docs", docs);
        Line(s, "health", $"{url}/health/live, {url}/health/ready");
        if (demo.Count > 0)
        {
            s.Append('\n');
            foreach (var line in demo)
            {
                s.Append('\n').Append(line);
            }
        }
        return s.ToString();
    }

    private static void Line(StringBuilder s, string name, string text) =>
        s.Append(CultureInfo.InvariantCulture, $"\n  {name,-16} {text}");

    /// <summary>
    /// The first address the server listens on, as a client would type it: a wildcard host
    /// (<c>http://+:5000</c>, <c>0.0.0.0</c>, <c>[::]</c>) is this machine, <c>localhost</c>.
    /// </summary>
    public static string BaseUrl(IEnumerable<string> addresses)
    {
        var address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal)) ?? addresses.FirstOrDefault() ?? "http://localhost:5000";
        if (!Uri.TryCreate(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal),
                UriKind.Absolute, out var uri))
        {
            return address.TrimEnd('/');
        }
        var host = uri.Host is "0.0.0.0" or "[::]" ? "localhost" : uri.Host;
        return $"{uri.Scheme}://{host}:{uri.Port}";
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Seckill instance {InstanceId} is listening on {Url} ({Mode} mode){Details}")]
    private static partial void Listening(ILogger log, int instanceId, string url, string mode, string details);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "The startup banner could not be made")]
    private static partial void BannerFailed(ILogger log, Exception error);
}
