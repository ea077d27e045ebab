using System.Collections.Concurrent;
using System.Text;
using Seckill.Load.Drive;

namespace Seckill.Load.Scenarios;

/// <summary>An order the service acknowledged (201 or 202) to one of our buyers.</summary>
public sealed record AcknowledgedOrder(long OrderId, long UserId, int Quantity)
{
    /// <summary>Set when the buyer's pay request was answered 200.</summary>
    public bool PaidByBuyer { get; set; }
}

/// <summary>What every scenario of one run shares: the sale, the clients, the tokens, and what
/// the service told the buyers (which the verification later checks against the service).</summary>
public sealed class SaleRun(LoadOptions options, Sender sender, TokenMint tokens, long saleId, ClientPool buyers, ClientPool bots)
{
    public static readonly byte[] OneUnit = Encoding.UTF8.GetBytes("""{"quantity":1}""");

    public LoadOptions Options { get; } = options;
    public Sender Sender { get; } = sender;
    public TokenMint Tokens { get; } = tokens;
    public long SaleId { get; } = saleId;
    public ClientPool Buyers { get; } = buyers;
    public ClientPool Bots { get; } = bots;
    public string PurchasePath { get; } = $"/api/sales/{saleId}/purchase";

    public ConcurrentDictionary<long, AcknowledgedOrder> Acknowledged { get; } = new();

    /// <summary>Users whose purchase was judged against the stock (201, 202 or 409 sold_out):
    /// if more of them came than there were units, every unit must have sold.</summary>
    public long StockJudged => Interlocked.Read(ref _stockJudged);

    /// <summary>409 sold_out answers: the service said there was nothing left.</summary>
    public long SoldOutAnswers => Interlocked.Read(ref _soldOut);

    private long _stockJudged;
    private long _soldOut;

    public void Judged(Reply reply, long userId)
    {
        if (reply.Acknowledged)
        {
            Acknowledged.TryAdd(reply.OrderId!.Value, new AcknowledgedOrder(reply.OrderId.Value, userId, 1));
        }
        if (reply.Acknowledged || reply.Code == "sold_out")
        {
            Interlocked.Increment(ref _stockJudged);
        }
        if (reply.Code == "sold_out")
        {
            Interlocked.Increment(ref _soldOut);
        }
    }
}
