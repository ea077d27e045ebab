using System.Text;
using System.Text.Json;

namespace Seckill.Web.Http;

/// <summary>
/// A problem response serialised once and written as the same bytes every time. The purchase
/// path refuses most requests with a handful of fixed answers (sold out, not started, ended);
/// answering them must not allocate, so they are static instances of this type.
/// </summary>
/// <remarks>Immutable and shared by all requests.</remarks>
public sealed class CachedProblem : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    private readonly byte[] _body;

    public CachedProblem(int status, string code, string title, string detail)
    {
        StatusCode = status;
        Code = code;
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", status < 500
                ? $"https://tools.ietf.org/html/rfc9110#section-15.5.{status - 399}"
                : $"https://tools.ietf.org/html/rfc9110#section-15.6.{status - 499}");
            json.WriteString("title", title);
            json.WriteNumber("status", status);
            json.WriteString("detail", detail);
            json.WriteString("code", code);
            json.WriteEndObject();
        }
        _body = buffer.ToArray();
    }

    public int StatusCode { get; }

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public string ContentType => "application/problem+json";

    public string Code { get; }

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = ContentType;
        response.ContentLength = _body.Length;
        return response.Body.WriteAsync(_body).AsTask();
    }

    public override string ToString() => Encoding.UTF8.GetString(_body);
}
