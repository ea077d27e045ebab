using System.Data;
using System.Data.Common;
using Dapper;
using MySqlConnector;
using Seckill.Web.Storage.Sql;

namespace Seckill.Web.Storage.MySql;

/// <summary>
/// The clustered mode's orders database (MySQL 8 or MariaDB 10.11+), shared by every instance.
/// </summary>
/// <remarks>
/// Thread-safe: every caller opens its own (pooled) connection. Transactions run at READ
/// COMMITTED; rows about to change are read <c>FOR UPDATE</c>, and the sale's <c>sold</c> counter
/// only ever changes through guarded updates, so nothing depends on snapshot reads.
/// MySqlConnector is asynchronous all the way: a call waiting on MySQL holds no thread.
/// </remarks>
public sealed class MySqlDatabase(string connectionString) : SqlDatabase
{
    // Each entry is one schema version; append, never edit a shipped one. MySQL commits DDL as
    // it goes, so a crash can land between a step and its version row: from version 2 on, each
    // step is one statement, and one that finds its work done is taken as applied (see
    // IsAlreadyApplied); the first was written to be re-run (IF NOT EXISTS).
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE IF NOT EXISTS sales (
            id             BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
            sku            VARCHAR(64)  NOT NULL,
            name           VARCHAR(200) NOT NULL,
            price_cents    BIGINT       NOT NULL,
            total_stock    INT          NOT NULL,
            sold           INT          NOT NULL DEFAULT 0,
            starts_at      BIGINT       NOT NULL,
            ends_at        BIGINT       NOT NULL,
            per_user_limit INT          NOT NULL,
            require_token  BOOLEAN      NOT NULL DEFAULT FALSE,
            created_at     BIGINT       NOT NULL,
            -- The last line against overselling, under the guarded update of the order writer.
            CONSTRAINT ck_sales_sold CHECK (sold >= 0 AND sold <= total_stock),
            KEY ix_sales_ends (ends_at)
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
        CREATE TABLE IF NOT EXISTS orders (
            id             BIGINT      NOT NULL PRIMARY KEY,
            sale_id        BIGINT      NOT NULL,
            user_id        BIGINT      NOT NULL,
            quantity       INT         NOT NULL,
            amount_cents   BIGINT      NOT NULL,
            status         VARCHAR(20) NOT NULL,
            reason         VARCHAR(40) NULL,
            created_at     BIGINT      NOT NULL,
            pay_by         BIGINT      NULL,
            updated_at     BIGINT      NOT NULL,
            -- MySQL has no partial index: the user id only while the order is active, NULL
            -- otherwise (NULLs never collide), gives one active order per user per sale.
            active_user_id BIGINT AS (CASE WHEN status IN ('awaiting_payment', 'paid') THEN user_id END) STORED,
            UNIQUE KEY ux_orders_active_user (sale_id, active_user_id),
            KEY ix_orders_due (status, pay_by),
            KEY ix_orders_sale (sale_id, status),
            CONSTRAINT fk_orders_sale FOREIGN KEY (sale_id) REFERENCES sales (id)
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
        CREATE TABLE IF NOT EXISTS blacklist (
            user_id  BIGINT NOT NULL PRIMARY KEY,
            added_at BIGINT NOT NULL
        ) ENGINE = InnoDB;
        -- Every run of a background job, for the ops dashboard (jobs issue).
        CREATE TABLE IF NOT EXISTS job_runs (
            id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
            job         VARCHAR(40) NOT NULL,
            instance_id INT         NOT NULL,
            started_at  BIGINT      NOT NULL,
            duration_ms BIGINT      NOT NULL,
            outcome     VARCHAR(20) NOT NULL,
            figures     TEXT        NULL,
            KEY ix_job_runs_job (job, started_at)
        ) ENGINE = InnoDB;
        """,
        // 2. The cluster's identity: every Redis key is under it (RedisConnections), so Redis data
        // of another database (a reset, a restore) is never taken for this one's.
        """
        CREATE TABLE IF NOT EXISTS cluster (
            one        INT         NOT NULL PRIMARY KEY,
            id         VARCHAR(32) NOT NULL,
            created_at BIGINT      NOT NULL,
            CONSTRAINT ck_cluster_one CHECK (one = 1)
        ) ENGINE = InnoDB
        """,
        "INSERT IGNORE INTO cluster (one, id, created_at) VALUES (1, REPLACE(UUID(), '-', ''), UNIX_TIMESTAMP() * 1000)",
        // 4. Each sale's pool (IStockPool), in a row of its own so that moving stock never waits
        // for the order writer's lock on the sale row; moves are in the ledger; orders name their shard.
        """
        CREATE TABLE IF NOT EXISTS stock_pools (
            sale_id BIGINT NOT NULL PRIMARY KEY,
            units   BIGINT NOT NULL,
            CONSTRAINT ck_stock_pools_units CHECK (units >= 0),
            CONSTRAINT fk_stock_pools_sale FOREIGN KEY (sale_id) REFERENCES sales (id)
        ) ENGINE = InnoDB
        """,
        "ALTER TABLE orders ADD COLUMN shard_id INT NOT NULL DEFAULT 0",
        "CREATE INDEX ix_orders_shard ON orders (shard_id, sale_id, status)",
        """
        CREATE TABLE IF NOT EXISTS stock_moves (
            id         BIGINT NOT NULL PRIMARY KEY,
            sale_id    BIGINT NOT NULL,
            from_shard INT    NULL,
            to_shard   INT    NULL,
            units      BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            landed_at  BIGINT NULL,
            KEY ix_stock_moves_sale (sale_id, landed_at),
            KEY ix_stock_moves_to (to_shard, sale_id),
            KEY ix_stock_moves_from (from_shard, sale_id),
            CONSTRAINT fk_stock_moves_pool FOREIGN KEY (sale_id) REFERENCES stock_pools (sale_id)
        ) ENGINE = InnoDB
        """,
        // Sales from before the ledger: every unsold unit starts in the pool, and their orders
        // came from shard 0, so the ledger gets the move that put those units there (id -sale).
        "INSERT IGNORE INTO stock_pools (sale_id, units) SELECT id, total_stock - sold FROM sales",
        """
        INSERT IGNORE INTO stock_moves (id, sale_id, from_shard, to_shard, units, created_at, landed_at)
        SELECT -sale_id, sale_id, NULL, 0, SUM(quantity), UNIX_TIMESTAMP() * 1000, UNIX_TIMESTAMP() * 1000 FROM orders
        WHERE status IN ('awaiting_payment', 'paid', 'cancelled', 'expired') GROUP BY sale_id
        """,
        // 5. job_runs (version 1) was never written: the background jobs keep their history in
        // their scheduler's own storage.
        "DROP TABLE IF EXISTS job_runs",
        // 6. A move out of a shard is recorded before its units leave it (taken = 0) and carries
        // them once the shard has sent them (taken = 1); moves out of the pool are taken at once.
        "ALTER TABLE stock_moves ADD COLUMN taken TINYINT NOT NULL DEFAULT 1",
        // 7. A buyer's own orders, newest first (GET /api/me/orders).
        "CREATE INDEX ix_orders_user ON orders (user_id, id)",
        // 8. A sale's units by status and by shard (the admin stock view, and the stock sampler of
        // every instance every Ops:StockSampleInterval) are summed from this index, not the rows.
        "CREATE INDEX ix_orders_sale_stock ON orders (sale_id, status, shard_id, quantity)",
        // It begins with ix_orders_sale's columns, which only cost the order writer one index more.
        "DROP INDEX ix_orders_sale ON orders",
    ];

    private readonly string _connectionString = connectionString;

    protected override async Task<DbConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = new MySqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public override async Task<DbTransaction> BeginAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await ((MySqlConnection)connection).BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);

    public override string ForUpdate => " FOR UPDATE";

    public override bool IsUniqueViolation(DbException error) => error is MySqlException { ErrorCode: MySqlErrorCode.DuplicateKeyEntry };

    public override bool IsTransient(DbException error) =>
        error is MySqlException { ErrorCode: MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout };

    public override string LastInsertedId => "LAST_INSERT_ID()";

    // A step whose work a crash left done: the column, index or constraint is already there.
    protected override bool IsAlreadyApplied(DbException error) =>
        error is MySqlException { ErrorCode: MySqlErrorCode.DuplicateFieldName or MySqlErrorCode.DuplicateKeyName or MySqlErrorCode.CannotDropFieldOrKey };

    public override string InsertBlacklistEntryUnlessPresent => "INSERT IGNORE INTO blacklist (user_id, added_at) VALUES (@userId, @at)";

    /// <summary>
    /// Migrates under a named lock, so instances starting together take turns; the first one
    /// does the work and the others find it done.
    /// </summary>
    public override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        if (await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT GET_LOCK('seckill_schema', 60)", cancellationToken: cancellationToken)) != 1)
        {
            throw new TimeoutException("Another instance has held the schema lock for 60 s.");
        }
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL) ENGINE = InnoDB",
                cancellationToken: cancellationToken));
            await ApplyMigrationsAsync(connection, null, Migrations, cancellationToken);
        }
        finally
        {
            await connection.ExecuteAsync("SELECT RELEASE_LOCK('seckill_schema')");
        }
    }
}
