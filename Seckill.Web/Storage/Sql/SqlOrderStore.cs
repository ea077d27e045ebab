using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;
using Seckill.Web.Orders;

namespace Seckill.Web.Storage.Sql;

/// <summary>
/// Orders in the SQL database of either mode (SQLite or MySQL). See <see cref="IOrderStore"/>
/// for the contract of each call.
/// </summary>
/// <remarks>
/// Both drivers complete their "async" calls synchronously, so these methods do their work
/// synchronously too: callers keep them off the request path (the order writer has its own
/// loop; the directory reads sales on the thread pool).
/// </remarks>
public sealed class SqlOrderStore(SqlDatabase db, TimeProvider time) : IOrderStore
{
    private const string RowColumns =
        "id AS Id, sale_id AS SaleId, user_id AS UserId, quantity AS Quantity, amount_cents AS AmountCents, status AS Status, reason AS Reason, created_at AS CreatedAt, pay_by AS PayBy";

    public Task<IReadOnlyList<OrderWrite>> WriteAsync(IReadOnlyList<Reservation> batch, TimeSpan paymentTimeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = db.Open();
        using var transaction = db.Begin(connection);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var timeoutMs = (long)paymentTimeout.TotalMilliseconds;
        var writes = new OrderWrite?[batch.Count];

        // Replays first: a reservation already written reports what was written the first time.
        var written = connection.Query<OrderRow>(
            $"SELECT {RowColumns} FROM orders WHERE id IN @ids",
            new { ids = batch.Select(r => r.OrderId).ToArray() }, transaction).ToDictionary(row => row.Id);
        var fresh = new List<int>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var r = batch[i];
            if (!written.TryGetValue(r.OrderId, out var row))
            {
                fresh.Add(i);
                continue;
            }
            writes[i] = row switch
            {
                // The same id with other contents is not a replay: two instances share an
                // instance id, or a clock went back. Never report someone else's order as ours.
                _ when row.SaleId != r.SaleId || row.UserId != r.UserId || row.Quantity != r.Quantity =>
                    new OrderWrite(r, false, OrderWrite.IdCollision),
                { Status: OrderStatus.Failed } => new OrderWrite(r, false, row.Reason),
                _ => new OrderWrite(r, true, null),
            };
        }

