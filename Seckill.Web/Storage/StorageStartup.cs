using Seckill.Web.Storage.Sql;

namespace Seckill.Web.Storage;

/// <summary>Creates or migrates the database before anything else starts.</summary>
public sealed class StorageStartup(SqlDatabase db) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => db.MigrateAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
