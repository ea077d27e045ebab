namespace Seckill.Web.Allocation;

/// <summary>One shard of a sale as the allocator sees it: what it has available and how fast it sells.</summary>
public readonly record struct ShardView(int ShardId, long Available, double Rate);

/// <summary>A move the plan asks for: <paramref name="From"/> or <paramref name="To"/> null is the pool.</summary>
public readonly record struct PlannedMove(int? From, int? To, long Units, string Reason);

/// <summary>
/// The allocator's decisions for one sale, as pure functions of what it sees (pool, live shards,
/// their sell rates) — no I/O, so the simulation and unit tests drive exactly the logic the service runs.
/// </summary>
public static class RebalancePlan
{
    /// <summary>Units a shard selling at <paramref name="rate"/> should be brought back to.</summary>
    public static long Target(double rate, AllocationOptions options) => (long)Math.Ceiling(rate * options.TargetSeconds);

    /// <summary>Whether a shard is below its low watermark (a shard that sells nothing never is).</summary>
    public static bool IsLow(long available, double rate, AllocationOptions options) => rate > 0 && available < rate * options.LowWatermarkSeconds;

    /// <summary>
    /// Splits the warm-up share over the live shards: evenly, or by their recent traffic
    /// (<paramref name="traffic"/>, every sale together) when <see cref="AllocationOptions.Split"/> says so.
    /// The remainder of the division goes to the first shards, one unit each.
    /// </summary>
    public static IReadOnlyList<(int ShardId, long Units)> WarmUp(long stock, IReadOnlyList<(int ShardId, double Traffic)> shards, AllocationOptions options)
    {
        if (shards.Count == 0)
        {
            return [];
        }
        var share = (long)Math.Floor(stock * (1 - options.ReserveRatio));
        var total = shards.Sum(shard => shard.Traffic);
        var byTraffic = options.Split == AllocationSplit.Traffic && total > 0;
        var split = shards.Select(shard => (shard.ShardId, Units: byTraffic ? (long)Math.Floor(share * shard.Traffic / total) : share / shards.Count)).ToList();
        var left = share - split.Sum(part => part.Units);
        for (var i = 0; left > 0; i = (i + 1) % split.Count, left--)
        {
            split[i] = (split[i].ShardId, split[i].Units + 1);
        }
        return split;
    }

    /// <summary>
    /// The periodic rebalance of a sale (and what a low-watermark signal runs for one shard): while
    /// the sale sells somewhere, shards above their high watermark return their excess to the
    /// pool; shards below their low watermark are brought to their target from the pool, then, if
    /// the pool runs short, from the coldest shards' surplus (most stock for their sell rate).
    /// Nothing moves while no shard sells, and with a single shard nothing returns to the pool.
    /// </summary>
    public static IReadOnlyList<PlannedMove> Periodic(long pool, IReadOnlyList<ShardView> shards, AllocationOptions options)
    {
        var moves = new List<PlannedMove>();
        if (shards.All(shard => shard.Rate <= 0))
        {
            return moves;
        }
        var available = shards.ToDictionary(shard => shard.ShardId, shard => shard.Available);
        // With one shard there is no one to return stock for: the pool only feeds it.
        foreach (var shard in shards.Count > 1 && options.Rebalance ? shards : [])
        {
            var target = Target(shard.Rate, options);
            if (shard.Available > Math.Ceiling(shard.Rate * options.HighWatermarkSeconds) && shard.Available > target)
            {
                var excess = shard.Available - target;
                moves.Add(new PlannedMove(shard.ShardId, null, excess, "high watermark"));
                available[shard.ShardId] -= excess;
                pool += excess;
            }
        }
        foreach (var hungry in shards.Where(shard => IsLow(available[shard.ShardId], shard.Rate, options)).OrderByDescending(shard => shard.Rate))
        {
            var need = Target(hungry.Rate, options) - available[hungry.ShardId];
            var fromPool = Math.Min(need, pool);
            if (fromPool > 0)
            {
                moves.Add(new PlannedMove(null, hungry.ShardId, fromPool, "low watermark"));
                pool -= fromPool;
                need -= fromPool;
                available[hungry.ShardId] += fromPool;
            }
            foreach (var donor in options.Rebalance ? Coldest(shards, available, hungry.ShardId) : [])
            {
                if (need <= 0)
                {
                    break;
                }
                var spare = available[donor.ShardId] - Target(donor.Rate, options);
                var take = Math.Min(need, spare);
                if (take > 0)
                {
                    moves.Add(new PlannedMove(donor.ShardId, hungry.ShardId, take, "low watermark, pool empty"));
                    available[donor.ShardId] -= take;
                    available[hungry.ShardId] += take;
                    need -= take;
                }
            }
        }
        return moves;
    }

    /// <summary>Donors for <paramref name="hungry"/>, coldest first: most stock for their sell rate.</summary>
    public static IEnumerable<ShardView> Coldest(IReadOnlyList<ShardView> shards, IReadOnlyDictionary<int, long> available, int hungry) =>
        shards.Where(shard => shard.ShardId != hungry && available[shard.ShardId] > 0)
            .OrderByDescending(shard => available[shard.ShardId] / (shard.Rate + 0.1))
            .ThenBy(shard => shard.ShardId);

    /// <summary>
    /// The end game begins once the pool is empty and the units left on the shards are fewer than
    /// <see cref="AllocationOptions.EndgameThreshold"/>, or every selling shard is below its low watermark.
    /// </summary>
    public static bool IsEndgame(long pool, IReadOnlyList<ShardView> shards, AllocationOptions options) =>
        options.Rebalance && pool == 0 && shards.Count > 1 && shards.Any(shard => shard.Available > 0) &&
        (shards.Sum(shard => shard.Available) < options.EndgameThreshold ||
         (shards.Any(shard => shard.Rate > 0) && shards.Where(shard => shard.Rate > 0).All(shard => IsLow(shard.Available, shard.Rate, options))
          && shards.Where(shard => shard.Rate <= 0).All(shard => shard.Available == 0)));

    /// <summary>
    /// Where the end game gathers: the shard selling fastest (its buyers are already there), the
    /// one holding most on a tie.
    /// </summary>
    public static int EndgameShard(IReadOnlyList<ShardView> shards) =>
        shards.OrderByDescending(shard => shard.Rate).ThenByDescending(shard => shard.Available).ThenBy(shard => shard.ShardId).First().ShardId;
}
