using Microsoft.Extensions.DependencyInjection.Extensions;
using Seckill.Web.Allocation;
using Seckill.Web.Jobs;
using Seckill.Web.Orders;
using Seckill.Web.Purchasing;
using Seckill.Web.Sales;
using Seckill.Web.Stock;

namespace Seckill.Web;

public static class FlashSaleSetup
{
    /// <summary>The parts above storage, the same in every mode: sales, stock, checkout, order writer, jobs.</summary>
    public static WebApplicationBuilder AddFlashSale(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<InstanceOptions>().BindConfiguration(InstanceOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<OrderOptions>().BindConfiguration(OrderOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AllocationOptions>().BindConfiguration(AllocationOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton<IdGenerator>();
        services.AddSingleton<SaleCatalog>();
        services.AddSingleton<SalePublisher>();
        services.AddSingleton<SaleStatusReader>();
        services.AddSingleton<SoldOutBoard>();
        services.AddSingleton<Allocator>();
        services.AddSingleton<Restock>();
        services.AddSingleton<Checkout>();
        services.AddSingleton<DatabaseSlots>();
        services.AddSingleton<OrderLifecycle>();
        services.AddSingleton<OrderWriter>();
        services.AddSingleton<ReservationReplay>();
        services.AddSingleton<ShardRecovery>();

        // Started after the storage's own startup services, in this order: the shard is set from
        // the database, then its unconfirmed reservations are written, before the first request.
        services.AddHostedService<StockStartup>();
        services.AddHostedService(provider => provider.GetRequiredService<ReservationReplay>());
        services.AddHostedService(provider => provider.GetRequiredService<OrderWriter>());
        services.AddHostedService<ExpiryJob>();
        services.AddHostedService<DemoSale>();
        return builder;
    }

    public static WebApplication MapFlashSale(this WebApplication app)
    {
        app.MapSales();
        app.MapStock();
        app.MapPurchasing();
        app.MapOrders();
        return app;
    }
}
