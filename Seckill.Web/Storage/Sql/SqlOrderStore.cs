using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;
using Seckill.Web.Orders;
using Seckill.Web.Stock;

namespace Seckill.Web.Storage.Sql;

/// <summary>
/// Orders in the SQL database of either mode (SQLite or MySQL). See <see cref="IOrderStore"/>
/// for the contract of each call.
/// </summary>
public sealed class SqlOrderStore(SqlDatabase db, TimeProvider time) : IOrderStore, IOrderListing
{
    private const string RowColumns =
        "id AS Id, sale_id AS SaleId, user_id AS UserId, quantity AS Quantity, amount_cents AS AmountCents, status AS Status, reason AS Reason, created_at AS CreatedAt, pay_by AS PayBy, shard_id AS ShardId";

    public async Task<IReadOnlyList<OrderWrite>> WriteAsync(IReadOnlyList<Reservation> batch, TimeSpan paymentTimeout, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await db.BeginAsync(connection, cancellationToken);
        var sql = new Sql(connection, transaction, cancellationToken);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var timeoutMs = (long)paymentTimeout.TotalMilliseconds;
        var writes = new OrderWrite[batch.Count];

        // Each sale's rows in two statements when nothing stands in the way (the common case, and
        // the fewest round trips to the database while buyers wait for their 201); otherwise row
        // by row, each judged on its own. The sales in id order: the order in which the expiry job
        // and cancellations (ChangeAsync) lock sale rows too, so that no two wait for each other in a cycle.
        foreach (var sale in Enumerable.Range(0, batch.Count).GroupBy(i => batch[i].SaleId).OrderBy(sale => sale.Key))
        {
            var rows = sale.ToList();
            if (await TryWriteWholeAsync(sql, batch, rows, timeoutMs, now))
            {
                foreach (var i in rows)
                {
                    writes[i] = new OrderWrite(batch[i], true, null);
                }
            }
            else
            {
                await WriteCarefullyAsync(sql, batch, rows, timeoutMs, now, writes);
            }
        }
        await transaction.CommitAsync(cancellationToken);
        return writes;
    }

    // The payment deadline runs from the commit, or from the reservation if that is later.
    private static long PayBy(Reservation r, long now, long timeoutMs) => Math.Max(r.CreatedAtMs, now) + timeoutMs;

    /// <summary>
    /// The common case, in two statements: one guarded update of the sale for all the rows, one
    /// multi-row insert. If the guard refuses (not enough stock for all), nothing changed; if the
    /// insert refuses (an order already written, a replay; or a buyer who already holds one), the
    /// database undid the whole statement and the units are taken back off the sale. Either way
    /// the rows are then written carefully, one by one.
    /// </summary>
    private async Task<bool> TryWriteWholeAsync(Sql sql, IReadOnlyList<Reservation> batch, List<int> rows, long timeoutMs, long now)
    {
        var first = batch[rows[0]];
        var units = rows.Sum(i => (long)batch[i].Quantity);
        var guarded = await sql.ExecuteAsync(
            "UPDATE sales SET sold = sold + @units WHERE id = @SaleId AND sold + @units <= total_stock",
            new { units, first.SaleId });
        if (guarded != 1)
        {
            return false;
        }
        // Every value is a number or a fixed word, written in invariant culture: no injection,
        // and one statement instead of one parameter set per row.
        var insert = new StringBuilder(
            "INSERT INTO orders (id, sale_id, user_id, quantity, amount_cents, status, created_at, pay_by, updated_at, shard_id) VALUES ");
        for (var k = 0; k < rows.Count; k++)
        {
            var r = batch[rows[k]];
            insert.Append(CultureInfo.InvariantCulture,
                $"{(k == 0 ? "" : ",")}({r.OrderId},{r.SaleId},{r.UserId},{r.Quantity},{r.AmountCents},'awaiting_payment',{r.CreatedAtMs},{PayBy(r, now, timeoutMs)},{now},{r.ShardId})");
        }
        try
        {
            await sql.ExecuteAsync(insert.ToString());
            return true;
        }
        catch (DbException e) when (db.IsUniqueViolation(e))
        {
            await sql.ExecuteAsync("UPDATE sales SET sold = sold - @units WHERE id = @SaleId", new { units, first.SaleId });
            return false;
        }
    }

