using Seckill.Web.Cluster;

namespace Seckill.Web.Allocation;

/// <summary>The allocator: moves stock between the pool and the shards, to where the buyers are.</summary>
public static class AllocationSetup
{
    public static WebApplicationBuilder AddAllocation(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AllocationOptions>().BindConfiguration(AllocationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<StockMover>();
        services.AddSingleton<Allocator>();
        services.AddSingleton<Rebalancer>();
        services.AddSingleton<Reclaimer>();
        services.AddHostedService(provider => provider.GetRequiredService<Rebalancer>());
        services.AddHostedService<EndgameListener>();
        return builder;
    }

    /// <summary>Hears end games begun or ended by other instances on the cluster's channel.</summary>
    private sealed class EndgameListener(IClusterChannel channel, Allocator allocator) : IHostedService
    {
        private readonly Func<string, Task> _listener = allocator.OnMessageAsync;

        public Task StartAsync(CancellationToken cancellationToken) => channel.SubscribeAsync(_listener);

        public Task StopAsync(CancellationToken cancellationToken) => channel.UnsubscribeAsync(_listener);
    }
}
