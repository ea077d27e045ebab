using Dapper;
using Seckill.Web.Stock;

namespace Seckill.Web.Storage.Sql;

/// <summary>
/// The pools (<c>stock_pools</c>) and the ledger of moves (<c>stock_moves</c>) in the orders database
/// of either mode. See <see cref="IStockPool"/>.
/// </summary>
/// <remarks>
/// A move locks the pool's row only, never the sale's, which the order writer holds while it
/// commits a batch: a buyer whose shard needs a refill does not wait for the writer. Whoever
/// locks both (a cancellation) takes the sale's first, as everywhere else. Moves are rare (a sale's warm-up and a refill per few percent of its stock), so a transaction
/// each costs nothing a buyer notices.
/// </remarks>
public sealed class SqlStockPool(SqlDatabase db, TimeProvider time) : IStockPool
{
    public async ValueTask<long> TakeAsync(long saleId, long maxUnits, long transferId, int toShard) =>
        await db.InTransactionAsync(async (connection, transaction) =>
        {
            var sql = new Sql(connection, transaction, CancellationToken.None);
            var pool = await sql.ScalarAsync<long?>($"SELECT units FROM stock_pools WHERE sale_id = @saleId{db.ForUpdate}", new { saleId });
            if (await sql.ScalarAsync<long?>("SELECT units FROM stock_moves WHERE id = @transferId", new { transferId }) is { } recorded)
            {
                return recorded;
            }
            var taken = Math.Min(pool ?? 0, maxUnits);
            if (taken <= 0)
            {
                return 0L;
            }
            await sql.ExecuteAsync("UPDATE stock_pools SET units = units - @taken WHERE sale_id = @saleId", new { taken, saleId });
            await sql.ExecuteAsync(
                """
                INSERT INTO stock_moves (id, sale_id, from_shard, to_shard, units, created_at)
                VALUES (@transferId, @saleId, NULL, @toShard, @taken, @now)
                """, new { transferId, saleId, toShard, taken, now = time.GetUtcNow().ToUnixTimeMilliseconds() });
            return taken;
        }, CancellationToken.None);

    public async ValueTask CompleteTransferAsync(long saleId, long transferId)
    {
        await using var connection = await db.OpenAsync(CancellationToken.None);
        await new Sql(connection, null, CancellationToken.None).ExecuteAsync(
            "UPDATE stock_moves SET landed_at = @now WHERE id = @transferId AND landed_at IS NULL",
            new { transferId, now = time.GetUtcNow().ToUnixTimeMilliseconds() });
    }

    public async ValueTask RecordWithdrawalAsync(long saleId, long transferId, int fromShard, int? toShard, long maxUnits)
    {
        await using var connection = await db.OpenAsync(CancellationToken.None);
        var sql = new Sql(connection, null, CancellationToken.None);
        if (await sql.ScalarAsync<long?>("SELECT units FROM stock_moves WHERE id = @transferId", new { transferId }) is not null)
        {
            return;
        }
        try
        {
            await sql.ExecuteAsync(
                """
                INSERT INTO stock_moves (id, sale_id, from_shard, to_shard, units, created_at, taken)
                VALUES (@transferId, @saleId, @fromShard, @toShard, @maxUnits, @now, 0)
                """, new { transferId, saleId, fromShard, toShard, maxUnits, now = time.GetUtcNow().ToUnixTimeMilliseconds() });
        }
        catch (System.Data.Common.DbException e) when (db.IsUniqueViolation(e))
        {
            // Recorded meanwhile by whoever resumed the move: the same record.
        }
    }

    public async ValueTask MarkWithdrawnAsync(long saleId, long transferId, long units)
    {
        await using var connection = await db.OpenAsync(CancellationToken.None);
        // Nothing sent: the move is over as soon as it is known.
        await new Sql(connection, null, CancellationToken.None).ExecuteAsync(
            """
            UPDATE stock_moves SET units = @units, taken = 1, landed_at = CASE WHEN @units = 0 THEN @now ELSE NULL END
            WHERE id = @transferId AND taken = 0
            """, new { transferId, units, now = time.GetUtcNow().ToUnixTimeMilliseconds() });
    }