    /// <summary>
    /// Row by row: a reservation already written (a replay) reports what was written the first
    /// time; each other row is written in a savepoint of its own, or refused with its reason.
    /// </summary>
    private async Task WriteCarefullyAsync(Sql sql, IReadOnlyList<Reservation> batch, List<int> rows, long timeoutMs, long now, OrderWrite[] writes)
    {
        var written = (await sql.QueryAsync<OrderRow>($"SELECT {RowColumns} FROM orders WHERE id IN @ids",
            new { ids = rows.Select(i => batch[i].OrderId).ToArray() })).ToDictionary(row => row.Id);
        foreach (var i in rows)
        {
            var r = batch[i];
            writes[i] = !written.TryGetValue(r.OrderId, out var row) ? await WriteOneAsync(sql, r, PayBy(r, now, timeoutMs), now) : row switch
            {
                // The same id with other contents is not a replay: two instances share an
                // instance id, or a clock went back. Never report someone else's order as ours.
                _ when row.SaleId != r.SaleId || row.UserId != r.UserId || row.Quantity != r.Quantity =>
                    new OrderWrite(r, false, OrderWrite.IdCollision),
                { Status: OrderStatus.Failed } => new OrderWrite(r, false, row.Reason),
                _ => new OrderWrite(r, true, null),
            };
        }
    }

    /// <summary>One row in its own savepoint, so that one refused row does not undo the batch.</summary>
    private async Task<OrderWrite> WriteOneAsync(Sql sql, Reservation r, long payBy, long now)
    {
        await sql.ExecuteAsync("SAVEPOINT one_row");
        string refusal;
        try
        {
            var guarded = await sql.ExecuteAsync(
                "UPDATE sales SET sold = sold + @Quantity WHERE id = @SaleId AND sold + @Quantity <= total_stock",
                new { r.Quantity, r.SaleId });
            if (guarded == 1)
            {
                await sql.ExecuteAsync(
                    """
                    INSERT INTO orders (id, sale_id, user_id, quantity, amount_cents, status, created_at, pay_by, updated_at, shard_id)
                    VALUES (@OrderId, @SaleId, @UserId, @Quantity, @AmountCents, 'awaiting_payment', @CreatedAtMs, @payBy, @now, @ShardId)
                    """,
                    new { r.OrderId, r.SaleId, r.UserId, r.Quantity, r.AmountCents, r.CreatedAtMs, payBy, now, r.ShardId });
                await sql.ExecuteAsync("RELEASE SAVEPOINT one_row");
                return new OrderWrite(r, true, null);
            }
            refusal = OrderWrite.SoldOut;
        }
        catch (DbException e) when (db.IsUniqueViolation(e))
        {
            refusal = OrderWrite.AlreadyPurchased;
        }
        await sql.ExecuteAsync("ROLLBACK TO SAVEPOINT one_row");
        var existing = refusal == OrderWrite.AlreadyPurchased
            ? await sql.ScalarAsync<long?>(
                "SELECT id FROM orders WHERE sale_id = @SaleId AND user_id = @UserId AND status IN ('awaiting_payment', 'paid')",
                new { r.SaleId, r.UserId }) ?? 0
            : 0;
        try
        {
            // Keep the refused order, so that its buyer can look it up and see why.
            await sql.ExecuteAsync(
                """
                INSERT INTO orders (id, sale_id, user_id, quantity, amount_cents, status, reason, created_at, updated_at, shard_id)
                VALUES (@OrderId, @SaleId, @UserId, @Quantity, @AmountCents, 'failed', @refusal, @CreatedAtMs, @now, @ShardId)
                """,
                new { r.OrderId, r.SaleId, r.UserId, r.Quantity, r.AmountCents, r.CreatedAtMs, refusal, now, r.ShardId });
        }
        catch (DbException)
        {
            // Not even the failed row fits (the sale row is gone): the refusal stands without it,
            // rather than a row that can never be written blocking every batch behind it.
            await sql.ExecuteAsync("ROLLBACK TO SAVEPOINT one_row");
        }
        await sql.ExecuteAsync("RELEASE SAVEPOINT one_row");
        return new OrderWrite(r, false, refusal, existing);
    }

    public async Task<Order?> FindAsync(long orderId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<OrderRow>(new CommandDefinition(
            $"SELECT {RowColumns} FROM orders WHERE id = @orderId", new { orderId }, cancellationToken: cancellationToken));
        return row?.ToOrder();
    }

