using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Dashboard;
using Microsoft.Extensions.Options;

namespace Seckill.Web.Jobs;

/// <summary>
/// The job engine (Hangfire) in every instance, its jobs, and its dashboard at <c>/hangfire</c>
/// for operators (admins only).
/// </summary>
public static class JobsSetup
{
    public const string DashboardPath = "/hangfire";

    public static WebApplicationBuilder AddJobs(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // This host's storage and activator, registered before AddHangfire so that its own
        // registrations (process-wide JobStorage.Current and JobActivator.Current) do not apply.
        services.AddSingleton(provider => provider.GetRequiredService<IJobStorageSource>().Create());
        services.AddSingleton<JobActivator>(provider => new AspNetCoreJobActivator(provider.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((provider, configuration) => configuration
            .UseLogProvider(new HangfireLogs(provider.GetRequiredService<ILoggerFactory>()))
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings());

        services.AddOptions<Notifications.NotificationOptions>().BindConfiguration(Notifications.NotificationOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpClient(Notifications.NotifyJob.HttpClientName)
            .ConfigureHttpClient((provider, client) => client.Timeout = provider.GetRequiredService<IOptions<Notifications.NotificationOptions>>().Value.Timeout);
        services.AddTransient<Notifications.NotifyJob>();
        services.AddSingleton<Notifications.Notifier>();
        services.AddSingleton<Orders.IOrderEvents>(provider => provider.GetRequiredService<Notifications.Notifier>());
        services.AddTransient<ExpireJob>();
        services.AddTransient<ReconcileJob>();
        services.AddTransient<RebalanceJob>();
        services.AddTransient<ReclaimJob>();
        services.AddSingleton<ReconcileMemory>();
        services.AddSingleton<DashboardAccess>();
        services.AddSingleton<JobMetrics>();
        // Resolved by JobServer at its start, after the storage's startup (the job storage needs it).
        services.AddSingleton<RecurringJobs>();
        // After the storage's startup, which connects the store the jobs live in.
        services.AddHostedService<JobServer>();
        services.AddHostedService(provider => provider.GetRequiredService<Notifications.Notifier>());
        services.AddHostedService<ReclaimWatch>();
        return builder;
    }

    private static int _pagesAdded;

    /// <summary>Our pages in the dashboard. Hangfire keeps its routes and menu process-wide: added once.</summary>
    private static void AddOurPages()
    {
        if (Interlocked.Exchange(ref _pagesAdded, 1) == 1)
        {
            return;
        }
        DashboardRoutes.Routes.AddRazorPage(Dashboard.SalesPage.Path, _ => new Dashboard.SalesPage());
        NavigationMenu.Items.Add(page => new MenuItem("Sales", page.Url.To(Dashboard.SalesPage.Path))
        {
            Active = page.RequestPath.StartsWith(Dashboard.SalesPage.Path, StringComparison.Ordinal),
        });
    }

    /// <summary>
    /// The dashboard. Its pipeline is built at the first request rather than here: the job
    /// storage of the clustered mode exists only once the storage's startup has connected Redis.
    /// </summary>
    public static WebApplication MapJobs(this WebApplication app)
    {
        AddOurPages();
        var dashboard = new Lazy<RequestDelegate>(() =>
        {
            var services = app.Services;
            var options = new DashboardOptions
            {
                Authorization = [],
                AsyncAuthorization = [services.GetRequiredService<DashboardAccess>()],
                DashboardTitle = "Seckill jobs",
                AppPath = null,
                DisplayStorageConnectionString = false,
            };
            return ((IEndpointRouteBuilder)app).CreateApplicationBuilder()
                .UsePathBase(DashboardPath)
                .UseMiddleware<AspNetCoreDashboardMiddleware>(services.GetRequiredService<JobStorage>(), options,
                    services.GetRequiredService<Hangfire.Dashboard.RouteCollection>(), true)
                .Build();
        });
        app.Map(DashboardPath + "/{**path}", context => dashboard.Value(context)).DisableRateLimiting();
        return app;
    }
}
