using System.Text;
using Seckill.Load.Drive;

namespace Seckill.Load.Scenarios;

/// <summary>
/// <c>mixed</c>: 70% real buyers (as in flash-sale), 15% bots, 10% purchases of sale ids that
/// do not exist, 5% malformed requests — each must get its own answer, and only buyers and
/// bots may ever get stock.
/// </summary>
public sealed class Mixed(SaleRun run) : Bots(run)
{
    private static readonly byte[] NoUnits = Encoding.UTF8.GetBytes("""{"quantity":0}""");
    private static readonly byte[] BrokenJson = Encoding.UTF8.GetBytes("""{"quantity":""");

    public override Task ArrivalAsync(long index, long due) => (Mix(index) % 100) switch
    {
        < 70 => BuyOnceAsync(index, due),
        < 85 => BotAsync(index, due),
        < 95 => UnknownSaleAsync(index, due),
        _ => BadRequestAsync(index, due),
    };

    private async Task UnknownSaleAsync(long index, long due)
    {
        var saleId = FirstUnknownSaleId + (long)(Mix(~index) % 1_000_000_000UL);
        await Run.Sender.SendAsync(Run.Buyers.For(index), new Call(UnknownSale, HttpMethod.Post, $"/api/sales/{saleId}/purchase", SaleRun.OneUnit, Token: Run.Tokens.For(FirstBuyer + index)),
            due, isArrival: true, static r => (r.Status == 404 && r.Code == "sale_not_found") || (r.Status == 429 && r.Code == "rate_limited"));
    }

    private async Task BadRequestAsync(long index, long due)
    {
        var token = Run.Tokens.For(FirstBuyer + index);
        var path = Run.PurchasePath;
        var (call, status, code) = (Mix(index) / 100 % 5) switch
        {
            0 => (new Call(BadRequest, HttpMethod.Post, path, NoUnits, Token: token), 400, "invalid_quantity"),
            1 => (new Call(BadRequest, HttpMethod.Post, path, BrokenJson, Token: token), 400, "invalid_json"),
            2 => (new Call(BadRequest, HttpMethod.Post, path, SaleRun.OneUnit), 401, "unauthorized"),
            3 => (new Call(BadRequest, HttpMethod.Post, path, SaleRun.OneUnit, ContentType: "text/plain", Token: token), 415, "unsupported_media_type"),
            _ => (new Call(BadRequest, HttpMethod.Post, "/api/sales/not-a-number/purchase", SaleRun.OneUnit, Token: token), 400, "invalid_id"),
        };
        await Run.Sender.SendAsync(Run.Buyers.For(index), call, due, isArrival: true,
            r => (r.Status == status && r.Code == code) || (r.Status == 429 && r.Code == "rate_limited"));
    }
}