    public async Task<IReadOnlyList<Order>> FindManyAsync(IReadOnlyCollection<long> orderIds, CancellationToken cancellationToken)
    {
        if (orderIds.Count == 0)
        {
            return [];
        }
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await new Sql(connection, null, cancellationToken).QueryAsync<OrderRow>($"SELECT {RowColumns} FROM orders WHERE id IN @orderIds", new { orderIds });
        return rows.Select(row => row.ToOrder()).ToList();
    }

    public Task<IReadOnlyList<OrderChangeResult>> ChangeAsync(IReadOnlyList<OrderChange> changes, CancellationToken cancellationToken) =>
        db.InTransactionAsync<IReadOnlyList<OrderChangeResult>>(async (connection, transaction) =>
        {
            var sql = new Sql(connection, transaction, cancellationToken);
            var now = time.GetUtcNow();
            // The sales of the orders this batch may end first, in id order, as the expiry job
            // takes them: ending an order (cancelled, or expired on a late payment) updates its
            // sale's row, and two batches, or a batch and the job, taking sale rows in different
            // orders would deadlock. Then the orders, all in one statement: sale rows before order
            // rows, as the order writer's guarded update then insert takes them. A payment in time
            // changes its order's row only, and does not lock the sale's: the order writer needs
            // that row for every batch it commits, and payers came in the selling seconds.
            // (A payment is late by its order's deadline, fixed when the order was written, against
            // this batch's one `now`: which orders may be ended is known before anything is locked.)
            var orderIds = changes.Select(change => change.OrderId).Distinct().ToList();
            var cancelled = changes.Where(change => change.Kind == OrderChangeKind.Cancel).Select(change => change.OrderId).Distinct().ToList();
            foreach (var saleId in await sql.QueryAsync<long>(
                "SELECT DISTINCT sale_id FROM orders WHERE id IN @orderIds AND (id IN @cancelled OR pay_by <= @nowMs) ORDER BY sale_id",
                new { orderIds, cancelled, nowMs = now.ToUnixTimeMilliseconds() }))
            {
                await LockSaleAsync(sql, saleId);
            }
            var orders = (await sql.QueryAsync<OrderRow>($"SELECT {RowColumns} FROM orders WHERE id IN @orderIds{db.ForUpdate}", new { orderIds }))
                .ToDictionary(order => order.Id);

            // Judged in the batch's order, each change on the row as the ones before it left it (a
            // double click pays once, then finds the order paid). The payments are written in one
            // statement at the end: a batch of 100 took 400 statements one by one, each a round
            // trip to MySQL (BENCHMARKS.md section 20). So are the orders that end, by status.
            var paid = new List<long>();
            var expiring = new List<OrderRow>();
            var cancelling = new List<OrderRow>();
            var results = new OrderChangeResult[changes.Count];
            for (var i = 0; i < changes.Count; i++)
            {
                var (orderId, kind, buyerId) = changes[i];
                // Someone else's order is not found, as an order lookup would say.
                var order = orders.GetValueOrDefault(orderId) is { } row && (buyerId is null || row.UserId == buyerId) ? row : null;
                results[i] = kind == OrderChangeKind.Pay ? Pay(order, paid, expiring, now) : Cancel(order, cancelling);
            }
            await WriteEndsAsync(sql, expiring, OrderStatus.Expired, now);
            await WriteEndsAsync(sql, cancelling, OrderStatus.Cancelled, now);
            if (paid.Count > 0)
            {
                await sql.ExecuteAsync("UPDATE orders SET status = 'paid', updated_at = @now WHERE id IN @paid", new { now = now.ToUnixTimeMilliseconds(), paid });
            }
            return results;
        }, cancellationToken);

    /// <summary>
    /// Pays <paramref name="order"/> (added to <paramref name="paid"/>), or expires it if it is late
    /// (added to <paramref name="expiring"/>), or says why not; the caller writes both lists.
    /// </summary>
    private static OrderChangeResult Pay(OrderRow? order, List<long> paid, List<OrderRow> expiring, DateTimeOffset now)
    {
        var outcome = order?.Status switch
        {
            null => PaymentOutcome.NotFound,
            OrderStatus.Paid => PaymentOutcome.AlreadyPaid,
            OrderStatus.Cancelled => PaymentOutcome.Cancelled,
            OrderStatus.Expired => PaymentOutcome.Expired,
            OrderStatus.Failed => PaymentOutcome.Failed,
            _ => PaymentOutcome.Paid,
        };
        if (outcome != PaymentOutcome.Paid)
        {
            return new(outcome, default, null);
        }
        if (order!.PayBy <= now.ToUnixTimeMilliseconds())
        {
            // Too late: this call expires the order itself, so pay and expiry have one outcome.
            return new(PaymentOutcome.Expired, default, End(order, OrderStatus.Expired, expiring));
        }
        order.Status = OrderStatus.Paid;
        paid.Add(order.Id);
        return new(PaymentOutcome.Paid, default, null);
    }

