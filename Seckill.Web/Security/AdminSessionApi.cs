namespace Seckill.Web.Security;

public static class AdminSessionApi
{
    /// <summary><c>POST /api/admin/session</c> starts an admin's browser session (<see cref="AdminSession"/>); <c>DELETE</c> ends it.</summary>
    public static IEndpointRouteBuilder MapAdminSession(this IEndpointRouteBuilder app)
    {
        var session = app.MapGroup("/api/admin/session").DisableRateLimiting();
        session.MapPost("", (HttpContext context, AdminSession sessions) =>
        {
            sessions.Start(context);
            return TypedResults.NoContent();
        }).RequireAuthorization(SeckillClaims.AdminPolicy);
        session.MapDelete("", (HttpContext context) =>
        {
            AdminSession.End(context);
            return TypedResults.NoContent();
        });
        return app;
    }
}
