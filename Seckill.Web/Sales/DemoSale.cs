using System.Globalization;
using Seckill.Web.Security;

namespace Seckill.Web.Sales;

/// <summary>
/// Development only: a demo sale is always on (published at startup unless a previous run's is
/// still running), and <see cref="Lines"/> gives the startup banner a tour of the API to paste into
/// a shell, with real tokens and no placeholders.
/// </summary>
public sealed class DemoSale(
    SaleCatalog catalog, SalePublisher publisher, TokenIssuer tokens, IHostEnvironment environment, TimeProvider time) : IHostedService
{
    public const string Sku = "DEMO-1";

    /// <summary>Browsers' User-Agent: the purchase route refuses curl's (README "Request gate").</summary>
    public const string BrowserAgent = "Mozilla/5.0 (demo)";

    private static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(24);

    /// <summary>The demo sale, once started in Development; null otherwise.</summary>
    public Sale? Sale { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!environment.IsDevelopment())
        {
            return;
        }
        var now = time.GetUtcNow();
        Sale = catalog.All.FirstOrDefault(sale => sale.Sku == Sku && sale.HasStarted(now) && !sale.HasEnded(now))
            ?? await publisher.PublishAsync(new NewSale(Sku, "Demo flash sale", 999, 100, now, now.AddHours(2), 2), cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The demo as shell lines (a POSIX shell: bash or dash, curl and sed; no jq, no comments, which zsh would try
    /// to run): look at the sale, buy, read the order, cancel it, buy again, read it, pay, look at the stock.
    /// The order id is taken from each purchase's answer by sed. The caller passes a new
    /// <paramref name="buyer"/> at every start (the banner draws a random user id), so the lines
    /// work as printed even against a sale a previous run left on, where a fixed buyer would
    /// already hold an order. Tokens last a day.
    /// </summary>
    public IReadOnlyList<string> Lines(string baseUrl, long buyer)
    {
        if (Sale is not { } sale)
        {
            return [];
        }
        var id = sale.Id.ToString(CultureInfo.InvariantCulture);
        var purchase = $"""ORDER=$(curl -s -X POST -A '{BrowserAgent}' -H "Authorization: Bearer $BUYER" -H 'Content-Type: application/json' -d '{"{"}"quantity":1{"}"}' $SECKILL/api/sales/{id}/purchase | tee /dev/stderr | sed -n 's/.*"orderId":"\([0-9]*\)".*/\1/p'); echo""";
        // A 202 (queued: the first purchase of a cold process often takes longer than
        // Orders:ConfirmWaitMs) is followed until the order is written, as README "API" says;
        // pay or cancel on a queued order would be 409 queued.
        const string readOrder = """until curl -s -H "Authorization: Bearer $BUYER" $SECKILL/api/orders/$ORDER | grep -v '"status":"queued"'; do sleep 0.1; done""";
        return
        [
            $"Demo sale {id} is on: {sale.Stock} units of {sale.Sku}, up to {sale.PerUserLimit} per order, one order per buyer, until {sale.EndsAt:u}.",
            $"Paste these lines into a shell (bash or dash): an admin (user 1) and a new buyer (user {buyer}) look at the sale,",
            "buy one unit, read the order once written, cancel it, buy again (a cancelled order frees the buyer), pay, and read the stock.",
            "",
            $"  export SECKILL={baseUrl}",
            $"  export ADMIN={tokens.Issue(1, admin: true, TokenLifetime)}",
            $"  export BUYER={tokens.Issue(buyer, admin: false, TokenLifetime)}",
            $"  curl -s $SECKILL/api/sales/{id}; echo",
            $"  {purchase}",
            $"  {readOrder}",
            "  curl -s -X POST -H \"Authorization: Bearer $BUYER\" $SECKILL/api/orders/$ORDER/cancel; echo",
            $"  {purchase}",
            $"  {readOrder}",
            "  curl -s -X POST -H \"Authorization: Bearer $BUYER\" $SECKILL/api/orders/$ORDER/pay; echo",
            $"  curl -s -H \"Authorization: Bearer $ADMIN\" $SECKILL/api/admin/sales/{id}/stock; echo",
            "",
            "Another buyer's token (the fast form: the first run built the binary):",
            "  export BUYER=$(dotnet run -v q --no-build --project Seckill.Web -- token --user 43)",
        ];
    }
}
