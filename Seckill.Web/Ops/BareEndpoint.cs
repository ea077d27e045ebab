using Seckill.Web.Sales;

namespace Seckill.Web.Ops;

/// <summary>Settings of what operators measure with (section <c>Ops</c>).</summary>
public sealed class OpsOptions
{
    public const string Section = "Ops";

    /// <summary>
    /// Maps <see cref="BareEndpoint"/> (<c>POST /bare/sales/{id}/purchase</c>): for benchmarks only;
    /// off by default, and no reason to turn it on in a sale.
    /// </summary>
    public bool BareEndpoint { get; set; }

    /// <summary>
    /// How often the stock gauges of <c>/metrics</c> are read (<see cref="StockSampler"/>): one stock
    /// report per running sale, as the admin stock view makes it (Redis reads and a database count).
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00.050", "01:00:00",
        ErrorMessage = "Ops:StockSampleInterval must be between 00:00:00.050 and 01:00:00.")]
    public TimeSpan StockSampleInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// The ceiling the purchase path is measured against (the load tool's <c>bare</c> scenario,
/// BENCHMARKS): a route of the purchase's shape — POST, a sale id in the path, a JSON body, a
/// bearer token — answered with the sold-out refusal's very bytes, and nothing else done: routing
/// finds it and runs it at once (<c>ShortCircuit</c>), past every middleware of ours, so no token is
/// validated, no body read, no limit counted, no metric kept. What the purchase costs above it is
/// the work of the purchase path and of the middleware in front of it.
/// </summary>
public static class BareEndpoint
{
    public const string Path = "/bare/sales/{id}/purchase";

    public static IEndpointRouteBuilder MapBareEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, static (string id) => SaleProblems.SoldOut)
            .ShortCircuit()
            .ExcludeFromDescription();
        return app;
    }
}
