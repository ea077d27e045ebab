namespace Seckill.Web.Jobs;

/// <summary>Background work on a schedule: expiring unpaid orders.</summary>
public static class JobsSetup
{
    public static WebApplicationBuilder AddJobs(this WebApplicationBuilder builder)
    {
        builder.Services.AddHostedService<ExpiryJob>();
        return builder;
    }
}
