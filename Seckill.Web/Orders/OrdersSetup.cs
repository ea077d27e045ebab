using Seckill.Web.Http;

namespace Seckill.Web.Orders;

/// <summary>
/// Orders: the writer that turns reservations into rows, their lifecycle (pay, cancel, expire),
/// and what sets a shard right from the database (recovery, replay, restock).
/// </summary>
public static class OrdersSetup
{
    public static WebApplicationBuilder AddOrders(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<OrderOptions>().BindConfiguration(OrderOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddApiJson(OrdersJson.Default);
        services.AddSingleton<DatabaseSlots>();
        services.AddSingleton<OrderReads>();
        services.AddSingleton<OrderLifecycle>();
        services.AddSingleton<OrderWriter>();
        services.AddSingleton<PaymentWriter>();
        services.AddSingleton<ReservationReplay>();
        services.AddSingleton<Restock>();
        services.AddSingleton<ShardRecovery>();
        services.AddSingleton<ShardRejoin>();

        // Started after the storage's and the cluster's, in this order, before the first request:
        // the shard is set from the database, then its unconfirmed reservations are written, then
        // the writer takes new ones.
        services.AddHostedService<StartupRecovery>();
        services.AddHostedService(provider => provider.GetRequiredService<ReservationReplay>());
        services.AddHostedService(provider => provider.GetRequiredService<OrderWriter>());
        services.AddHostedService(provider => provider.GetRequiredService<PaymentWriter>());
        services.AddHostedService<RejoinWatch>();
        return builder;
    }
}
