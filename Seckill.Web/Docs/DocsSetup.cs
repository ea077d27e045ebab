using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace Seckill.Web.Docs;

/// <summary>
/// The API's description: the OpenAPI document at <c>/openapi/v1.json</c> (<c>Microsoft.AspNetCore.OpenApi</c>)
/// and the Scalar reference page at <c>/scalar</c> that reads it.
/// </summary>
/// <remarks>
/// The document is built from every route's own metadata (its handler's typed results, its
/// authorization), completed here in one place (<see cref="RouteContracts"/>, <see cref="ContractTransformer"/>)
/// rather than route by route in the features. Nothing of it runs per request: it is generated
/// when <c>/openapi/v1.json</c> is asked for, and only then.
/// </remarks>
public static class DocsSetup
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string ScalarPath = "/scalar";

    public static WebApplicationBuilder AddDocs(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DocsOptions>().BindConfiguration(DocsOptions.Section)
            .Validate(docs => docs.Scalar != true || docs.OpenApi,
                "Docs:Scalar is true but Docs:OpenApi is false: the reference page reads the OpenAPI document.")
            .ValidateOnStart();
        builder.Services.AddOpenApi(openApi =>
        {
            openApi.AddDocumentTransformer<DocumentTransformer>();
            openApi.AddOperationTransformer<ContractTransformer>();
            openApi.AddSchemaTransformer<SchemaTransformer>();
        });
        return builder;
    }

    public static WebApplication MapDocs(this WebApplication app)
    {
        var docs = app.Services.GetRequiredService<IOptions<DocsOptions>>().Value;
        if (!docs.OpenApi)
        {
            return app;
        }
        // Anonymous, and limited per address like any route: generating the document costs a few
        // milliseconds of CPU, and a page load asks for it once.
        app.MapOpenApi(DocumentPath);
        if (docs.ScalarServed(app.Environment))
        {
            app.MapScalarApiReference(ScalarPath, scalar =>
            {
                scalar.Title = "Seckill API";
                scalar.OpenApiRoutePattern = DocumentPath;
                // The page loads nothing from elsewhere: its script is served from the binary, and
                // without these it would fetch fonts from a CDN, report usage to Scalar, and offer
                // its hosted tools (AI chat, SDK generation, deployment) on our API.
                scalar.DefaultFonts = false;
                scalar.Telemetry = false;
                scalar.ShowDeveloperTools = DeveloperToolsVisibility.Never;
                scalar.Agent = new ScalarAgentOptions { Disabled = true };
                scalar.AddPreferredSecuritySchemes(DocumentTransformer.BearerScheme);
            });
        }
        return app;
    }
}
