using Microsoft.Extensions.DependencyInjection.Extensions;
using Seckill.Web.Stock;

namespace Seckill.Web.Cluster;

/// <summary>
/// What concerns more than one instance: this instance's identity (<see cref="InstanceOptions"/>,
/// <see cref="IdGenerator"/>), which shard is where (<see cref="IShardRouter"/>), its heartbeat in
/// the instance registry, and the sold-out broadcast.
/// </summary>
public static class ClusterSetup
{
    /// <summary>
    /// After the storage, which registers where the instances meet (<see cref="IInstanceRegistry"/>,
    /// <see cref="IClusterChannel"/>): the shared Redis, or in embedded mode a cluster of one in process.
    /// </summary>
    public static WebApplicationBuilder AddCluster(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<InstanceOptions>().BindConfiguration(InstanceOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ClusterOptions>().BindConfiguration(ClusterOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SellRates>();
        services.AddSingleton<IdGenerator>();
        services.AddSingleton<IShardRouter, ShardRouter>();

        services.AddSingleton<SoldOutBroadcast>();
        services.AddSingleton<ISoldOutBroadcast>(provider => provider.GetRequiredService<SoldOutBroadcast>());
        services.AddSingleton<InstanceHeartbeat>();

        // Started after the storage's startup (which connects the shared Redis).
        services.AddHostedService(provider => provider.GetRequiredService<SoldOutBroadcast>());
        services.AddHostedService(provider => provider.GetRequiredService<InstanceHeartbeat>());
        return builder;
    }
}