    public async ValueTask LandInPoolAsync(long saleId, long transferId) =>
        await db.InTransactionAsync(async (connection, transaction) =>
        {
            var sql = new Sql(connection, transaction, CancellationToken.None);
            // The pool's row first, as every move does.
            await sql.ScalarAsync<long?>($"SELECT units FROM stock_pools WHERE sale_id = @saleId{db.ForUpdate}", new { saleId });
            var landed = await sql.ExecuteAsync(
                "UPDATE stock_moves SET to_shard = NULL, landed_at = @now WHERE id = @transferId AND taken = 1 AND landed_at IS NULL",
                new { transferId, now = time.GetUtcNow().ToUnixTimeMilliseconds() });
            if (landed == 1)
            {
                await sql.ExecuteAsync(
                    "UPDATE stock_pools SET units = units + (SELECT units FROM stock_moves WHERE id = @transferId) WHERE sale_id = @saleId",
                    new { transferId, saleId });
            }
            return landed;
        }, CancellationToken.None);

    public async ValueTask<long> ReturnHoldingAsync(long saleId, int shardId, long transferId) =>
        await db.InTransactionAsync(async (connection, transaction) =>
        {
            var sql = new Sql(connection, transaction, CancellationToken.None);
            await sql.ScalarAsync<long?>($"SELECT units FROM stock_pools WHERE sale_id = @saleId{db.ForUpdate}", new { saleId });
            if (await sql.ScalarAsync<long?>("SELECT units FROM stock_moves WHERE id = @transferId", new { transferId }) is { } recorded)
            {
                return recorded;
            }
            var moved = await sql.ScalarAsync<decimal?>(
                """
                SELECT SUM(CASE WHEN to_shard = @shardId THEN units ELSE -units END) FROM stock_moves
                WHERE sale_id = @saleId AND taken = 1 AND (to_shard = @shardId OR from_shard = @shardId)
                """, new { saleId, shardId }) ?? 0;
            var sold = await sql.ScalarAsync<decimal?>(
                """
                SELECT SUM(quantity) FROM orders
                WHERE sale_id = @saleId AND shard_id = @shardId AND status IN ('awaiting_payment', 'paid', 'cancelled', 'expired')
                """, new { saleId, shardId }) ?? 0;
            var units = (long)(moved - sold);
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            // Moves into the shard still in transit are part of what it holds by the ledger: they
            // end here, whatever becomes of their units on the fenced shard.
            await sql.ExecuteAsync(
                "UPDATE stock_moves SET landed_at = @now WHERE sale_id = @saleId AND to_shard = @shardId AND taken = 1 AND landed_at IS NULL",
                new { saleId, shardId, now });
            if (units <= 0)
            {
                return 0L;
            }
            await sql.ExecuteAsync(
                """
                INSERT INTO stock_moves (id, sale_id, from_shard, to_shard, units, created_at, landed_at, taken)
                VALUES (@transferId, @saleId, @shardId, NULL, @units, @now, @now, 1)
                """, new { transferId, saleId, shardId, units, now });
            await sql.ExecuteAsync("UPDATE stock_pools SET units = units + @units WHERE sale_id = @saleId", new { units, saleId });
            return units;
        }, CancellationToken.None);

    public async ValueTask<long> LedgerVersionAsync(long saleId)
    {
        await using var connection = await db.OpenAsync(CancellationToken.None);
        return (long)(await new Sql(connection, null, CancellationToken.None).ScalarAsync<decimal?>(
            "SELECT COUNT(*) + COUNT(landed_at) + SUM(taken) FROM stock_moves WHERE sale_id = @saleId", new { saleId }) ?? 0);
    }

    public async ValueTask<IReadOnlyList<Transfer>> ListInTransitAsync(long saleId)
    {
        await using var connection = await db.OpenAsync(CancellationToken.None);
        var rows = await new Sql(connection, null, CancellationToken.None).QueryAsync<MoveRow>(
            """
            SELECT id AS Id, sale_id AS SaleId, from_shard AS FromShard, to_shard AS ToShard, units AS Units, taken AS Taken, created_at AS CreatedAt
            FROM stock_moves WHERE sale_id = @saleId AND landed_at IS NULL
            """, new { saleId });
        return rows.Select(row => new Transfer(row.Id, row.SaleId, row.FromShard, row.ToShard, row.Units, row.Taken != 0, row.CreatedAt)).ToList();
    }

