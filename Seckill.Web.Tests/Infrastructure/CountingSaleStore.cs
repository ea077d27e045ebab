using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Seckill.Web.Sales;
using Seckill.Web.Storage.Sql;

namespace Seckill.Web.Tests.Infrastructure;

/// <summary>The real sale store of the run's mode, counting the lookups it gets per sale id.</summary>
public sealed class CountingSaleStore(ISaleStore inner) : ISaleStore
{
    private readonly ConcurrentDictionary<long, int> _finds = new();

    /// <summary>Registers it in place of the service's sale store.</summary>
    public static void Install(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<ISaleStore>(provider =>
            new CountingSaleStore(ActivatorUtilities.CreateInstance<SqlSaleStore>(provider))));

    public int FindsOf(long saleId) => _finds.GetValueOrDefault(saleId);

    public IReadOnlyDictionary<long, int> Finds => _finds;

    public Task<Sale?> FindAsync(long saleId, CancellationToken cancellationToken)
    {
        _finds.AddOrUpdate(saleId, 1, (_, count) => count + 1);
        return inner.FindAsync(saleId, cancellationToken);
    }

    public Task<Sale> CreateAsync(NewSale sale, CancellationToken cancellationToken) => inner.CreateAsync(sale, cancellationToken);

    public Task<IReadOnlyList<long>> ListIdsAsync(CancellationToken cancellationToken) => inner.ListIdsAsync(cancellationToken);

    public Task<IReadOnlyList<Sale>> ListEndingAfterAsync(DateTimeOffset after, CancellationToken cancellationToken) =>
        inner.ListEndingAfterAsync(after, cancellationToken);
}
