namespace Seckill.Web.Http;

/// <summary>
/// Gives a problem body (with its <c>code</c>) to an error the framework answered without one: an
/// unknown route (404), a wrong method (405). What <c>UseStatusCodePages</c> does, without its
/// cost on every request: that middleware sets a feature and awaits the rest of the pipeline for
/// each request, which showed in the profile of the sold-out refusal; here a request that
/// completes at once (most refusals) is looked at once, synchronously.
/// </summary>
public sealed class BareStatusProblems(RequestDelegate next, IProblemDetailsService problems)
{
    public Task Invoke(HttpContext context)
    {
        var rest = next(context);
        if (!rest.IsCompletedSuccessfully)
        {
            return AfterAsync(rest, context);
        }
        return IsBare(context.Response) ? WriteAsync(context) : Task.CompletedTask;
    }

    private async Task AfterAsync(Task rest, HttpContext context)
    {
        await rest;
        if (IsBare(context.Response))
        {
            await WriteAsync(context);
        }
    }

    private static bool IsBare(HttpResponse response) =>
        response.StatusCode >= 400 && !response.HasStarted && response.ContentLength is null && string.IsNullOrEmpty(response.ContentType);

    private Task WriteAsync(HttpContext context) =>
        problems.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = { Status = context.Response.StatusCode } }).AsTask();
}