    public async ValueTask<IReadOnlyList<ShardMoves>> MovesAsync(long saleId)
    {
        await using var connection = await db.OpenAsync(CancellationToken.None);
        var rows = await new Sql(connection, null, CancellationToken.None).QueryAsync<MovedRow>(
            """
            SELECT from_shard AS FromShard, to_shard AS ToShard, SUM(units) AS Units FROM stock_moves
            WHERE sale_id = @saleId AND landed_at IS NOT NULL GROUP BY from_shard, to_shard
            """, new { saleId });
        return ShardMoves.Tally(rows.Select(row => (row.FromShard, row.ToShard, (long)row.Units)));
    }

    public async ValueTask<long> GetAsync(long saleId)
    {
        await using var connection = await db.OpenAsync(CancellationToken.None);
        return await new Sql(connection, null, CancellationToken.None).ScalarAsync<long?>("SELECT units FROM stock_pools WHERE sale_id = @saleId", new { saleId }) ?? 0;
    }

    public ValueTask<IReadOnlyList<ShardHolding>> HoldingsAsync(int shardId, CancellationToken cancellationToken) =>
        HoldingsAsync(shardId, "", new { shardId }, cancellationToken);

    public async ValueTask<IReadOnlyList<ShardHolding>> HoldingsAsync(int shardId, IReadOnlyCollection<long> saleIds, CancellationToken cancellationToken) =>
        saleIds.Count == 0 ? [] : await HoldingsAsync(shardId, " AND sale_id IN @saleIds", new { shardId, saleIds }, cancellationToken);

    private async ValueTask<IReadOnlyList<ShardHolding>> HoldingsAsync(int shardId, string ofSales, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var sql = new Sql(connection, null, cancellationToken);
        var moves = await sql.QueryAsync<MoveRow>(
            $"SELECT id AS Id, sale_id AS SaleId, from_shard AS FromShard, units AS Units FROM stock_moves WHERE (to_shard = @shardId OR from_shard = @shardId) AND taken = 1{ofSales}",
            parameters);
        // Every unit a reservation of this shard turned into an order left the shard for good; an
        // order that ended since returned its units to the pool, not here.
        var taken = (await sql.QueryAsync<SaleUnits>(
                $"""
                SELECT sale_id AS SaleId, SUM(quantity) AS Units FROM orders
                WHERE shard_id = @shardId AND status IN ('awaiting_payment', 'paid', 'cancelled', 'expired'){ofSales}
                GROUP BY sale_id
                """, parameters))
            .ToDictionary(row => row.SaleId, row => (long)row.Units);
        return moves.Select(move => move.SaleId).Concat(taken.Keys).Distinct().Select(saleId =>
        {
            var movesIn = moves.Where(move => move.SaleId == saleId && move.FromShard != shardId).Select(move => new ShardMove(move.Id, move.Units)).ToList();
            var movedOut = moves.Where(move => move.SaleId == saleId && move.FromShard == shardId).Sum(move => move.Units);
            return new ShardHolding(saleId, movesIn.Sum(move => move.Units) - movedOut - taken.GetValueOrDefault(saleId), movesIn);
        }).ToList();
    }

    private sealed class SaleUnits
    {
        public long SaleId { get; set; }
        // SUM is DECIMAL in MySQL and INTEGER in SQLite.
        public decimal Units { get; set; }
    }

    private sealed class MovedRow
    {
        public int? FromShard { get; set; }
        public int? ToShard { get; set; }
        // SUM is DECIMAL in MySQL and INTEGER in SQLite.
        public decimal Units { get; set; }
    }

    private sealed class MoveRow
    {
        public long Id { get; set; }
        public long SaleId { get; set; }
        public int? FromShard { get; set; }
        public int? ToShard { get; set; }
        public long Units { get; set; }
        public long Taken { get; set; } = 1;
        public long CreatedAt { get; set; }
    }
}