        foreach (var sale in fresh.GroupBy(i => batch[i].SaleId))
        {
            var rows = sale.ToList();
            if (!TryWriteWhole(connection, transaction, batch, rows, timeoutMs, now))
            {
                foreach (var i in rows)
                {
                    writes[i] = WriteOne(connection, transaction, batch[i], PayBy(batch[i], now, timeoutMs), now);
                }
            }
            else
            {
                foreach (var i in rows)
                {
                    writes[i] = new OrderWrite(batch[i], true, null);
                }
            }
        }
        transaction.Commit();
        return Task.FromResult<IReadOnlyList<OrderWrite>>(writes.Select(w => w!.Value).ToArray());
    }

    // The payment deadline runs from the commit, or from the reservation if that is later.
    private static long PayBy(Reservation r, long now, long timeoutMs) => Math.Max(r.CreatedAtMs, now) + timeoutMs;

    /// <summary>
    /// The common case, in two statements: one guarded update of the sale for all the rows, one
    /// multi-row insert. If either refuses (not enough stock for all, or a buyer who already holds
    /// an order), everything it did is undone and the rows are written one by one instead.
    /// </summary>
    private bool TryWriteWhole(DbConnection connection, DbTransaction transaction, IReadOnlyList<Reservation> batch, List<int> rows, long timeoutMs, long now)
    {
        if (rows.Count == 1)
        {
            return false;
        }
        var first = batch[rows[0]];
        var units = rows.Sum(i => (long)batch[i].Quantity);
        connection.Execute("SAVEPOINT whole", transaction: transaction);
        try
        {
            var guarded = connection.Execute(
                "UPDATE sales SET sold = sold + @units WHERE id = @SaleId AND sold + @units <= total_stock",
                new { units, first.SaleId }, transaction);
            if (guarded == 1)
            {
                // Every value is a number or a fixed word, written in invariant culture: no injection,
                // and one statement instead of one parameter set per row.
                var sql = new StringBuilder(
                    "INSERT INTO orders (id, sale_id, user_id, quantity, amount_cents, status, created_at, pay_by, updated_at) VALUES ");
                for (var k = 0; k < rows.Count; k++)
                {
                    var r = batch[rows[k]];
                    sql.Append(CultureInfo.InvariantCulture,
                        $"{(k == 0 ? "" : ",")}({r.OrderId},{r.SaleId},{r.UserId},{r.Quantity},{r.AmountCents},'awaiting_payment',{r.CreatedAtMs},{PayBy(r, now, timeoutMs)},{now})");
                }
                connection.Execute(sql.ToString(), transaction: transaction);
                connection.Execute("RELEASE SAVEPOINT whole", transaction: transaction);
                return true;
            }
        }
        catch (DbException e) when (db.IsUniqueViolation(e))
        {
        }
        connection.Execute("ROLLBACK TO SAVEPOINT whole", transaction: transaction);
        connection.Execute("RELEASE SAVEPOINT whole", transaction: transaction);
        return false;
    }

    /// <summary>One row in its own savepoint, so that one refused row does not undo the batch.</summary>
    private OrderWrite WriteOne(DbConnection connection, DbTransaction transaction, Reservation r, long payBy, long now)
    {
        connection.Execute("SAVEPOINT one_row", transaction: transaction);
        string refusal;
        try
        {
            var guarded = connection.Execute(
                "UPDATE sales SET sold = sold + @Quantity WHERE id = @SaleId AND sold + @Quantity <= total_stock",
                new { r.Quantity, r.SaleId }, transaction);
            if (guarded == 1)
            {
                connection.Execute(
                    """
                    INSERT INTO orders (id, sale_id, user_id, quantity, amount_cents, status, created_at, pay_by, updated_at)
                    VALUES (@OrderId, @SaleId, @UserId, @Quantity, @AmountCents, 'awaiting_payment', @CreatedAtMs, @payBy, @now)
                    """,
                    new { r.OrderId, r.SaleId, r.UserId, r.Quantity, r.AmountCents, r.CreatedAtMs, payBy, now }, transaction);
                connection.Execute("RELEASE SAVEPOINT one_row", transaction: transaction);
                return new OrderWrite(r, true, null);
            }
            refusal = OrderWrite.SoldOut;
        }
        catch (DbException e) when (db.IsUniqueViolation(e))
        {
            refusal = OrderWrite.AlreadyPurchased;
        }
        connection.Execute("ROLLBACK TO SAVEPOINT one_row", transaction: transaction);
        var existing = refusal == OrderWrite.AlreadyPurchased
            ? connection.ExecuteScalar<long?>(
                "SELECT id FROM orders WHERE sale_id = @SaleId AND user_id = @UserId AND status IN ('awaiting_payment', 'paid')",
                new { r.SaleId, r.UserId }, transaction) ?? 0
            : 0;
        try
        {
            // Keep the refused order, so that its buyer can look it up and see why.
            connection.Execute(
                """
                INSERT INTO orders (id, sale_id, user_id, quantity, amount_cents, status, reason, created_at, updated_at)
                VALUES (@OrderId, @SaleId, @UserId, @Quantity, @AmountCents, 'failed', @refusal, @CreatedAtMs, @now)
                """,
                new { r.OrderId, r.SaleId, r.UserId, r.Quantity, r.AmountCents, r.CreatedAtMs, refusal, now }, transaction);
        }
        catch (DbException)
        {
            // Not even the failed row fits (the sale row is gone): the refusal stands without it,
            // rather than a row that can never be written blocking every batch behind it.
            connection.Execute("ROLLBACK TO SAVEPOINT one_row", transaction: transaction);
        }
        connection.Execute("RELEASE SAVEPOINT one_row", transaction: transaction);
        return new OrderWrite(r, false, refusal, existing);
    }

    public Task<Order?> FindAsync(long orderId, CancellationToken cancellationToken)
    {
        using var connection = db.Open();
        var row = connection.QuerySingleOrDefault<OrderRow>($"SELECT {RowColumns} FROM orders WHERE id = @orderId", new { orderId });
        return Task.FromResult(row?.ToOrder());
    }

    public Task<(PaymentOutcome Outcome, EndedOrder? Expired)> PayAsync(long orderId, CancellationToken cancellationToken) =>
        Task.FromResult(db.InTransaction<(PaymentOutcome, EndedOrder?)>((connection, transaction) =>
        {
            var now = time.GetUtcNow();
            var order = LockedOrder(connection, transaction, orderId);
            return order?.Status switch
            {
                null => (PaymentOutcome.NotFound, null),
                OrderStatus.Paid => (PaymentOutcome.AlreadyPaid, null),
                OrderStatus.Cancelled => (PaymentOutcome.Cancelled, null),
                OrderStatus.Expired => (PaymentOutcome.Expired, null),
                OrderStatus.Failed => (PaymentOutcome.Failed, null),
                // Too late: this call expires the order itself, so pay and expiry have one outcome.
                _ when order.PayBy <= now.ToUnixTimeMilliseconds() => (PaymentOutcome.Expired, End(connection, transaction, order, OrderStatus.Expired, now)),
                _ => (SetPaid(connection, transaction, orderId, now), null),
            };
        }));

    public Task<(CancelOutcome Outcome, EndedOrder? Cancelled)> CancelAsync(long orderId, CancellationToken cancellationToken) =>
        Task.FromResult(db.InTransaction<(CancelOutcome, EndedOrder?)>((connection, transaction) =>
        {
            var order = LockedOrder(connection, transaction, orderId);
            return order?.Status switch
            {
                null => (CancelOutcome.NotFound, null),
                OrderStatus.Cancelled => (CancelOutcome.AlreadyCancelled, null),
                OrderStatus.Paid => (CancelOutcome.Paid, null),
                OrderStatus.Expired => (CancelOutcome.Expired, null),
                OrderStatus.Failed => (CancelOutcome.Failed, null),
                _ => (CancelOutcome.Cancelled, End(connection, transaction, order, OrderStatus.Cancelled, time.GetUtcNow())),
            };
        }));

    public Task<IReadOnlyList<EndedOrder>> ExpireDueAsync(int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<EndedOrder>>(db.InTransaction((connection, transaction) =>
        {
            var now = time.GetUtcNow();
            foreach (var saleId in connection.Query<long>(
                "SELECT DISTINCT sale_id FROM orders WHERE status = 'awaiting_payment' AND pay_by <= @now ORDER BY sale_id",
                new { now = now.ToUnixTimeMilliseconds() }, transaction).ToList())
            {
                LockSale(connection, transaction, saleId);
            }
            var due = connection.Query<OrderRow>(
                $"""
                SELECT {RowColumns} FROM orders
                WHERE status = 'awaiting_payment' AND pay_by <= @now ORDER BY pay_by LIMIT @limit{db.ForUpdate}
                """, new { now = now.ToUnixTimeMilliseconds(), limit }, transaction).ToList();
            return due.Select(order => End(connection, transaction, order, OrderStatus.Expired, now)).ToList();
        }));

    public Task<SaleOrderCounts> CountAsync(long saleId, CancellationToken cancellationToken)
    {
        using var connection = db.Open();
        var sold = connection.ExecuteScalar<long?>("SELECT sold FROM sales WHERE id = @saleId", new { saleId }) ?? 0;
        var units = connection.Query<UnitsRow>(
                "SELECT status AS Status, SUM(quantity) AS Units FROM orders WHERE sale_id = @saleId GROUP BY status", new { saleId })
            .ToDictionary(row => row.Status, row => (long)row.Units);
        long Units(string status) => units.GetValueOrDefault(status);
        return Task.FromResult(new SaleOrderCounts(sold, Units(OrderStatus.AwaitingPayment), Units(OrderStatus.Paid),
            Units(OrderStatus.Cancelled), Units(OrderStatus.Expired), Units(OrderStatus.Failed)));
    }

    public Task<IReadOnlyList<(long OrderId, long UserId, int Quantity)>> ListActiveAsync(long saleId, CancellationToken cancellationToken)
    {
        using var connection = db.Open();
        var rows = connection.Query<OrderRow>(
            $"SELECT {RowColumns} FROM orders WHERE sale_id = @saleId AND status IN ('awaiting_payment', 'paid')", new { saleId });
        return Task.FromResult<IReadOnlyList<(long, long, int)>>(rows.Select(row => (row.Id, row.UserId, (int)row.Quantity)).ToList());
    }

    public Task<long> RecomputeSoldAsync(long saleId, CancellationToken cancellationToken)
    {
        using var connection = db.Open();
        using var transaction = db.Begin(connection);
        var active = connection.ExecuteScalar<decimal?>(
            "SELECT SUM(quantity) FROM orders WHERE sale_id = @saleId AND status IN ('awaiting_payment', 'paid')", new { saleId }, transaction) ?? 0;
        connection.Execute("UPDATE sales SET sold = @sold WHERE id = @saleId", new { sold = (long)active, saleId }, transaction);
        transaction.Commit();
        return Task.FromResult((long)active);
    }

    public Task<long> MaxOrderIdAsync(CancellationToken cancellationToken)
    {
        using var connection = db.Open();
        return Task.FromResult(connection.ExecuteScalar<long?>("SELECT MAX(id) FROM orders") ?? 0);
    }

    public Task PingAsync(CancellationToken cancellationToken)
    {
        using var connection = db.Open();
        connection.ExecuteScalar<long>("SELECT COUNT(*) FROM schema_version");
        return Task.CompletedTask;
    }

    // Locks are always taken sale row first, then order rows (as the order writer's guarded update
    // then insert does): pay, cancel and expiry racing on one sale queue instead of deadlocking.
    private OrderRow? LockedOrder(DbConnection connection, DbTransaction transaction, long orderId)
    {
        if (connection.ExecuteScalar<long?>("SELECT sale_id FROM orders WHERE id = @orderId", new { orderId }, transaction) is not { } saleId)
        {
            return null;
        }
        LockSale(connection, transaction, saleId);
        return connection.QuerySingleOrDefault<OrderRow>($"SELECT {RowColumns} FROM orders WHERE id = @orderId{db.ForUpdate}", new { orderId }, transaction);
    }

    private void LockSale(DbConnection connection, DbTransaction transaction, long saleId) =>
        connection.ExecuteScalar<long?>($"SELECT id FROM sales WHERE id = @saleId{db.ForUpdate}", new { saleId }, transaction);

    private static PaymentOutcome SetPaid(DbConnection connection, DbTransaction transaction, long orderId, DateTimeOffset now)
    {
        connection.Execute("UPDATE orders SET status = 'paid', updated_at = @now WHERE id = @orderId",
            new { now = now.ToUnixTimeMilliseconds(), orderId }, transaction);
        return PaymentOutcome.Paid;
    }

    /// <summary>Ends an active order and takes its units off the sale's sold counter, in the caller's transaction.</summary>
    private static EndedOrder End(DbConnection connection, DbTransaction transaction, OrderRow order, string status, DateTimeOffset now)
    {
        connection.Execute("UPDATE orders SET status = @status, updated_at = @now WHERE id = @Id",
            new { status, now = now.ToUnixTimeMilliseconds(), order.Id }, transaction);
        connection.Execute("UPDATE sales SET sold = sold - @Quantity WHERE id = @SaleId", new { order.Quantity, order.SaleId }, transaction);
        return new EndedOrder(order.Id, order.SaleId, order.UserId, (int)order.Quantity);
    }

    private sealed class UnitsRow
    {
        public string Status { get; set; } = "";
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

        public Order ToOrder() => new(Id, SaleId, UserId, (int)Quantity, AmountCents, Status, Reason,
            DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), PayBy is { } payBy ? DateTimeOffset.FromUnixTimeMilliseconds(payBy) : null);
    }
}
