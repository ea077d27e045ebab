using System.Data;
using System.Data.Common;
using Dapper;

namespace Seckill.Web.Storage.Sql;

/// <summary>
/// The orders database as the SQL stores see it (<see cref="SqlOrderStore"/>, <see cref="SqlSaleStore"/>,
/// <see cref="SqlBlacklistStore"/>): SQLite in embedded mode, MySQL (MariaDB) in clustered mode.
/// The stores' SQL is common to both; this class holds the few places where they differ.
/// </summary>
/// <remarks>Implementations are thread-safe: every caller opens its own (pooled) connection.</remarks>
public abstract class SqlDatabase
{
    /// <summary>An open connection; the caller disposes it.</summary>
    public abstract DbConnection Open();

    /// <summary>
    /// A transaction in which a row read with <see cref="ForUpdate"/> stays as read until commit,
    /// so read-then-update is atomic against every other writer.
    /// </summary>
    public abstract DbTransaction Begin(DbConnection connection);

    /// <summary>Appended to a SELECT of rows the transaction is about to change (row lock where the database has them).</summary>
    public abstract string ForUpdate { get; }

    /// <summary>Whether the insert was refused by a unique index (for orders: the one active order per user per sale).</summary>
    public abstract bool IsUniqueViolation(DbException error);

    /// <summary>
    /// Whether the transaction was chosen as a deadlock victim or timed out waiting for a lock:
    /// nothing of it happened, and running it again is the cure.
    /// </summary>
    public abstract bool IsTransient(DbException error);

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction of its own and commits it, again from the
    /// start (up to a few times) when the database refuses it as <see cref="IsTransient"/>.
    /// </summary>
    public T InTransaction<T>(Func<DbConnection, DbTransaction, T> work)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var connection = Open();
                using var transaction = Begin(connection);
                var result = work(connection, transaction);
                transaction.Commit();
                return result;
            }
            catch (DbException e) when (attempt < 5 && IsTransient(e))
            {
                // Deadlock victim: the other transaction goes on; this one starts over.
            }
        }
    }

    /// <summary>Inserts the sale row (parameters as <see cref="SqlSaleStore"/> names them) and selects its new id.</summary>
    public abstract string InsertSaleReturningId { get; }

    /// <summary>Inserts <c>@userId, @at</c> into the blacklist unless the user is on it already.</summary>
    public abstract string InsertBlacklistEntryUnlessPresent { get; }

    /// <summary>Creates or migrates the schema to the current version, recorded in <c>schema_version</c>.</summary>
    public abstract void Migrate();

    /// <summary>The versions applied so far, oldest first.</summary>
    public IReadOnlyList<int> AppliedVersions()
    {
        using var connection = Open();
        return connection.Query<int>("SELECT version FROM schema_version ORDER BY version").AsList();
    }

    /// <summary>Runs each step above the stored version and records it; <paramref name="transaction"/> may be null where DDL cannot be transactional.</summary>
    protected static void ApplyMigrations(DbConnection connection, IDbTransaction? transaction, IReadOnlyList<string> migrations)
    {
        var current = Dapper.SqlMapper.ExecuteScalar<long?>(connection, "SELECT MAX(version) FROM schema_version", transaction: transaction) ?? 0;
        for (var version = (int)current + 1; version <= migrations.Count; version++)
        {
            Dapper.SqlMapper.Execute(connection, migrations[version - 1], transaction: transaction);
            Dapper.SqlMapper.Execute(connection, "INSERT INTO schema_version (version, applied_at) VALUES (@version, @now)",
                new { version, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, transaction);
        }
    }
}
