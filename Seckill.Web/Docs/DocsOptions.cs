namespace Seckill.Web.Docs;

/// <summary>Section <c>Docs</c>: whether the API's description and its reference page are served.</summary>
public sealed class DocsOptions
{
    public const string Section = "Docs";

    /// <summary>
    /// Serve the OpenAPI document at <c>/openapi/v1.json</c>. On by default, in Production too: it
    /// tells nothing a client cannot learn by calling the API (no settings, no secrets), and a
    /// client generator or gateway in front needs it.
    /// </summary>
    public bool OpenApi { get; set; } = true;

    /// <summary>Serve the Scalar reference page at <c>/scalar</c>. Unset: in Development only.</summary>
    public bool? Scalar { get; set; }

    /// <summary>Whether the reference page is served in <paramref name="environment"/>.</summary>
    public bool ScalarServed(IHostEnvironment environment) => Scalar ?? environment.IsDevelopment();
}
