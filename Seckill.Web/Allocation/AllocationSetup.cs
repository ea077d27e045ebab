namespace Seckill.Web.Allocation;

/// <summary>The allocator: moves stock from the pool to the shards where buyers are.</summary>
public static class AllocationSetup
{
    public static WebApplicationBuilder AddAllocation(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AllocationOptions>().BindConfiguration(AllocationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<Allocator>();
        return builder;
    }
}
