using Dapper;
using Seckill.Web.Sales;

namespace Seckill.Web.Storage.Sql;

/// <summary>Sales in the SQL database of either mode.</summary>
public sealed class SqlSaleStore(SqlDatabase db) : ISaleStore, ISaleAdminStore
{
    /// <summary>The insert of a sale's row (its pool is inserted with it, see <see cref="CreateAsync"/>).</summary>
    public const string InsertSale =
        """
        INSERT INTO sales (sku, name, price_cents, total_stock, sold, starts_at, ends_at, per_user_limit, require_token, created_at)
        VALUES (@Sku, @Name, @PriceCents, @Stock, 0, @StartsAt, @EndsAt, @PerUserLimit, @RequireToken, @Now)
        """;

    private const string Columns =
        "id AS Id, sku AS Sku, name AS Name, price_cents AS PriceCents, total_stock AS Stock, starts_at AS StartsAt, ends_at AS EndsAt, per_user_limit AS PerUserLimit, require_token AS RequireToken";

    public async Task<Sale> CreateAsync(NewSale sale, CancellationToken cancellationToken)
    {
        // The sale and its pool, holding the whole stock, in one transaction. (A pool row has the
        // sale's id as its key, so the last inserted id is the sale's after either insert.)
        var id = await db.InTransactionAsync((connection, transaction) => connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"{InsertSale}; INSERT INTO stock_pools (sale_id, units) VALUES ({db.LastInsertedId}, @Stock); SELECT {db.LastInsertedId};",
            new
            {
                sale.Sku, sale.Name, sale.PriceCents, sale.Stock, sale.PerUserLimit, sale.RequireToken,
                StartsAt = sale.StartsAt.ToUnixTimeMilliseconds(),
                EndsAt = sale.EndsAt.ToUnixTimeMilliseconds(),
                Now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            },
            transaction, cancellationToken: cancellationToken)), cancellationToken);
        return new Sale(id, sale.Sku, sale.Name, sale.PriceCents, sale.Stock,
            Millis(sale.StartsAt.ToUnixTimeMilliseconds()), Millis(sale.EndsAt.ToUnixTimeMilliseconds()), sale.PerUserLimit, sale.RequireToken);
    }

    public async Task<Sale?> FindAsync(long saleId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<SaleRow>(new CommandDefinition(
            $"SELECT {Columns} FROM sales WHERE id = @saleId", new { saleId }, cancellationToken: cancellationToken));
        return row?.ToSale();
    }

    public async Task<IReadOnlyList<long>> ListIdsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var ids = await connection.QueryAsync<long>(new CommandDefinition("SELECT id FROM sales", cancellationToken: cancellationToken));
        return ids.AsList();
    }

    public async Task<IReadOnlyList<Sale>> ListEndingAfterAsync(DateTimeOffset after, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<SaleRow>(new CommandDefinition(
            $"SELECT {Columns} FROM sales WHERE ends_at > @after ORDER BY id",
            new { after = after.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
        return rows.Select(row => row.ToSale()).ToList();
    }

    public async Task<(IReadOnlyList<Sale> Sales, long Total)> ListAsync(
        SalePhase? phase, DateTimeOffset now, long offset, int limit, CancellationToken cancellationToken)
    {
        var where = phase switch
        {
            SalePhase.Upcoming => "WHERE starts_at > @now",
            SalePhase.Running => "WHERE starts_at <= @now AND ends_at > @now",
            SalePhase.Ended => "WHERE ends_at <= @now",
            _ => "",
        };
        var parameters = new { now = now.ToUnixTimeMilliseconds(), offset, limit };
        await using var connection = await db.OpenAsync(cancellationToken);
        var sql = new Sql(connection, null, cancellationToken);
        var rows = await sql.QueryAsync<SaleRow>($"SELECT {Columns} FROM sales {where} ORDER BY id DESC LIMIT @limit OFFSET @offset", parameters);
        var total = await sql.ScalarAsync<long>($"SELECT COUNT(*) FROM sales {where}", parameters);
        return (rows.Select(row => row.ToSale()).ToList(), total);
    }

    public Task<(SaleChangeOutcome Outcome, Sale? Sale)> ChangeAsync(
        long saleId, SaleChange change, DateTimeOffset startsAfter, CancellationToken cancellationToken) =>
        db.InTransactionAsync<(SaleChangeOutcome, Sale?)>(async (connection, transaction) =>
        {
            var sql = new Sql(connection, transaction, cancellationToken);
            if (await LockAsync(sql, saleId) is not { } current)
            {
                return (SaleChangeOutcome.NotFound, null);
            }
            if (current.StartsAt <= startsAfter.ToUnixTimeMilliseconds())
            {
                return (SaleChangeOutcome.Started, null);
            }
            // The pool takes the difference, and cannot go below zero: units on the shards must
            // be back in the pool before the total can shrink by them.
            var delta = change.Stock - current.Stock;
            if (delta != 0 && await sql.ExecuteAsync(
                    "UPDATE stock_pools SET units = units + @delta WHERE sale_id = @saleId AND units + @delta >= 0", new { delta, saleId }) == 0)
            {
                return (SaleChangeOutcome.StockNotInPool, null);
            }
            await sql.ExecuteAsync(
                "UPDATE sales SET total_stock = @Stock, starts_at = @startsAt, ends_at = @endsAt, per_user_limit = @PerUserLimit WHERE id = @saleId",
                new
                {
                    change.Stock, change.PerUserLimit, saleId,
                    startsAt = change.StartsAt.ToUnixTimeMilliseconds(),
                    endsAt = change.EndsAt.ToUnixTimeMilliseconds(),
                });
            return (SaleChangeOutcome.Changed, (await LockAsync(sql, saleId))!.ToSale());
        }, cancellationToken);

    public Task<Sale?> EndAsync(long saleId, DateTimeOffset now, CancellationToken cancellationToken) =>
        db.InTransactionAsync(async (connection, transaction) =>
        {
            var sql = new Sql(connection, transaction, cancellationToken);
            var nowMs = now.ToUnixTimeMilliseconds();
            if (await LockAsync(sql, saleId) is not { } current || current.EndsAt <= nowMs)
            {
                return null;
            }
            // An upcoming sale ended never starts: its window becomes the empty one at now.
            await sql.ExecuteAsync("UPDATE sales SET ends_at = @nowMs, starts_at = @startsAt WHERE id = @saleId",
                new { nowMs, startsAt = Math.Min(current.StartsAt, nowMs), saleId });
            return (await LockAsync(sql, saleId))?.ToSale();
        }, cancellationToken);

    public Task<Sale?> AddStockAsync(long saleId, int units, DateTimeOffset now, CancellationToken cancellationToken) =>
        db.InTransactionAsync(async (connection, transaction) =>
        {
            var sql = new Sql(connection, transaction, cancellationToken);
            if (await LockAsync(sql, saleId) is not { } current || current.EndsAt <= now.ToUnixTimeMilliseconds())
            {
                return null;
            }
            // The total and the pool together: the order writer's guard (sold + n <= total) and
            // the conservation law both see the new units at once.
            await sql.ExecuteAsync("UPDATE sales SET total_stock = total_stock + @units WHERE id = @saleId", new { units, saleId });
            await sql.ExecuteAsync("UPDATE stock_pools SET units = units + @units WHERE sale_id = @saleId", new { units, saleId });
            return (await LockAsync(sql, saleId))?.ToSale();
        }, cancellationToken);

    /// <summary>The sale's row, locked for the rest of the transaction (MySQL; SQLite's writer lock covers it).</summary>
    private async Task<SaleRow?> LockAsync(Sql sql, long saleId) =>
        (await sql.QueryAsync<SaleRow>($"SELECT {Columns} FROM sales WHERE id = @saleId{db.ForUpdate}", new { saleId })).SingleOrDefault();

    private static DateTimeOffset Millis(long value) => DateTimeOffset.FromUnixTimeMilliseconds(value);

    private sealed class SaleRow
    {
        public long Id { get; set; }
        public string Sku { get; set; } = "";
        public string Name { get; set; } = "";
        public long PriceCents { get; set; }
        public long Stock { get; set; }
        public long StartsAt { get; set; }
        public long EndsAt { get; set; }
        public long PerUserLimit { get; set; }
        public bool RequireToken { get; set; }

        public Sale ToSale() => new(Id, Sku, Name, PriceCents, (int)Stock, Millis(StartsAt), Millis(EndsAt), (int)PerUserLimit, RequireToken);
    }
}
