namespace Seckill.Web.Http;

public static class ProblemResponses
{
    /// <summary>
    /// Gives every response the framework produces on its own (unhandled exception, unknown
    /// route, wrong method, auth failure) a problem body with a <c>code</c>, like ours.
    /// </summary>
    public static IServiceCollection AddProblemResponses(this IServiceCollection services)
    {
        // A request Kestrel could not read (bad framing, too slow, too large) is the client's
        // fault: it gets its own status (400, 408, 413), wherever the body happened to be read.
        services.Configure<ExceptionHandlerOptions>(options => options.StatusCodeSelector =
            error => error is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError);
        return services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var extensions = context.ProblemDetails.Extensions;
            if (!extensions.ContainsKey("code"))
            {
                extensions["code"] = ApiProblem.DefaultCode(context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode);
            }
        });
    }

    public static WebApplication UseProblemResponses(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseMiddleware<BareStatusProblems>();
        return app;
    }
}
