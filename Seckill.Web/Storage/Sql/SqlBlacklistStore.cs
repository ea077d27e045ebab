using Dapper;
using Seckill.Web.Gate;

namespace Seckill.Web.Storage.Sql;

/// <summary>The blacklist in the SQL database of either mode.</summary>
public sealed class SqlBlacklistStore(SqlDatabase db) : IBlacklistStore
{
    public async Task<BlacklistEntry> AddAsync(long userId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        // Adding twice keeps the first date: the entry says since when the user is refused.
        var addedAt = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            db.InsertBlacklistEntryUnlessPresent + "; SELECT added_at FROM blacklist WHERE user_id = @userId;",
            new { userId, at = at.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
        return new BlacklistEntry(userId, DateTimeOffset.FromUnixTimeMilliseconds(addedAt));
    }

    public async Task<bool> RemoveAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM blacklist WHERE user_id = @userId", new { userId }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task<BlacklistEntry?> FindAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var addedAt = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT added_at FROM blacklist WHERE user_id = @userId", new { userId }, cancellationToken: cancellationToken));
        return addedAt is { } at ? new BlacklistEntry(userId, DateTimeOffset.FromUnixTimeMilliseconds(at)) : null;
    }

    public async Task<IReadOnlyList<BlacklistEntry>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long UserId, long AddedAt)>(new CommandDefinition(
            "SELECT user_id, added_at FROM blacklist ORDER BY user_id", cancellationToken: cancellationToken));
        return rows.Select(row => new BlacklistEntry(row.UserId, DateTimeOffset.FromUnixTimeMilliseconds(row.AddedAt))).ToList();
    }
}
