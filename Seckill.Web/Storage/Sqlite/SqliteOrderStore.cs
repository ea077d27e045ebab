using Dapper;
using Microsoft.Data.Sqlite;
using Seckill.Web.Orders;

namespace Seckill.Web.Storage.Sqlite;

/// <summary>Orders in the embedded SQLite file. See <see cref="IOrderStore"/> for the contract of each call.</summary>
public sealed class SqliteOrderStore(SqliteDatabase db, TimeProvider time) : IOrderStore
{
    private const int SqliteConstraint = 19;

    public Task<IReadOnlyList<OrderWrite>> WriteAsync(IReadOnlyList<Reservation> batch, TimeSpan paymentTimeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = db.Open();
        using var transaction = connection.BeginTransaction();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var writes = new OrderWrite[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var r = batch[i];
            var written = connection.QuerySingleOrDefault<OrderRow>(
                "SELECT sale_id AS SaleId, user_id AS UserId, quantity AS Quantity, status AS Status, reason AS Reason FROM orders WHERE id = @OrderId",
                new { r.OrderId }, transaction);
            writes[i] = written switch
            {
                null => WriteOne(connection, transaction, r, Math.Max(r.CreatedAtMs, now) + (long)paymentTimeout.TotalMilliseconds, now),
                // The same id with other contents is not a replay: two instances share an
                // instance id, or a clock went back. Never report someone else's order as ours.
                _ when written.SaleId != r.SaleId || written.UserId != r.UserId || written.Quantity != r.Quantity =>
                    new OrderWrite(r, false, OrderWrite.IdCollision),
                // A replay: report what was written the first time, write nothing.
                { Status: OrderStatus.Failed } => new OrderWrite(r, false, written.Reason),
                _ => new OrderWrite(r, true, null),
            };
        }
        transaction.Commit();
        return Task.FromResult<IReadOnlyList<OrderWrite>>(writes);
    }