    /// <summary>Cancels <paramref name="order"/> (added to <paramref name="cancelling"/>, written by the caller), or says why not.</summary>
    private static OrderChangeResult Cancel(OrderRow? order, List<OrderRow> cancelling) => order?.Status switch
    {
        null => new(default, CancelOutcome.NotFound, null),
        OrderStatus.Cancelled => new(default, CancelOutcome.AlreadyCancelled, null),
        OrderStatus.Paid => new(default, CancelOutcome.Paid, null),
        OrderStatus.Expired => new(default, CancelOutcome.Expired, null),
        OrderStatus.Failed => new(default, CancelOutcome.Failed, null),
        _ => new(default, CancelOutcome.Cancelled, End(order, OrderStatus.Cancelled, cancelling)),
    };

    public Task<IReadOnlyList<EndedOrder>> ExpireDueAsync(int limit, CancellationToken cancellationToken) =>
        db.InTransactionAsync<IReadOnlyList<EndedOrder>>(async (connection, transaction) =>
        {
            var sql = new Sql(connection, transaction, cancellationToken);
            var now = time.GetUtcNow();
            var nowMs = now.ToUnixTimeMilliseconds();
            foreach (var saleId in await sql.QueryAsync<long>(
                "SELECT DISTINCT sale_id FROM orders WHERE status = 'awaiting_payment' AND pay_by <= @nowMs ORDER BY sale_id", new { nowMs }))
            {
                await LockSaleAsync(sql, saleId);
            }
            var due = await sql.QueryAsync<OrderRow>(
                $"""
                SELECT {RowColumns} FROM orders
                WHERE status = 'awaiting_payment' AND pay_by <= @nowMs ORDER BY pay_by LIMIT @limit{db.ForUpdate}
                """, new { nowMs, limit });
            var expiring = new List<OrderRow>(due.Count);
            var ended = due.ConvertAll(order => End(order, OrderStatus.Expired, expiring));
            await WriteEndsAsync(sql, expiring, OrderStatus.Expired, now);
            return ended;
        }, cancellationToken);

    public async Task<SaleOrderCounts> CountAsync(long saleId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var sql = new Sql(connection, null, cancellationToken);
        var sold = await sql.ScalarAsync<long?>("SELECT sold FROM sales WHERE id = @saleId", new { saleId }) ?? 0;
        // One pass over the sale's entries of the (sale_id, status, shard_id, quantity) index for
        // both the totals by status and the active units by shard: the stock sampler asks this of
        // every running sale every few seconds.
        var rows = await sql.QueryAsync<UnitsRow>(
            "SELECT status AS Status, shard_id AS ShardId, SUM(quantity) AS Units FROM orders WHERE sale_id = @saleId GROUP BY status, shard_id",
            new { saleId });
        long Units(string status) => rows.Where(row => row.Status == status).Sum(row => (long)row.Units);
        var byShard = rows.Where(row => row.Status is OrderStatus.AwaitingPayment or OrderStatus.Paid)
            .GroupBy(row => (int)row.ShardId)
            .ToDictionary(shard => shard.Key, shard => shard.Sum(row => (long)row.Units));
        return new SaleOrderCounts(sold, Units(OrderStatus.AwaitingPayment), Units(OrderStatus.Paid),
            Units(OrderStatus.Cancelled), Units(OrderStatus.Expired), Units(OrderStatus.Failed), byShard);
    }

    private const string ActiveUnits =
        "SELECT COALESCE(SUM(quantity), 0) FROM orders WHERE sale_id = @saleId AND status IN ('awaiting_payment', 'paid')";

    private const string ActiveOnShard =
        "SELECT COUNT(*) FROM orders WHERE sale_id = @saleId AND status IN ('awaiting_payment', 'paid') AND shard_id = @shardId";

