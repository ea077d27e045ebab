using System.Globalization;

namespace Seckill.Load;

/// <summary>The tool's command line. Every option has a default that runs a small flash sale
/// against a service on 127.0.0.1:5000 started with no configuration.</summary>
public sealed record LoadOptions
{
    public Uri Target { get; init; } = new("http://127.0.0.1:5000");
    public string Scenario { get; init; } = "flash-sale";
    public double Rate { get; init; } = 1000;
    /// <summary>Arrivals to schedule (in flash-sale: users, each trying once).</summary>
    public long Requests { get; init; } = 20_000;
    public TimeSpan Duration { get; init; } = TimeSpan.FromHours(1);
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);
    public long Stock { get; init; } = 1_000;
    public double PayShare { get; init; } = 0.5;
    public int Addresses { get; init; } = 1024;
    public int ConnectionsPerAddress { get; init; } = 8;
    public int BotIdentities { get; init; } = 50;
    public int BotAddresses { get; init; } = 5;
    public int MaxInFlight { get; init; } = 20_000;
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromMinutes(2);
    public string SigningKey { get; init; } = Environment.GetEnvironmentVariable("Auth__SigningKey") ?? Drive.TokenMint.DevelopmentKey;
    public string Issuer { get; init; } = "seckill";
    public string Audience { get; init; } = "seckill";
    public string Output { get; init; } = "load-report";
    public string Label { get; init; } = "";
    /// <summary>The purchase p99 the verdict compares with (a flash sale's buyers expect an answer within it); reported, not enforced.</summary>
    public double P99ObjectiveMs { get; init; } = 50;
    public double? MaxP99Ms { get; init; }
    public double? MinRate { get; init; }
    public double? MaxErrorRate { get; init; }
    public bool Verify { get; init; } = true;
    /// <summary>
    /// Leave the sale running after the run. By default it is ended: a benchmark's sale would
    /// otherwise run for six hours, and every running sale adds to a cluster's background jobs,
    /// so that each run would meet a busier cluster than the one before.
    /// </summary>
    public bool KeepSale { get; init; }

    public const string Usage = """
        Seckill.Load — drives a flash sale against a running Seckill service, measures it, and
        checks afterwards that nothing was oversold or lost.

        usage: dotnet run --project load/Seckill.Load -c Release -- [options]

          --url URL               service to drive, http:// (default http://127.0.0.1:5000)
          --scenario NAME         flash-sale | bots | mixed | bare (default flash-sale); bare: flash-sale's
                                  requests to the service's do-nothing endpoint (Ops__BareEndpoint=true)
          --rate N                target arrivals per second, open model (default 1000)
          --requests N            arrivals to schedule; in flash-sale, users (default 20000)
          --users N               same as --requests
          --duration T            stop scheduling after T (e.g. 30s, 2m; default: no limit)
          --warmup T              read the sale and buy from a sale that does not exist, at the target rate
                                  (at most 1/s per address) for T first, unrecorded (default 3s)
          --stock N               units of the sale the tool creates (default 1000)
          --pay-share F           share of winning buyers who pay, 0..1 (default 0.5)
          --addresses N           client addresses 127.x.y.z the buyers come from (default 1024)
          --connections N         most connections per address; more requests wait for one (default 8)
          --bots N                bot identities (default 50)   --bot-addresses N (default 5)
          --max-in-flight N       arrivals beyond this many waiting are counted as errors (default 20000)
          --timeout T             per-request timeout (default 30s)
          --drain-timeout T       how long to wait for answers and queued orders after the last arrival (default 2m)
          --signing-key KEY       the service's Auth:SigningKey (default $Auth__SigningKey, else the development key)
          --issuer S --audience S token issuer and audience (default seckill)
          --out DIR               report folder: report.md, report.html, report.json (default load-report)
          --label TEXT            a name for the run in the reports
          --p99-objective-ms MS   the purchase p99 the verdict names, e.g. "latency p99 8.7 s over the
                                  objective 50 ms" (default 50); the exit code does not depend on it
          --max-p99 MS            fail (exit 2) when the purchase p99 is above MS milliseconds
          --min-rate N            fail (exit 2) when fewer than N arrivals per second were achieved
          --max-error-rate F      fail (exit 2) when more than F (0..1) of the requests were errors
          --no-verify             skip the verification after the run
          --keep-sale             leave the sale running afterwards (by default it is ended once the
                                  run and its verification are done, so runs do not pile up running sales)

        The verdict names correctness and latency apart, e.g. "correctness PASS, latency p99 8.7 s over
        the objective 50 ms": a run that kept every promise but answered slowly is not a success.
        exit code: 0 correctness PASS (whatever the latency, unless --max-p99 is given); 1 verification
        FAIL; 2 a threshold (--max-p99, --min-rate, --max-error-rate) not met; 64 bad usage.
        """;

    public static LoadOptions Parse(IReadOnlyList<string> args)
    {
        var o = new LoadOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name == "--no-verify")
            {
                o = o with { Verify = false };
                continue;
            }
            if (name == "--keep-sale")
            {
                o = o with { KeepSale = true };
                continue;
            }
            if (i + 1 >= args.Count)
            {
                throw new UsageException($"{name} needs a value");
            }
            var value = args[++i];
            o = name switch
            {
                "--url" => o with
                {
                    Target = !Uri.TryCreate(value, UriKind.Absolute, out var u) ? throw new UsageException($"--url: '{value}' is not an absolute URL")
                        // The buyers' client speaks plain HTTP/1.1 (Drive/Http1Connection), to the service or its gateway.
                        : u.Scheme != Uri.UriSchemeHttp ? throw new UsageException($"--url: '{value}' is not http:// (the tool speaks plain HTTP/1.1)")
                        : u,
                },
                "--scenario" => o with { Scenario = Scenarios.Scenario.Names.Contains(value) ? value : throw new UsageException($"--scenario: '{value}' is not one of {string.Join(", ", Scenarios.Scenario.Names)}") },
                "--rate" => o with { Rate = Positive(name, value) },
                "--requests" or "--users" => o with { Requests = (long)Positive(name, value) },
                "--duration" => o with { Duration = Time(name, value) },
                "--warmup" => o with { Warmup = Time(name, value, allowZero: true) },
                "--stock" => o with { Stock = (long)Positive(name, value) },
                "--pay-share" => o with { PayShare = Share(name, value) },
                "--addresses" => o with { Addresses = (int)Positive(name, value) },
                "--connections" => o with { ConnectionsPerAddress = (int)Positive(name, value) },
                "--bots" => o with { BotIdentities = (int)Positive(name, value) },
                "--bot-addresses" => o with { BotAddresses = (int)Positive(name, value) },
                "--max-in-flight" => o with { MaxInFlight = (int)Positive(name, value) },
                "--timeout" => o with { Timeout = Time(name, value) },
                "--drain-timeout" => o with { DrainTimeout = Time(name, value) },
                "--signing-key" => o with { SigningKey = value },
                "--issuer" => o with { Issuer = value },
                "--audience" => o with { Audience = value },
                "--out" => o with { Output = value },
                "--label" => o with { Label = value },
                "--p99-objective-ms" => o with { P99ObjectiveMs = Positive(name, value) },
                "--max-p99" => o with { MaxP99Ms = Positive(name, value) },
                "--min-rate" => o with { MinRate = Positive(name, value) },
                "--max-error-rate" => o with { MaxErrorRate = Share(name, value) },
                _ => throw new UsageException($"unknown option {name}"),
            };
        }
        if (o.SigningKey.Length < 32)
        {
            throw new UsageException("--signing-key must be at least 32 characters, as the service requires");
        }
        return o;
    }

    private static double Positive(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v)
            ? v : throw new UsageException($"{name}: '{value}' is not a positive number");

    private static double Share(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v is >= 0 and <= 1
            ? v : throw new UsageException($"{name}: '{value}' is not a share between 0 and 1");

    /// <summary>"500ms", "30s", "2m", "1h", or plain seconds.</summary>
    internal static TimeSpan Time(string name, string value, bool allowZero = false)
    {
        var (number, unit) = value.EndsWith("ms", StringComparison.Ordinal) ? (value[..^2], 0.001)
            : value.EndsWith('s') ? (value[..^1], 1.0)
            : value.EndsWith('m') ? (value[..^1], 60.0)
            : value.EndsWith('h') ? (value[..^1], 3600.0)
            : (value, 1.0);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && (v > 0 || (allowZero && v == 0))
            ? TimeSpan.FromSeconds(v * unit) : throw new UsageException($"{name}: '{value}' is not a duration like 500ms, 30s or 2m");
    }
}

public sealed class UsageException(string message) : Exception(message);
