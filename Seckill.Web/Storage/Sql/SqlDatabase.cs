using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Dapper;

namespace Seckill.Web.Storage.Sql;

/// <summary>
/// The orders database as the SQL stores see it (<see cref="SqlOrderStore"/>, <see cref="SqlSaleStore"/>,
/// <see cref="SqlBlacklistStore"/>): SQLite in embedded mode, MySQL (MariaDB) in clustered mode.
/// The stores' SQL is common to both; this class holds the few places where they differ.
/// </summary>
/// <remarks>
/// Implementations are thread-safe: every caller opens its own (pooled) connection. Every call is
/// asynchronous: with MySqlConnector it waits on the network without a thread; Microsoft.Data.Sqlite
/// completes its calls synchronously (SQLite is a library in this process), which is why the
/// buyers' database calls are bounded (<c>Orders/DatabaseSlots</c>).
/// </remarks>
public abstract class SqlDatabase
{
    /// <summary>
    /// An open connection; the caller disposes it. The time until it is closed is the duration of
    /// <paramref name="operation"/> (the calling store method) in <see cref="StorageMetrics"/>.
    /// </summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken, [CallerMemberName] string operation = "")
    {
        var started = Stopwatch.GetTimestamp();
        var connection = await ConnectAsync(cancellationToken);
        StorageMetrics.TimeUntilClosed(connection, operation, started);
        return connection;
    }

    /// <summary>A new open connection of this database's driver.</summary>
    protected abstract Task<DbConnection> ConnectAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A transaction in which a row read with <see cref="ForUpdate"/> stays as read until commit,
    /// so read-then-update is atomic against every other writer.
    /// </summary>
    public abstract Task<DbTransaction> BeginAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// Whether every write transaction takes one lock of the whole database (SQLite), rather than
    /// locks of the rows it changes (MySQL): writers then gain by taking turns (<see cref="Orders.WriterThreads"/>).
    /// </summary>
    public virtual bool HasOneWriteLock => false;

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
    public async Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken,
        [CallerMemberName] string operation = "")
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await OpenAsync(cancellationToken, operation);
                await using var transaction = await BeginAsync(connection, cancellationToken);
                var result = await work(connection, transaction);
                await transaction.CommitAsync(cancellationToken);
                return result;
            }
            catch (DbException e) when (attempt < 5 && IsTransient(e))
            {
                // Deadlock victim: the other transaction goes on; this one starts over.
            }
        }
    }

    /// <summary>The id the connection's last insert generated, as an SQL expression.</summary>
    public abstract string LastInsertedId { get; }

    /// <summary>Inserts <c>@userId, @at</c> into the blacklist unless the user is on it already.</summary>
    public abstract string InsertBlacklistEntryUnlessPresent { get; }

    /// <summary>Creates or migrates the schema to the current version, recorded in <c>schema_version</c>.</summary>
    public abstract Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>The cluster's identity, created with the schema: namespaces every Redis key of the cluster.</summary>
    public async Task<string> ClusterIdAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string>(new CommandDefinition("SELECT id FROM cluster", cancellationToken: cancellationToken))
            ?? throw new InvalidOperationException("The database has no cluster identity: its schema was not migrated.");
    }

    /// <summary>Whether a migration step failed only because its work is already done (a re-run after a crash).</summary>
    protected virtual bool IsAlreadyApplied(DbException error) => false;

    /// <summary>The versions applied so far, oldest first.</summary>
    public async Task<IReadOnlyList<int>> AppliedVersionsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return (await connection.QueryAsync<int>(new CommandDefinition(
            "SELECT version FROM schema_version ORDER BY version", cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Runs each step above the stored version and records it; <paramref name="transaction"/> may be null where DDL cannot be transactional.</summary>
    protected async Task ApplyMigrationsAsync(DbConnection connection, IDbTransaction? transaction, IReadOnlyList<string> migrations,
        CancellationToken cancellationToken)
    {
        var current = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT MAX(version) FROM schema_version", transaction: transaction, cancellationToken: cancellationToken)) ?? 0;
        for (var version = (int)current + 1; version <= migrations.Count; version++)
        {
            try
            {
                await connection.ExecuteAsync(new CommandDefinition(migrations[version - 1], transaction: transaction, cancellationToken: cancellationToken));
            }
            catch (DbException e) when (IsAlreadyApplied(e))
            {
            }
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO schema_version (version, applied_at) VALUES (@version, @now)",
                new { version, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));
        }
    }
}