    public Task<IReadOnlySet<long>> EndedAmongAsync(IReadOnlyCollection<long> saleIds, CancellationToken cancellationToken) =>
        IdsAmongAsync(saleIds, "SELECT id FROM sales WHERE id IN @chunk AND ends_at <= @now", cancellationToken);

    public async Task<IReadOnlyDictionary<long, long>> SoldCountersAsync(IReadOnlyCollection<long> saleIds, CancellationToken cancellationToken)
    {
        if (saleIds.Count == 0)
        {
            return new Dictionary<long, long>();
        }
        await using var connection = await db.OpenAsync(cancellationToken);
        var sql = new Sql(connection, null, cancellationToken);
        var counters = new Dictionary<long, long>(saleIds.Count);
        foreach (var chunk in saleIds.Chunk(500))
        {
            foreach (var (id, sold) in await sql.QueryAsync<(long Id, long Sold)>("SELECT id, sold FROM sales WHERE id IN @chunk", new { chunk }))
            {
                counters[id] = sold;
            }
        }
        return counters;
    }

    public async Task<SaleTally> TallyAsync(long saleId, int shardId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = (await new Sql(connection, null, cancellationToken).QueryAsync<TallyRow>(
            $"SELECT sold AS Counter, ({ActiveUnits}) AS Active, ({ActiveOnShard}) AS OnShard FROM sales WHERE id = @saleId",
            new { saleId, shardId })).SingleOrDefault();
        return row is null ? default : new SaleTally(row.Counter, (long)row.Active, row.OnShard);
    }

    public async Task RepairSoldAsync(long saleId, CancellationToken cancellationToken) =>
        await db.InTransactionAsync(async (connection, transaction) =>
        {
            var sql = new Sql(connection, transaction, cancellationToken);
            // The sale's row first, as every writer of it does: a batch committing meanwhile is
            // either before (its orders counted) or after (its guarded update sees the new counter).
            await sql.ScalarAsync<long?>($"SELECT sold FROM sales WHERE id = @saleId{db.ForUpdate}", new { saleId });
            var active = await sql.ScalarAsync<decimal>(ActiveUnits, new { saleId });
            await sql.ExecuteAsync("UPDATE sales SET sold = @active WHERE id = @saleId", new { active = (long)active, saleId });
            return 0;
        }, cancellationToken);

    private sealed class TallyRow
    {
        public long Counter { get; set; }
        // SUM is DECIMAL in MySQL and INTEGER in SQLite.
        public decimal Active { get; set; }
        public long OnShard { get; set; }
    }

    public async Task<IReadOnlyDictionary<long, long>> ListBuyersAsync(long saleId, int shardId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await new Sql(connection, null, cancellationToken).QueryAsync<(long UserId, long OrderId)>(
            "SELECT user_id, id FROM orders WHERE sale_id = @saleId AND shard_id = @shardId AND status IN ('awaiting_payment', 'paid')",
            new { saleId, shardId });
        return rows.ToDictionary(row => row.UserId, row => row.OrderId);
    }

    public Task<IReadOnlySet<long>> FindWrittenAsync(IReadOnlyCollection<long> orderIds, CancellationToken cancellationToken) =>
        IdsAmongAsync(orderIds, "SELECT id FROM orders WHERE id IN @chunk", cancellationToken);

