using Seckill.Load.Drive;
using Seckill.Load.Scenarios;

namespace Seckill.Load.Verify;

/// <summary>One check of the verification, with the figures it compared.</summary>
public sealed record Check(string Name, bool Passed, string Detail);

/// <summary>The verification's verdict and the service's final figures.</summary>
public sealed record VerificationResult(IReadOnlyList<Check> Checks, StockView? Stock, IReadOnlyDictionary<string, long> OrderStatuses)
{
    public bool Passed => Checks.All(c => c.Passed);
}

/// <summary>
/// After the run, compares what the service told the buyers with what it holds: waits until no
/// acknowledged order is still <c>queued</c> and no unit is reserved or in transit, then checks that nothing was oversold, nothing
/// stranded, nobody holds two orders, every acknowledged order exists, and the stock adds up.
/// </summary>
/// <param name="transportErrors">Requests the service did not answer (any operation).</param>
/// <param name="paysUnanswered">Pay requests among them: each may have paid its order without the buyer hearing it.</param>
public sealed class Verification(AdminApi admin, SaleRun run, long transportErrors, long paysUnanswered = 0)
{
    private static readonly HashSet<string> Active = ["awaiting_payment", "paid"];

    public async Task<VerificationResult> RunAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var checks = new List<Check>();
        var deadline = DateTime.UtcNow + timeout;
        var orders = await SettleAsync(timeout, cancellationToken);
        var statuses = orders.Values.GroupBy(o => o?.Status ?? "not_found").ToDictionary(g => g.Key, g => (long)g.Count());
        // Units still reserved or in transit are on their way somewhere (a reservation being written,
        // a dead instance's being written by its reclaim, a move landing): judged once they arrive.
        var stock = await admin.StockAsync(run.SaleId, cancellationToken);
        while (stock.Reserved + stock.InTransit > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            stock = await admin.StockAsync(run.SaleId, cancellationToken);
        }
        var acknowledged = run.Acknowledged.Count;

        var missing = orders.Count(o => o.Value is null);
        var queued = orders.Count(o => o.Value?.Status == "queued");
        checks.Add(new Check("every acknowledged order found", missing == 0 && queued == 0,
            $"{acknowledged} acknowledged (201/202), {acknowledged - missing} found, {missing} missing, {queued} still queued after {timeout.TotalSeconds:0} s; " +
            string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Value}"))));

        var wrongOwner = orders.Count(o => o.Value is not null && (o.Value.UserId != run.Acknowledged[o.Key].UserId || o.Value.SaleId != run.SaleId));
        var doubles = orders.Values.Where(o => o is not null && Active.Contains(o.Status)).GroupBy(o => o!.UserId).Count(g => g.Count() > 1);
        checks.Add(new Check("no user with two active orders", doubles == 0 && wrongOwner == 0,
            $"{doubles} users with more than one active order; {wrongOwner} orders of another user or sale than acknowledged"));

        checks.Add(new Check("sold ≤ stock", stock.Sold <= run.Options.Stock && stock.Total == run.Options.Stock,
            $"sold {stock.Sold} of {stock.Total} (the sale was created with {run.Options.Stock})"));

        if (run.SoldOutAnswers > 0)
        {
            checks.Add(new Check("nothing stranded (sold = stock after a sold_out answer)", stock.Sold == stock.Total,
                $"{run.SoldOutAnswers} buyers were told sold_out and {run.StockJudged} were judged against {stock.Total} units; sold {stock.Sold}, " +
                $"left pool {stock.Pool} + available {stock.Available} + reserved {stock.Reserved} + in transit {stock.InTransit}" +
                (stock.Failed > 0 ? $"; {stock.Failed} orders failed and returned their stock" : "")));
        }
        else
        {
            checks.Add(new Check("nothing stranded", true, $"not applicable: no buyer was told sold_out ({run.StockJudged} judged for {stock.Total} units)"));
        }

        checks.Add(new Check("conservation", stock.Conserved,
            $"total {stock.Total} = pool {stock.Pool} + available {stock.Available} + reserved {stock.Reserved} + in transit {stock.InTransit} + sold {stock.Sold} " +
            $"(= {stock.Pool + stock.Available + stock.Reserved + stock.InTransit + stock.Sold})"));

        // Per instance: every unit sold was reserved on some instance's shard (a dead instance's
        // orders keep their shard when its reclaim writes them).
        if (stock.Shards is { Count: > 0 } shards)
        {
            var soldOnShards = shards.Sum(shard => shard.Sold);
            checks.Add(new Check("per instance: sold = Σ sold on each shard", soldOnShards == stock.Sold,
                $"sold {stock.Sold}, on the shards {soldOnShards}: " + string.Join("; ", shards.Select(shard =>
                    $"instance {shard.InstanceId}{(shard.Reclaimed ? " (reclaimed)" : shard.Live ? "" : " (not live)")}: sold {shard.Sold}, " +
                    $"moved in {shard.MovedIn}, out {shard.MovedOut}, left {(shard.Reclaimed ? 0 : shard.Available + shard.Reserved)}"))));
        }

        // Only this run buys from the sale, so every sold unit must be an order a buyer was told about —
        // unless the service did not answer a request (a timeout, or a gateway's 502/504 when an
        // instance died mid-request), whose order it may well have made.
        var activeAcknowledged = orders.Values.Where(o => o is not null && Active.Contains(o.Status)).Sum(o => (long)o!.Quantity);
        var unexplained = stock.Sold - activeAcknowledged;
        checks.Add(new Check("sold = acknowledged active orders", unexplained == 0 || (unexplained > 0 && unexplained <= transportErrors),
            $"sold {stock.Sold}, acknowledged and active {activeAcknowledged}" + (unexplained > 0 ? $" ({unexplained} sold without an answer; {transportErrors} requests got no answer from the service)" : "")));

        var paidByBuyers = run.Acknowledged.Values.Count(o => o.PaidByBuyer);
        var paid = statuses.GetValueOrDefault("paid");
        var paidUnheard = paid - paidByBuyers;
        checks.Add(new Check("paid = pay requests answered 200", paidUnheard >= 0 && paidUnheard <= paysUnanswered && stock.Paid == paid,
            $"{paidByBuyers} pay answers 200, {paid} orders paid, the stock endpoint says {stock.Paid}" +
            (paidUnheard > 0 ? $" ({paidUnheard} paid without an answer; {paysUnanswered} pay requests got no answer from the service)" : "")));

        return new VerificationResult(checks, stock, statuses);
    }

    /// <summary>Reads every acknowledged order until none is queued or the time is up.</summary>
    private async Task<Dictionary<long, OrderView?>> SettleAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var orders = new System.Collections.Concurrent.ConcurrentDictionary<long, OrderView?>();
        var deadline = DateTime.UtcNow + timeout;
        var pending = run.Acknowledged.Keys.ToList();
        while (true)
        {
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken },
                async (id, ct) => orders[id] = await admin.OrderAsync(id, ct));
            pending = [.. pending.Where(id => orders[id]?.Status == "queued")];
            if (pending.Count == 0 || DateTime.UtcNow >= deadline)
            {
                return new Dictionary<long, OrderView?>(orders);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }
}
