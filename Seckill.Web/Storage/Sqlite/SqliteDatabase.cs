using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Seckill.Web.Storage.Sql;

namespace Seckill.Web.Storage.Sqlite;

/// <summary>
/// The embedded mode's database file: opens connections and migrates the schema, recording
/// each applied step in <c>schema_version</c>.
/// </summary>
/// <remarks>
/// Thread-safe: every caller opens its own (pooled) connection. SQLite serialises writers;
/// transactions here are <c>BEGIN IMMEDIATE</c> (Microsoft.Data.Sqlite's default), so a
/// read-then-update inside one is atomic against every other writer.
/// </remarks>
public sealed class SqliteDatabase : SqlDatabase
{
    // Each entry is one schema version; append, never edit a shipped one.
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE sales (
            id             INTEGER PRIMARY KEY AUTOINCREMENT,
            sku            TEXT    NOT NULL,
            name           TEXT    NOT NULL,
            price_cents    INTEGER NOT NULL,
            total_stock    INTEGER NOT NULL,
            sold           INTEGER NOT NULL DEFAULT 0,
            starts_at      INTEGER NOT NULL,
            ends_at        INTEGER NOT NULL,
            per_user_limit INTEGER NOT NULL,
            created_at     INTEGER NOT NULL,
            -- The last line against overselling, under the guarded update of the order writer.
            CHECK (sold >= 0 AND sold <= total_stock)
        );
        CREATE TABLE orders (
            id           INTEGER PRIMARY KEY,
            sale_id      INTEGER NOT NULL REFERENCES sales (id),
            user_id      INTEGER NOT NULL,
            quantity     INTEGER NOT NULL,
            amount_cents INTEGER NOT NULL,
            status       TEXT    NOT NULL,
            reason       TEXT,
            created_at   INTEGER NOT NULL,
            pay_by       INTEGER,
            updated_at   INTEGER NOT NULL
        );
        -- One active order per user per sale.
        CREATE UNIQUE INDEX ux_orders_active_user ON orders (sale_id, user_id) WHERE status IN ('awaiting_payment', 'paid');
        -- The expiry job's scan.
        CREATE INDEX ix_orders_due ON orders (pay_by) WHERE status = 'awaiting_payment';
        CREATE INDEX ix_orders_sale ON orders (sale_id, status);
        """,
        """
        -- Sales whose purchases need a token from GET /api/sales/{id}/token.
        ALTER TABLE sales ADD COLUMN require_token INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE blacklist (
            user_id  INTEGER PRIMARY KEY,
            added_at INTEGER NOT NULL
        );
        """,
        """
        -- The cluster's identity (one per database; the embedded mode has no Redis to guard, but
        -- the schema is the same in both modes).
        CREATE TABLE cluster (
            one        INTEGER PRIMARY KEY CHECK (one = 1),
            id         TEXT    NOT NULL,
            created_at INTEGER NOT NULL
        );
        INSERT INTO cluster (one, id, created_at) VALUES (1, lower(hex(randomblob(16))), CAST(strftime('%s', 'now') AS INTEGER) * 1000);
        -- Each sale's pool (IStockPool), in a row of its own as in MySQL; moves are in the ledger;
        -- orders name their shard.
        CREATE TABLE stock_pools (
            sale_id INTEGER PRIMARY KEY REFERENCES sales (id),
            units   INTEGER NOT NULL CHECK (units >= 0)
        );
        ALTER TABLE orders ADD COLUMN shard_id INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX ix_orders_shard ON orders (shard_id, sale_id, status);
        CREATE TABLE stock_moves (
            id         INTEGER PRIMARY KEY,
            sale_id    INTEGER NOT NULL REFERENCES stock_pools (sale_id),
            from_shard INTEGER,
            to_shard   INTEGER,
            units      INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            landed_at  INTEGER
        );
        CREATE INDEX ix_stock_moves_sale ON stock_moves (sale_id, landed_at);
        CREATE INDEX ix_stock_moves_to ON stock_moves (to_shard, sale_id);
        CREATE INDEX ix_stock_moves_from ON stock_moves (from_shard, sale_id);
        -- Sales from before the ledger: every unsold unit starts in the pool, and their orders
        -- came from shard 0, so the ledger gets the move that put those units there (id -sale).
        INSERT INTO stock_pools (sale_id, units) SELECT id, total_stock - sold FROM sales;
        INSERT INTO stock_moves (id, sale_id, from_shard, to_shard, units, created_at, landed_at)
        SELECT -sale_id, sale_id, NULL, 0, SUM(quantity), 0, 0 FROM orders
        WHERE status IN ('awaiting_payment', 'paid', 'cancelled', 'expired') GROUP BY sale_id;
        """,
        // A move out of a shard is recorded before its units leave it (taken = 0) and carries
        // them once the shard has sent them (taken = 1); moves out of the pool are taken at once.
        "ALTER TABLE stock_moves ADD COLUMN taken INTEGER NOT NULL DEFAULT 1;",
        // A buyer's own orders, newest first (GET /api/me/orders).
        "CREATE INDEX ix_orders_user ON orders (user_id, id);",
        // A sale's units by status and by shard (the admin stock view, the stock sampler) are
        // summed from this index, not the rows; it begins with ix_orders_sale's columns.
        """
        CREATE INDEX ix_orders_sale_stock ON orders (sale_id, status, shard_id, quantity);
        DROP INDEX ix_orders_sale;
        """,
    ];

    private readonly string _connectionString;

    /// <param name="file">The database file; a relative path is taken from the working directory.</param>
    public SqliteDatabase(string file)
    {
        var path = System.IO.Path.GetFullPath(file);
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = BusyTimeoutMs / 1000,
        }.ToString();
    }

    public string Path { get; }

    /// <summary>How long a connection waits for SQLite's write lock (<c>PRAGMA busy_timeout</c>), as <c>DefaultTimeout</c>.</summary>
    public const int BusyTimeoutMs = 30_000;

    // Microsoft.Data.Sqlite runs these calls synchronously (SQLite is in-process); the await is cheap.
    protected override async Task<DbConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        // SQLite's own wait for the write lock (it retries after 1, 2, 5, 10 ms...), not the
        // driver's: Microsoft.Data.Sqlite answers a busy lock by sleeping 150 ms before it looks
        // again, so a refill or a job that met the order writer's transaction, or the writer that
        // met theirs, waited 150 ms for a lock held 20 (BENCHMARKS.md section 18).
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA busy_timeout = {BusyTimeoutMs}";
        command.ExecuteNonQuery();
        return connection;
    }

    // BEGIN IMMEDIATE: the write lock is taken at once, so every read inside is already exclusive.
    public override Task<DbTransaction> BeginAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    public override bool HasOneWriteLock => true;

    public override string ForUpdate => "";

    // SQLITE_CONSTRAINT; the orders table's only constraints an insert can break are the
    // unique ones (the sale row is always there by then).
    public override bool IsUniqueViolation(DbException error) => error is SqliteException { SqliteErrorCode: 19 };

    // Writers queue on SQLite's one lock (DefaultTimeout) instead of deadlocking.
    public override bool IsTransient(DbException error) => false;

    public override string LastInsertedId => "last_insert_rowid()";

    public override string InsertBlacklistEntryUnlessPresent =>
        "INSERT INTO blacklist (user_id, added_at) VALUES (@userId, @at) ON CONFLICT (user_id) DO NOTHING";

    public override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        await using var connection = await OpenAsync(cancellationToken);
        // WAL lets readers run beside the writer; FULL makes every commit durable before a 201.
        await connection.ExecuteAsync("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
        await connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at INTEGER NOT NULL)");
        await using var transaction = await BeginAsync(connection, cancellationToken);
        await ApplyMigrationsAsync(connection, transaction, Migrations, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
