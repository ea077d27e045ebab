using Seckill.Load.Drive;
using Seckill.Load.Measure;

namespace Seckill.Load.Scenarios;

/// <summary>A way of driving a sale: what each scheduled arrival does.</summary>
public abstract class Scenario(SaleRun run)
{
    public const string Purchase = "purchase";
    public const string OrderPoll = "order";
    public const string Pay = "pay";
    public const string UnknownSale = "unknown-sale";
    public const string BadRequest = "bad-request";

    /// <summary>Every operation a scenario may record, in report order.</summary>
    public static readonly string[] Operations = [Purchase, OrderPoll, Pay, UnknownSale, BadRequest];

    protected SaleRun Run { get; } = run;

    /// <summary>Buyers ids start here, so they never collide with the admin (1) or with bots.</summary>
    public const long FirstBuyer = 1_000_000;
    public const long FirstBot = 900_000;

    /// <summary>Sale ids from here up are far above any the service will have made: buying one is answered 404 by the Bloom filter.</summary>
    public const long FirstUnknownSaleId = 1_000_000_000_000L;

    /// <summary>The warm-up's purchases (of a sale that does not exist) come from users of their own, below the bots'.</summary>
    public const long FirstWarmUpUser = 800_000;
    public const long WarmUpUsers = 100_000;

    public abstract Task ArrivalAsync(long index, long due);

    /// <summary>Whether what it bought can be checked against the service afterwards.</summary>
    public virtual bool Verifiable => true;

    /// <summary>An arrival the tool could not send because too many were already in flight.</summary>
    public Task OverflowAsync(long index, long due)
    {
        Run.Sender.Recorder.RequestStarted();
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        Run.Sender.Recorder.RequestDone(Purchase, due, now, now, new Outcome(0, "client_overloaded"), unexpected: true, isArrival: true);
        return Task.CompletedTask;
    }

    /// <summary>The names <see cref="Create"/> knows.</summary>
    public static readonly string[] Names = ["flash-sale", "bots", "mixed", "bare"];

    public static Scenario Create(SaleRun run) => run.Options.Scenario switch
    {
        "flash-sale" => new FlashSale(run),
        "bots" => new Bots(run),
        "mixed" => new Mixed(run),
        "bare" => new Bare(run),
        var other => throw new ArgumentException($"unknown scenario '{other}'"),
    };

    /// <summary>Answers a buyer may get from the purchase route when the service works as designed.</summary>
    protected static bool BuyerAnswer(Reply r) =>
        r.Status is 201 or 202 || (r.Status == 409 && r.Code is "sold_out" or "already_purchased") || (r.Status == 429 && r.Code == "rate_limited") || (r.Status == 503 && r.Code == "overloaded");

    /// <summary>One buyer: tries once, then follows an acknowledged order to a terminal state and
    /// pays for it if this buyer is among the paying share.</summary>
    protected async Task BuyOnceAsync(long index, long due)
    {
        var user = FirstBuyer + index;
        var client = Run.Buyers.For(index);
        var token = Run.Tokens.For(user);
        var reply = await Run.Sender.SendAsync(client, new Call(Purchase, HttpMethod.Post, Run.PurchasePath, SaleRun.OneUnit, Token: token), due, isArrival: true, BuyerAnswer);
        Run.Judged(reply, user);
        if (reply.Acknowledged)
        {
            await FollowAsync(reply, client, token, paying: Pays(index));
        }
    }

    private bool Pays(long index) => Mix(index) % 10_000 < Run.Options.PayShare * 10_000;

    private async Task FollowAsync(Reply purchase, AddressClient client, string token, bool paying)
    {
        var orderId = purchase.OrderId!.Value;
        var path = $"/api/orders/{orderId}";
        var status = purchase.OrderStatus;
        var eta = purchase.EtaMs ?? 50;
        var deadline = DateTime.UtcNow + Run.Options.DrainTimeout;
        while (status == "queued" && DateTime.UtcNow < deadline)
        {
            // A buyer looks again when the service said the writer would be done.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(eta, 20, 1000)));
            var poll = await Run.Sender.SendAsync(client, new Call(OrderPoll, HttpMethod.Get, path, Token: token), System.Diagnostics.Stopwatch.GetTimestamp(), isArrival: false,
                static r => r.Status == 200 || (r.Status == 429 && r.Code == "rate_limited"));
            if (poll.Status == 200)
            {
                status = poll.OrderStatus;
                eta = poll.EtaMs ?? eta;
            }
        }
        if (paying && status == "awaiting_payment")
        {
            var paid = await Run.Sender.SendAsync(client, new Call(Pay, HttpMethod.Post, path + "/pay", Token: token), System.Diagnostics.Stopwatch.GetTimestamp(), isArrival: false,
                static r => r.Status == 200 || (r.Status == 429 && r.Code == "rate_limited"));
            if (paid.Status == 200 && Run.Acknowledged.TryGetValue(orderId, out var order))
            {
                order.PaidByBuyer = true;
            }
        }
    }

    /// <summary>A well-spread, repeatable hash of an index (SplitMix64), for seeded choices per arrival.</summary>
    protected internal static ulong Mix(long index)
    {
        var z = (ulong)index + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
