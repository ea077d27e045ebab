using Dapper;
using Seckill.Web.Sales;

namespace Seckill.Web.Storage.Sql;

/// <summary>Sales in the SQL database of either mode.</summary>
public sealed class SqlSaleStore(SqlDatabase db) : ISaleStore
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
