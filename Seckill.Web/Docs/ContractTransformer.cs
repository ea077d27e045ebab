using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;
using Seckill.Web.Http;
using Seckill.Web.Security;

namespace Seckill.Web.Docs;

/// <summary>
/// Completes each operation of the document from its endpoint's metadata and <see cref="RouteContracts"/>:
/// who may call it, its request body, every problem it can answer (as <c>application/problem+json</c>
/// with the list of its <c>code</c>s), and a tag. Runs only while the document is generated.
/// </summary>
public sealed partial class ContractTransformer : IOpenApiOperationTransformer
{
    public const string ProblemContentType = "application/problem+json";

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        // A group's own route ("/api/orders/{id}" + "") comes with a trailing slash the document's path has not.
        var route = RouteKey(description.HttpMethod ?? "GET", "/" + description.RelativePath?.TrimEnd('/'));
        return ApplyAsync(operation, route, description.ActionDescriptor.EndpointMetadata, context.Document!,
            type => context.GetOrCreateSchemaAsync(type, cancellationToken: cancellationToken));
    }

    /// <summary>How <see cref="RouteContracts"/> names a route.</summary>
    public static string RouteKey(string method, string path) => method.ToUpperInvariant() + " " + path;

    /// <summary>Who may call a route, as its authorization metadata (or its contract) says.</summary>
    public enum Access { Anonymous, SignedIn, Admin }

    public static Access AccessOf(IEnumerable<object> metadata, RouteContract? contract)
    {
        if (metadata.OfType<IAllowAnonymous>().Any())
        {
            return Access.Anonymous;
        }
        var authorize = metadata.OfType<IAuthorizeData>().ToList();
        if (authorize.Any(data => data.Policy == SeckillClaims.AdminPolicy ||
                                  (data.Roles?.Split(',').Contains(SeckillClaims.AdminRole) ?? false)))
        {
            return Access.Admin;
        }
        return authorize.Count > 0 || metadata.OfType<AuthorizationPolicy>().Any() || contract?.SignedIn == true ? Access.SignedIn : Access.Anonymous;
    }

    internal static async Task ApplyAsync(OpenApiOperation operation, string route, IEnumerable<object> metadata, OpenApiDocument document,
        Func<Type, Task<OpenApiSchema>> schemaOf)
    {
        DocumentTransformer.AddComponents(document);
        RouteContracts.ByRoute.TryGetValue(route, out var contract);
        var path = route[(route.IndexOf(' ') + 1)..];
        var access = AccessOf(metadata, contract);
        var problems = new List<ProblemCode>(contract?.Problems ?? []);

        // Every id in a route ({id}, {userId}) is parsed by Http/RouteIds, which refuses what is not a
        // positive 64-bit integer.
        if (IdParameter().IsMatch(path))
        {
            problems.Add(new(StatusCodes.Status400BadRequest, "invalid_id"));
        }
        if (contract?.Body is { } body)
        {
            var schema = await schemaOf(body);
            if (contract.Required is { } members)
            {
                schema.Required = new HashSet<string>(members);
            }
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = Component(document, body.Name, schema) },
                },
            };
        }
        // A handler that can return a ValidationProblem answers it with validation_failed (Http/ApiProblem.Validation).
        if (metadata.OfType<IProducesResponseTypeMetadata>().Any(produces => produces.Type == typeof(HttpValidationProblemDetails)))
        {
            problems.Add(new(StatusCodes.Status400BadRequest, "validation_failed"));
        }
        // A body declared here, or by the route itself (.Accepts<T>()), is read with Http/JsonBody: its refusals.
        if (contract?.Body is not null || metadata.OfType<IAcceptsMetadata>().Any())
        {
            problems.Add(new(StatusCodes.Status400BadRequest, "invalid_json"));
            problems.Add(new(StatusCodes.Status413PayloadTooLarge, "body_too_large"));
            problems.Add(new(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type"));
        }
        if (access != Access.Anonymous)
        {
            // The bearer handler's challenge (Security/SecuritySetup): no token, a bad one, an expired one.
            problems.Add(new(StatusCodes.Status401Unauthorized, "unauthorized"));
            problems.Add(new(StatusCodes.Status401Unauthorized, "invalid_token"));
            problems.Add(new(StatusCodes.Status401Unauthorized, "token_expired"));
            // Not an admin; or, on buyer routes, a valid token whose "sub" is not a user id.
            problems.Add(new(StatusCodes.Status403Forbidden, "forbidden"));
        }
        // Gate/RateLimits: every route that does not opt out is limited per address (and the
        // purchase per buyer too).
        if (!metadata.OfType<DisableRateLimitingAttribute>().Any())
        {
            problems.Add(new(StatusCodes.Status429TooManyRequests, "rate_limited", RetryAfter: true));
        }

        DescribeAccess(operation, access, document);
        operation.Responses ??= [];
        // The framework guesses a 500 for handlers that can return a ProblemHttpResult; ours use it
        // for the refusals listed here, and an unexpected failure is not part of any route's contract.
        operation.Responses.Remove("500");
        if (contract?.Text == true)
        {
            operation.Responses["200"] = new OpenApiResponse
            {
                Description = "OK",
                Content = new Dictionary<string, OpenApiMediaType> { ["text/plain"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } } },
            };
        }
        foreach (var group in problems.GroupBy(problem => problem.Status).OrderBy(group => group.Key))
        {
            operation.Responses[group.Key.ToString(CultureInfo.InvariantCulture)] = ProblemResponse(group.Key, group.ToList(), document);
        }
        // A problem status the framework inferred from a typed result, with no code listed above:
        // the framework's own answer for it carries the default code (Http/ProblemResponses).
        foreach (var (status, response) in operation.Responses.ToList())
        {
            if (int.TryParse(status, CultureInfo.InvariantCulture, out var code) && code >= 400 && !problems.Any(problem => problem.Status == code))
            {
                operation.Responses[status] = ProblemResponse(code, [new(code, ApiProblem.DefaultCode(code))], document, response.Description);
            }
        }

        // Listed by status, as a reader looks them up.
        var sorted = operation.Responses.OrderBy(response => response.Key, StringComparer.Ordinal).ToList();
        operation.Responses.Clear();
        foreach (var (status, response) in sorted)
        {
            operation.Responses[status] = response;
        }

        var tag = TagOf(path);
        operation.Tags = new HashSet<OpenApiTagReference> { new(tag, document) };
    }

    /// <summary>
    /// The bearer requirement, with the role it needs: OpenAPI 3.1 lets a non-OAuth scheme list
    /// the roles an operation requires where OAuth lists scopes. Anonymous routes require nothing.
    /// </summary>
    private static void DescribeAccess(OpenApiOperation operation, Access access, OpenApiDocument document)
    {
        var who = access switch
        {
            Access.Admin => "Admins only: a bearer token with `role: admin`.",
            Access.SignedIn => "Any signed-in buyer: a bearer token whose `sub` is the user id.",
            _ => "Anonymous.",
        };
        operation.Description = operation.Description is { Length: > 0 } existing ? existing + "\n\n" + who : who;
        if (access == Access.Anonymous)
        {
            operation.Security = [];
            return;
        }
        operation.Security =
        [
            new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(DocumentTransformer.BearerScheme, document)] = access == Access.Admin ? [SeckillClaims.AdminRole] : [],
            },
        ];
    }

    /// <summary>A problem response: the shared <c>Problem</c> schema, its <c>code</c> narrowed to these.</summary>
    private static OpenApiResponse ProblemResponse(int status, IReadOnlyList<ProblemCode> codes, OpenApiDocument document, string? description = null)
    {
        var names = codes.Select(problem => problem.Code).Distinct().ToList();
        var response = new OpenApiResponse
        {
            Description = $"{description ?? ReasonPhrase(status)}: {string.Join(", ", names.Select(name => $"`{name}`"))}",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [ProblemContentType] = new()
                {
                    Schema = new OpenApiSchema
                    {
                        AllOf =
                        [
                            new OpenApiSchemaReference(DocumentTransformer.ProblemSchema, document),
                            new OpenApiSchema
                            {
                                Type = JsonSchemaType.Object,
                                Properties = new Dictionary<string, IOpenApiSchema>
                                {
                                    ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = names.Select(name => (JsonNode)JsonValue.Create(name)).ToList() },
                                },
                            },
                        ],
                    },
                },
            },
        };
        var retried = codes.Where(problem => problem.RetryAfter).Select(problem => $"`{problem.Code}`").ToList();
        if (retried.Count > 0)
        {
            response.Headers = new Dictionary<string, IOpenApiHeader>
            {
                ["Retry-After"] = new OpenApiHeader
                {
                    Description = $"Seconds to wait before trying again (with {string.Join(", ", retried)}).",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
                },
            };
        }
        return response;
    }

    private static string ReasonPhrase(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";

    /// <summary>The schema as a component of the document (one definition, referenced by name).</summary>
    private static OpenApiSchemaReference Component(OpenApiDocument document, string name, OpenApiSchema schema)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas.TryAdd(name, schema);
        return new OpenApiSchemaReference(name, document);
    }

    [GeneratedRegex(@"\{(id|[a-z]\w*Id)\}")]
    private static partial Regex IdParameter();

    /// <summary>Operations grouped by who calls them: <c>/api/admin/…</c> is Admin, <c>/api/sales/…</c> Sales, <c>/health/…</c> Health.</summary>
    internal static string TagOf(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var first = segments.Length > 1 && segments[0] == "api" ? segments[1] : segments.FirstOrDefault() ?? "api";
        return char.ToUpperInvariant(first[0]) + first[1..];
    }
}
