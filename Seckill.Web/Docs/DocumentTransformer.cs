using System.Reflection;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.OpenApi;

namespace Seckill.Web.Docs;

/// <summary>
/// The document as a whole: its title, the bearer scheme, the shared <c>Problem</c> schema, and the
/// routes the framework cannot describe (mapped without a handler method, like <c>/health/ready</c>).
/// </summary>
public sealed class DocumentTransformer(EndpointDataSource endpoints) : IOpenApiDocumentTransformer
{
    public const string BearerScheme = "Bearer";
    public const string ProblemSchema = "Problem";

    public async Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Seckill";
        document.Info.Description =
            "A flash-sale engine. Every error is `application/problem+json` with a machine-readable `code`; every id in a body is a JSON string. " +
            "Sign in with `Authorization: Bearer <JWT>` (HS256; `sub` is the user id, `role: admin` marks admins).";
        AddComponents(document);
        await AddUndescribedRoutesAsync(document, context, cancellationToken);

        // The operations' tags (ContractTransformer), in place of the framework's (one per class of handlers).
        document.Tags = new SortedSet<OpenApiTag>(
            (document.Paths ?? []).Keys.Select(ContractTransformer.TagOf).Distinct().Select(tag => new OpenApiTag { Name = tag }),
            Comparer<OpenApiTag>.Create((a, b) => string.CompareOrdinal(a.Name, b.Name)));
        // Every problem response refers to Problem (ContractTransformer replaced them all): the
        // framework's own problem schemas are left unused.
        document.Components?.Schemas?.Remove("ProblemDetails");
        document.Components?.Schemas?.Remove("HttpValidationProblemDetails");
    }

    /// <summary>The components the operations refer to; added once, whichever transformer comes first.</summary>
    internal static void AddComponents(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes.TryAdd(BearerScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "HS256 JWT signed with `Auth:SigningKey`; `sub` is the user id (a positive integer), `role: admin` marks admins. " +
                          "`Seckill.Web token --user 42 [--admin]` mints one.",
        });
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas.TryAdd(ProblemSchema, new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "RFC 9457 problem details with the `code` that tells the refusals apart.",
            Required = new HashSet<string> { "status", "code" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What went wrong, for programs: e.g. `sold_out`." },
                ["orderId"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Description = "With `already_purchased`: the order the buyer holds; with `sold_out` or `order_failed` after a reservation: the order that could not be recorded.",
                },
                ["errors"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "With `validation_failed`: the messages for each invalid field.",
                    AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                },
            },
        });
    }

    /// <summary>
    /// The framework describes only routes with a handler method; a route mapped with a bare
    /// request delegate (health checks) is added here, from its metadata and its contract.
    /// </summary>
    private async Task AddUndescribedRoutesAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var endpoint in endpoints.Endpoints.OfType<RouteEndpoint>())
        {
            var metadata = endpoint.Metadata;
            if (metadata.GetMetadata<MethodInfo>() is not null || metadata.GetMetadata<IHttpMethodMetadata>() is not { } methods ||
                metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is { ExcludeFromDescription: true })
            {
                continue;
            }
            var path = PathOf(endpoint.RoutePattern);
            document.Paths ??= [];
            if (!document.Paths.TryGetValue(path, out var item))
            {
                item = new OpenApiPathItem();
                document.Paths[path] = item;
            }
            var pathItem = (OpenApiPathItem)item;
            foreach (var method in methods.HttpMethods)
            {
                pathItem.Operations ??= [];
                var operation = new OpenApiOperation { Responses = new OpenApiResponses { ["200"] = new OpenApiResponse { Description = "OK" } } };
                pathItem.Operations[HttpMethod.Parse(method)] = operation;
                await ContractTransformer.ApplyAsync(operation, ContractTransformer.RouteKey(method, path), metadata, document,
                    type => context.GetOrCreateSchemaAsync(type, cancellationToken: cancellationToken));
            }
        }
    }

    /// <summary>A route pattern as the document writes paths: <c>/api/sales/{id}</c>.</summary>
    internal static string PathOf(RoutePattern pattern) =>
        "/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
            RoutePatternSeparatorPart separator => separator.Content,
            _ => "",
        }))));
}
