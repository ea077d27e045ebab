using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Seckill.Web.Security;

namespace Seckill.Web.Sales;

/// <summary>
/// Development only: when no sale is running, publishes a demo sale and, once the server
/// listens, prints ready-to-paste curl lines with tokens, so a first run shows the whole flow.
/// </summary>
public sealed class DemoSale(
    SaleCatalog catalog, SalePublisher publisher, TokenIssuer tokens, IServer server, IHostApplicationLifetime lifetime,
    IHostEnvironment environment, TimeProvider time) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!environment.IsDevelopment() || catalog.All.Count > 0)
        {
            return;
        }
        var now = time.GetUtcNow();
        var sale = await publisher.PublishAsync(
            new NewSale("DEMO-1", "Demo flash sale", 999, 100, now, now.AddHours(2), 2), cancellationToken);
        lifetime.ApplicationStarted.Register(() => Print(sale));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Print(Sale sale)
    {
        var url = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost:5000";
        var admin = tokens.Issue(1, admin: true, TimeSpan.FromHours(24));
        var buyer = tokens.Issue(42, admin: false, TimeSpan.FromHours(24));
        Console.WriteLine($"""

            Demo sale {sale.Id} is on: {sale.Stock} units of {sale.Sku}, up to {sale.PerUserLimit} per buyer, until {sale.EndsAt:u}.
            Paste into a shell:

              export SECKILL={url} BUYER='Bearer {buyer}' ADMIN='Bearer {admin}'
              curl -s $SECKILL/api/sales/{sale.Id}
              # The purchase route refuses scripts' User-Agents (curl's too, see README "Request gate"): send a browser's.
              curl -si -X POST -A 'Mozilla/5.0 (demo)' -H "Authorization: $BUYER" -H 'Content-Type: application/json' -d '{"{"}"quantity":1{"}"}' $SECKILL/api/sales/{sale.Id}/purchase
              curl -s -H "Authorization: $BUYER" $SECKILL/api/orders/<orderId from the Location header>
              curl -s -X POST -H "Authorization: $BUYER" $SECKILL/api/orders/<orderId>/pay
              curl -s -H "Authorization: $ADMIN" $SECKILL/api/admin/sales/{sale.Id}/stock

            More tokens: dotnet run --project Seckill.Web -- token --user 43 [--admin]

            """);
    }
}