    private static OrderWrite WriteOne(SqliteConnection connection, SqliteTransaction transaction, Reservation r, long payBy, long now)
    {
        // Each row in its own savepoint, so that one refused row does not undo the batch.
        transaction.Save("row");
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
                transaction.Release("row");
                return new OrderWrite(r, true, null);
            }
            refusal = OrderWrite.SoldOut;
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SqliteConstraint)
        {
            refusal = OrderWrite.AlreadyPurchased;
        }
        transaction.Rollback("row");
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
        catch (SqliteException e) when (e.SqliteErrorCode == SqliteConstraint)
        {
            // Not even the failed row fits (the sale row is gone): the refusal stands without it,
            // rather than a row that can never be written blocking every batch behind it.
            transaction.Rollback("row");
        }
        transaction.Release("row");
        return new OrderWrite(r, false, refusal, existing);
    }

    public async Task<Order?> FindAsync(long orderId, CancellationToken cancellationToken)
    {
        await using var connection = db.Open();
        var row = await connection.QuerySingleOrDefaultAsync<OrderRow>(new CommandDefinition(
            """
            SELECT id AS Id, sale_id AS SaleId, user_id AS UserId, quantity AS Quantity, amount_cents AS AmountCents,
                   status AS Status, reason AS Reason, created_at AS CreatedAt, pay_by AS PayBy
            FROM orders WHERE id = @orderId
            """, new { orderId }, cancellationToken: cancellationToken));
        return row?.ToOrder();
    }

    public Task<(PaymentOutcome Outcome, EndedOrder? Expired)> PayAsync(long orderId, CancellationToken cancellationToken)
    {
        using var connection = db.Open();
        using var transaction = connection.BeginTransaction();
        var now = time.GetUtcNow();
        var order = LockedRow(connection, transaction, orderId);
        (PaymentOutcome, EndedOrder?) result = order?.Status switch
        {
            null => (PaymentOutcome.NotFound, null),
            OrderStatus.Paid => (PaymentOutcome.AlreadyPaid, null),
            OrderStatus.Cancelled => (PaymentOutcome.Cancelled, null),
            OrderStatus.Expired => (PaymentOutcome.Expired, null),
            OrderStatus.Failed => (PaymentOutcome.Failed, null),
            // Too late: this call expires the order itself, so pay and expiry have one outcome.
            _ when order.PayBy <= now.ToUnixTimeMilliseconds() => (PaymentOutcome.Expired, End(connection, transaction, order, OrderStatus.Expired, now)),
            _ => (SetStatus(connection, transaction, orderId, OrderStatus.Paid, now), null),
        };
        transaction.Commit();
        return Task.FromResult(result);
    }

    public Task<(CancelOutcome Outcome, EndedOrder? Cancelled)> CancelAsync(long orderId, CancellationToken cancellationToken)
    {
        using var connection = db.Open();
        using var transaction = connection.BeginTransaction();
        var now = time.GetUtcNow();
        var order = LockedRow(connection, transaction, orderId);
        (CancelOutcome, EndedOrder?) result = order?.Status switch
        {
            null => (CancelOutcome.NotFound, null),
            OrderStatus.Cancelled => (CancelOutcome.AlreadyCancelled, null),
            OrderStatus.Paid => (CancelOutcome.Paid, null),
            OrderStatus.Expired => (CancelOutcome.Expired, null),
            OrderStatus.Failed => (CancelOutcome.Failed, null),
            _ => (CancelOutcome.Cancelled, End(connection, transaction, order, OrderStatus.Cancelled, now)),
        };
        transaction.Commit();
        return Task.FromResult(result);
    }

    public Task<IReadOnlyList<EndedOrder>> ExpireDueAsync(int limit, CancellationToken cancellationToken)
    {
        using var connection = db.Open();
        using var transaction = connection.BeginTransaction();
        var now = time.GetUtcNow();
        var due = connection.Query<OrderRow>(
            """
            SELECT id AS Id, sale_id AS SaleId, user_id AS UserId, quantity AS Quantity, status AS Status, pay_by AS PayBy
            FROM orders WHERE status = 'awaiting_payment' AND pay_by <= @now ORDER BY pay_by LIMIT @limit
            """, new { now = now.ToUnixTimeMilliseconds(), limit }, transaction).ToList();
        var expired = new List<EndedOrder>(due.Count);
        foreach (var order in due)
        {
            expired.Add(End(connection, transaction, order, OrderStatus.Expired, now));
        }
        transaction.Commit();
        return Task.FromResult<IReadOnlyList<EndedOrder>>(expired);
    }

    public async Task<SaleOrderCounts> CountAsync(long saleId, CancellationToken cancellationToken)
    {
        await using var connection = db.Open();
        var sold = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT sold FROM sales WHERE id = @saleId", new { saleId }, cancellationToken: cancellationToken)) ?? 0;
        var units = (await connection.QueryAsync<(string Status, long Units)>(new CommandDefinition(
            "SELECT status, SUM(quantity) FROM orders WHERE sale_id = @saleId GROUP BY status", new { saleId }, cancellationToken: cancellationToken)))
            .ToDictionary(row => row.Status, row => row.Units);
        long Units(string status) => units.GetValueOrDefault(status);
        return new SaleOrderCounts(sold, Units(OrderStatus.AwaitingPayment), Units(OrderStatus.Paid),
            Units(OrderStatus.Cancelled), Units(OrderStatus.Expired), Units(OrderStatus.Failed));
    }

    public async Task<IReadOnlyList<(long OrderId, long UserId, int Quantity)>> ListActiveAsync(long saleId, CancellationToken cancellationToken)
    {
        await using var connection = db.Open();
        var rows = await connection.QueryAsync<(long, long, long)>(new CommandDefinition(
            "SELECT id, user_id, quantity FROM orders WHERE sale_id = @saleId AND status IN ('awaiting_payment', 'paid')",
            new { saleId }, cancellationToken: cancellationToken));
        return rows.Select(row => (row.Item1, row.Item2, (int)row.Item3)).ToList();
    }

    public async Task<long> RecomputeSoldAsync(long saleId, CancellationToken cancellationToken)
    {
        await using var connection = db.Open();
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            UPDATE sales SET sold = (SELECT COALESCE(SUM(quantity), 0) FROM orders
                                     WHERE sale_id = @saleId AND status IN ('awaiting_payment', 'paid'))
            WHERE id = @saleId;
            SELECT sold FROM sales WHERE id = @saleId;
            """, new { saleId }, cancellationToken: cancellationToken));
    }

    public async Task<long> MaxOrderIdAsync(CancellationToken cancellationToken)
    {
        await using var connection = db.Open();
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT MAX(id) FROM orders", cancellationToken: cancellationToken)) ?? 0;
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var connection = db.Open();
        await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM schema_version", cancellationToken: cancellationToken));
    }

    // Inside a BEGIN IMMEDIATE transaction this read is already exclusive of other writers.
    private static OrderRow? LockedRow(SqliteConnection connection, SqliteTransaction transaction, long orderId) =>
        connection.QuerySingleOrDefault<OrderRow>(
            """
            SELECT id AS Id, sale_id AS SaleId, user_id AS UserId, quantity AS Quantity, status AS Status, pay_by AS PayBy
            FROM orders WHERE id = @orderId
            """, new { orderId }, transaction);

    private static PaymentOutcome SetStatus(SqliteConnection connection, SqliteTransaction transaction, long orderId, string status, DateTimeOffset now)
    {
        connection.Execute("UPDATE orders SET status = @status, updated_at = @now WHERE id = @orderId",
            new { status, now = now.ToUnixTimeMilliseconds(), orderId }, transaction);
        return PaymentOutcome.Paid;
    }

    /// <summary>Ends an active order and takes its units off the sale's sold counter, in the caller's transaction.</summary>
    private static EndedOrder End(SqliteConnection connection, SqliteTransaction transaction, OrderRow order, string status, DateTimeOffset now)
    {
        connection.Execute("UPDATE orders SET status = @status, updated_at = @now WHERE id = @Id",
            new { status, now = now.ToUnixTimeMilliseconds(), order.Id }, transaction);
        connection.Execute("UPDATE sales SET sold = sold - @Quantity WHERE id = @SaleId", new { order.Quantity, order.SaleId }, transaction);
        return new EndedOrder(order.Id, order.SaleId, order.UserId, (int)order.Quantity);
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