    /// <summary>
    /// The ids among <paramref name="ids"/> that <paramref name="query"/> selects, asked 500 at a
    /// time (<c>@chunk</c>; <c>@now</c> is the time in unix milliseconds), timed as the calling method.
    /// </summary>
    private async Task<IReadOnlySet<long>> IdsAmongAsync(IReadOnlyCollection<long> ids, string query, CancellationToken cancellationToken,
        [System.Runtime.CompilerServices.CallerMemberName] string operation = "")
    {
        var found = new HashSet<long>();
        if (ids.Count == 0)
        {
            return found;
        }
        await using var connection = await db.OpenAsync(cancellationToken, operation);
        var sql = new Sql(connection, null, cancellationToken);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var chunk in ids.Chunk(500))
        {
            found.UnionWith(await sql.QueryAsync<long>(query, new { chunk, now }));
        }
        return found;
    }

    public async Task<long> MaxOrderIdAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await new Sql(connection, null, cancellationToken).ScalarAsync<long?>("SELECT MAX(id) FROM orders") ?? 0;
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await new Sql(connection, null, cancellationToken).ScalarAsync<long>("SELECT COUNT(*) FROM schema_version");
    }

    public Task<(IReadOnlyList<Order> Orders, long Total)> ListBySaleAsync(
        long saleId, string? status, long offset, int limit, CancellationToken cancellationToken) =>
        ListAsync(status is null ? "sale_id = @saleId" : "sale_id = @saleId AND status = @status", new { saleId, status, offset, limit }, cancellationToken);

    public Task<(IReadOnlyList<Order> Orders, long Total)> ListByUserAsync(long userId, long offset, int limit, CancellationToken cancellationToken) =>
        ListAsync("user_id = @userId", new { userId, offset, limit }, cancellationToken);

    private async Task<(IReadOnlyList<Order> Orders, long Total)> ListAsync(string where, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var sql = new Sql(connection, null, cancellationToken);
        var rows = await sql.QueryAsync<OrderRow>($"SELECT {RowColumns} FROM orders WHERE {where} ORDER BY id DESC LIMIT @limit OFFSET @offset", parameters);
        var total = await sql.ScalarAsync<long>($"SELECT COUNT(*) FROM orders WHERE {where}", parameters);
        return (rows.Select(row => row.ToOrder()).ToList(), total);
    }

    private Task LockSaleAsync(Sql sql, long saleId) => sql.ScalarAsync<long?>($"SELECT id FROM sales WHERE id = @saleId{db.ForUpdate}", new { saleId });

    /// <summary>
    /// Ends an active order as the batch judging it sees it (so a second change to it in the same
    /// batch finds it ended); <see cref="WriteEndsAsync"/> writes it, with the others of its batch.
    /// </summary>
    private static EndedOrder End(OrderRow order, string status, List<OrderRow> ending)
    {
        order.Status = status;
        ending.Add(order);
        return new EndedOrder(order.Id, order.SaleId, order.UserId, (int)order.Quantity, order.ShardId);
    }

    /// <summary>
    /// Writes orders ended with <paramref name="status"/> (<see cref="End"/>), in the caller's
    /// transaction: their units leave each sale's sold counter and go back to its pool in the same
    /// step, so none is ever in neither. One statement for the orders and two per sale, however
    /// many they are.
    /// Fifteen minutes after a flash sale its unpaid orders fall due together, thousands of them;
    /// with three statements per order, 10,000 took 13–15 s to expire on an idle instance, their
    /// units off sale all that time (BENCHMARKS.md section 33).
    /// </summary>
    private static async Task WriteEndsAsync(Sql sql, IReadOnlyList<OrderRow> orders, string status, DateTimeOffset now)
    {
        if (orders.Count == 0)
        {
            return;
        }
        var ids = orders.Select(order => order.Id).ToList();
        await sql.ExecuteAsync("UPDATE orders SET status = @status, updated_at = @now WHERE id IN @ids",
            new { status, now = now.ToUnixTimeMilliseconds(), ids });
        // In sale id order, as the callers locked the sales' rows.
        foreach (var sale in orders.GroupBy(order => order.SaleId).OrderBy(sale => sale.Key))
        {
            var units = sale.Sum(order => order.Quantity);
            await sql.ExecuteAsync("UPDATE sales SET sold = sold - @units WHERE id = @saleId", new { units, saleId = sale.Key });
            await sql.ExecuteAsync("UPDATE stock_pools SET units = units + @units WHERE sale_id = @saleId", new { units, saleId = sale.Key });
        }
    }

    private sealed class UnitsRow
    {
        public string Status { get; set; } = "";
        public long ShardId { get; set; }
        // SUM is DECIMAL in MySQL and INTEGER in SQLite.
        public decimal Units { get; set; }
    }

    private sealed class OrderRow
    {
        public long Id { get; set; }
        public long SaleId { get; set; }
        public long UserId { get; set; }
        public long Quantity { get; set; }
        public long AmountCents { get; set; }
        public string Status { get; set; } = "";
        public string? Reason { get; set; }
        public long CreatedAt { get; set; }
        public long? PayBy { get; set; }
        public int ShardId { get; set; }

        public Order ToOrder() => new(Id, SaleId, UserId, (int)Quantity, AmountCents, Status, Reason,
            DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), PayBy is { } payBy ? DateTimeOffset.FromUnixTimeMilliseconds(payBy) : null);
    }
}
