using System.Data.Common;
using Dapper;

namespace Seckill.Web.Storage.Sql;

/// <summary>
/// A connection, its transaction (if any) and the caller's cancellation, so that each statement
/// of a store is one short line: Dapper's async calls with a <see cref="CommandDefinition"/> built here.
/// </summary>
internal readonly struct Sql(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
{
    private CommandDefinition Command(string sql, object? parameters) => new(sql, parameters, transaction, cancellationToken: cancellationToken);

    public Task<int> ExecuteAsync(string sql, object? parameters = null) => connection.ExecuteAsync(Command(sql, parameters));

    public Task<T?> ScalarAsync<T>(string sql, object? parameters = null) => connection.ExecuteScalarAsync<T>(Command(sql, parameters));

    public async Task<List<T>> QueryAsync<T>(string sql, object? parameters = null) => (await connection.QueryAsync<T>(Command(sql, parameters))).AsList();
}
