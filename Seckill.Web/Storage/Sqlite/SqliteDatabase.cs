using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

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
public sealed class SqliteDatabase
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
    ];

    private readonly string _connectionString;

    public SqliteDatabase(IOptions<StorageOptions> options)
    {
        var path = System.IO.Path.GetFullPath(options.Value.SqlitePath);
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    public void Migrate()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        using var connection = Open();
        // WAL lets readers run beside the writer; FULL makes every commit durable before a 201.
        connection.Execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
        connection.Execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at INTEGER NOT NULL)");
        using var transaction = connection.BeginTransaction();
        var current = connection.ExecuteScalar<long?>("SELECT MAX(version) FROM schema_version", transaction: transaction) ?? 0;
        for (var version = (int)current + 1; version <= Migrations.Length; version++)
        {
            connection.Execute(Migrations[version - 1], transaction: transaction);
            connection.Execute("INSERT INTO schema_version (version, applied_at) VALUES (@version, @now)",
                new { version, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, transaction);
        }
        transaction.Commit();
    }
}
