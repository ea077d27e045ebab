using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Seckill.Web.Http;

/// <summary>
/// Reads a small JSON request body with a hard size cap, turning every way it can be wrong
/// (too big, not JSON, wrong types, unknown fields where refused) into a coded problem.
/// </summary>
/// <remarks>
/// We read the body ourselves rather than let minimal APIs bind it, because the framework's
/// binding failure is a bare 400 without a <c>code</c>, and because the cap must hold in every
/// host (the test server does not enforce Kestrel's body limit).
/// </remarks>
public static class JsonBody
{
    /// <summary>Our request bodies are a few hundred bytes; 16 KiB leaves room and refuses junk early.</summary>
    public const int MaxBytes = 16 * 1024;

    private static ProblemHttpResult TooLarge() => ApiProblem.Create(StatusCodes.Status413PayloadTooLarge, "body_too_large",
        "The request body is too large.", $"Request bodies are limited to {MaxBytes} bytes.");

    private static ProblemHttpResult NotJson() => ApiProblem.Create(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
        "The request body must be JSON.", "Send Content-Type: application/json.");

    private static ProblemHttpResult Empty() => ApiProblem.BadRequest("invalid_json", "The request body is empty.");

    /// <summary>
    /// The body could not be read as HTTP frames it (bad chunk sizes, a body shorter than
    /// announced that stalls, too slow): Kestrel says which status fits (400, 408, 413).
    /// </summary>
    private static ProblemHttpResult Unreadable(BadHttpRequestException e) =>
        e.StatusCode == StatusCodes.Status413PayloadTooLarge
            ? TooLarge()
            : ApiProblem.Create(e.StatusCode, ApiProblem.DefaultCode(e.StatusCode), "The request body could not be read.", e.Message);

    public static async ValueTask<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type)
        where T : class
    {
        if (request.ContentLength > MaxBytes)
        {
            return (null, TooLarge());
        }
        if (!request.HasJsonContentType())
        {
            return (null, NotJson());
        }

        var buffer = ArrayPool<byte>.Shared.Rent(MaxBytes + 1);
        try
        {
            var length = 0;
            while (true)
            {
                var read = await request.Body.ReadAsync(buffer.AsMemory(length, buffer.Length - length), request.HttpContext.RequestAborted);
                if (read == 0)
                {
                    break;
                }
                length += read;
                if (length > MaxBytes)
                {
                    return (null, TooLarge());
                }
            }
            if (length == 0)
            {
                return (null, Empty());
            }
            try
            {
                var value = JsonSerializer.Deserialize(buffer.AsSpan(0, length), type);
                return value is null ? (null, Empty()) : (value, null);
            }
            catch (JsonException e)
            {
                return (null, ApiProblem.BadRequest("invalid_json", Describe(e)));
            }
        }
        catch (BadHttpRequestException e)
        {
            return (null, Unreadable(e));
        }
        catch (IOException e) when (e.InnerException is OverflowException)
        {
            // Kestrel's chunk parser reports a chunk size beyond 32 bits this way instead of as a
            // BadHttpRequestException; it is the same malformed frame.
            return (null, ApiProblem.BadRequest("bad_request", e.Message));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // System.Text.Json messages name the JSON path and the expected type, which is what a
    // client needs; they never echo the body itself.
    private static string Describe(JsonException e) =>
        e.Path is null or "$" ? "The request body is not valid JSON." : $"Invalid or wrongly typed value at '{e.Path}'.";
}
