using System.Globalization;

namespace Seckill.Web.Http;

/// <summary>A refusal with a <c>Retry-After</c> header (seconds), both made once.</summary>
public sealed class RetryLater(int seconds, CachedProblem problem) : IResult, IStatusCodeHttpResult
{
    private readonly string _seconds = seconds.ToString(CultureInfo.InvariantCulture);

    public int? StatusCode => problem.StatusCode;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.Headers.RetryAfter = _seconds;
        return problem.ExecuteAsync(httpContext);
    }
}
