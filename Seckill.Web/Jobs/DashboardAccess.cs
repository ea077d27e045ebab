using Hangfire.Dashboard;
using Seckill.Web.Security;

namespace Seckill.Web.Jobs;

/// <summary>
/// The dashboard is for admins only: a browser in an admin session (<see cref="AdminSession"/>),
/// or a caller whose bearer token names an admin. Replaces Hangfire's default, which lets any
/// local request in.
/// </summary>
public sealed class DashboardAccess(AdminSession sessions) : IDashboardAsyncAuthorizationFilter
{
    public async Task<bool> AuthorizeAsync(DashboardContext context)
    {
        var http = context.GetHttpContext();
        return http.User.IsAdmin() || await sessions.IsAdminAsync(http);
    }
}
