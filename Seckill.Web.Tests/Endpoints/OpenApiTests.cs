using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Seckill.Web.Security;
using Seckill.Web.Tests.Deploy;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

/// <summary>
/// <c>/openapi/v1.json</c> describes the service as it is mapped and as it answers, and README's API
/// table agrees with it; <c>/scalar</c> is served when the settings say so.
/// </summary>
public sealed partial class OpenApiTests
{
    private const string ProblemJson = "application/problem+json";

    /// <summary>
    /// Routes deliberately left out of the document, by path prefix: the document itself, the page
    /// that shows it, the jobs dashboard (a web application of its own, for admins' browsers), and
    /// the benchmark-only bare endpoint.
    /// </summary>
    private static readonly string[] NotDocumented = ["/openapi/", "/scalar", "/hangfire", "/bare/"];

    [Fact]
    public async Task TheDocumentIsOpenApi31WithoutErrors()
    {
        using var factory = new SeckillFactory();
        var (document, diagnostic) = await ReadAsync(factory);
        Assert.Empty(diagnostic.Errors.Select(error => error.ToString()));
        Assert.Equal(OpenApiSpecVersion.OpenApi3_1, diagnostic.SpecificationVersion);
        Assert.Equal("Seckill", document.Info.Title);

        // Every reference names a component the document has (the transformers add and remove some).
        using var client = factory.CreateClient();
        var json = await client.GetStringAsync("/openapi/v1.json");
        var references = Reference().Matches(json).Select(match => match.Groups["name"].Value).Distinct().ToList();
        Assert.Contains("Problem", references);
        Assert.All(references, name => Assert.Contains(name, document.Components!.Schemas!.Keys));
    }

    [Fact]
    public async Task EveryMappedRouteIsDocumentedAndNothingElse()
    {
        // Every optional route mapped, so that the exclusions are seen to work.
        using var factory = new SeckillFactory(new Dictionary<string, string?> { ["Docs:Scalar"] = "true", ["Ops:BareEndpoint"] = "true" });
        var (document, _) = await ReadAsync(factory);

        var mapped = new SortedSet<string>(StringComparer.Ordinal);
        var withoutMethod = new List<string>();
        foreach (var endpoint in factory.Get<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var path = "/" + endpoint.RoutePattern.RawText!.Trim('/');
            if (NotDocumented.Any(prefix => path.StartsWith(prefix, StringComparison.Ordinal)))
            {
                continue;
            }
            if (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is not { } methods)
            {
                // A route that answers every method is one nobody decided to document or not.
                withoutMethod.Add(path);
                continue;
            }
            mapped.UnionWith(methods.HttpMethods.Select(method => $"{method} {path}"));
        }

        Assert.Empty(withoutMethod);
        Assert.Contains("POST /api/sales/{id}/purchase", mapped);
        Assert.Contains("GET /health/ready", mapped);
        Assert.Equal(mapped, new SortedSet<string>(Operations(document).Select(operation => operation.Route), StringComparer.Ordinal));
    }

    [Fact]
    public async Task AdminRoutesRequireTheBearerWithTheAdminRoleAndBuyerRoutesTheBearer()
    {
        using var factory = new SeckillFactory();
        var (document, _) = await ReadAsync(factory);
        var operations = Operations(document).ToDictionary(operation => operation.Route, operation => operation.Operation);

        // What each route requires, from its own authorization metadata.
        var admin = new List<string>();
        var signedIn = new List<string>();
        foreach (var endpoint in factory.Get<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var authorize = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>();
            if (authorize.Count == 0 || endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is not { } methods)
            {
                continue;
            }
            var routes = methods.HttpMethods.Select(method => $"{method} /{endpoint.RoutePattern.RawText!.Trim('/')}");
            (authorize.Any(data => data.Policy == SeckillClaims.AdminPolicy) ? admin : signedIn).AddRange(routes);
        }
        Assert.True(admin.Count >= 7, string.Join(", ", admin));
        Assert.True(signedIn.Count >= 4, string.Join(", ", signedIn));

        Assert.All(admin, route => Assert.Equal([SeckillClaims.AdminRole], BearerRoles(operations[route])));
        Assert.All(signedIn, route => Assert.Equal([], BearerRoles(operations[route])));
        // The purchase checks its caller in its handler (no metadata): its contract says so.
        Assert.Equal([], BearerRoles(operations["POST /api/sales/{id}/purchase"]));
        // Anonymous routes require nothing.
        Assert.Empty(operations["GET /api/sales/{id}"].Security ?? []);
        Assert.Empty(operations["GET /health/ready"].Security ?? []);
        Assert.Empty(operations["DELETE /api/admin/session"].Security ?? []);

        var scheme = Assert.IsType<OpenApiSecurityScheme>(document.Components!.SecuritySchemes!["Bearer"]);
        Assert.Equal(SecuritySchemeType.Http, scheme.Type);
        Assert.Equal("bearer", scheme.Scheme);
        Assert.Equal("JWT", scheme.BearerFormat);
    }

    [Fact]
    public async Task ThePurchaseListsItsBodyAndEveryProblemCode()
    {
        using var factory = new SeckillFactory();
        var (document, _) = await ReadAsync(factory);
        var purchase = document.Paths["/api/sales/{id}/purchase"].Operations![HttpMethod.Post];

        var body = purchase.RequestBody!.Content!["application/json"].Schema!;
        Assert.Equal("PurchaseRequest", Assert.IsType<OpenApiSchemaReference>(body).Reference.Id);
        Assert.Equal(["201", "202", "400", "401", "403", "404", "409", "413", "415", "429", "503"], purchase.Responses!.Keys.ToArray());
        Assert.Equal(["invalid_id", "invalid_json", "invalid_quantity"], Codes(purchase, 400).Order());
        Assert.Equal(["bad_token", "blacklisted", "bot_suspected", "forbidden"], Codes(purchase, 403).Order());
        Assert.Equal(["already_purchased", "ended", "not_started", "order_failed", "sold_out"], Codes(purchase, 409).Order());
        Assert.Equal(["rate_limited"], Codes(purchase, 429));
        Assert.Equal(["overloaded", "unavailable"], Codes(purchase, 503).Order());
        Assert.Contains("Retry-After", purchase.Responses["429"].Headers!.Keys);
        Assert.Contains("Retry-After", purchase.Responses["503"].Headers!.Keys);
    }

    /// <summary>Refusals the running service really gives are among those its document lists for that route.</summary>
    [Fact]
    public async Task TheRefusalsTheServiceAnswersAreDocumented()
    {
        using var factory = new SeckillFactory();
        var (document, _) = await ReadAsync(factory);
        var sale = await factory.CreateSaleAsync(stock: 1);
        using var anonymous = factory.CreateClient();
        using var buyer = factory.ClientFor(10);
        using var other = factory.ClientFor(11);
        using var admin = factory.Admin();
        Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id)).StatusCode);

        var answers = new (string Route, HttpResponseMessage Response)[]
        {
            ("POST /api/sales/{id}/purchase", await anonymous.PurchaseAsync(sale.Id)),
            ("POST /api/sales/{id}/purchase", await other.PurchaseAsync(sale.Id)),
            ("POST /api/sales/{id}/purchase", await buyer.PurchaseAsync(sale.Id)),
            ("POST /api/sales/{id}/purchase", await other.PostAsync($"/api/sales/{sale.Id}/purchase", new StringContent("1", Encoding.UTF8, "text/plain"))),
            ("POST /api/sales/{id}/purchase", await other.PostAsync($"/api/sales/{sale.Id}/purchase", new StringContent("{", Encoding.UTF8, "application/json"))),
            ("GET /api/sales/{id}", await buyer.GetAsync("/api/sales/abc")),
            ("GET /api/sales/{id}", await buyer.GetAsync("/api/sales/987654321")),
            ("GET /api/admin/metrics", await buyer.GetAsync("/api/admin/metrics")),
            ("POST /api/orders/{id}/pay", await buyer.PostAsync("/api/orders/987654321/pay", null)),
            ("DELETE /api/admin/blacklist/{userId}", await admin.DeleteAsync("/api/admin/blacklist/77")),
            ("POST /api/admin/sales", await admin.PostAsJsonAsync("/api/admin/sales", new { sku = "x" })),
        };

        var operations = Operations(document).ToDictionary(operation => operation.Route, operation => operation.Operation);
        var seen = new List<string>();
        foreach (var (route, response) in answers)
        {
            var status = (int)response.StatusCode;
            var code = await response.ProblemCodeAsync();
            Assert.Contains(code, Codes(operations[route], status));
            seen.Add($"{status} {code}");
        }
        // The answers are the refusals meant, not one refusal many times.
        Assert.Equal(["401 unauthorized", "409 sold_out", "409 already_purchased", "415 unsupported_media_type", "400 invalid_json",
            "400 invalid_id", "404 sale_not_found", "403 forbidden", "404 order_not_found", "404 not_blacklisted", "400 validation_failed"], seen);
    }

    /// <summary>
    /// The schemas come from the features' source-generated JSON contexts: a real answer has exactly
    /// the members its schema lists, every required one, and ids as strings.
    /// </summary>
    [Fact]
    public async Task ResponseSchemasMatchWhatTheServiceWrites()
    {
        using var factory = new SeckillFactory();
        var (document, _) = await ReadAsync(factory);
        var sale = await factory.CreateSaleAsync(stock: 5);
        using var buyer = factory.ClientFor(20);
        var purchased = await buyer.PurchaseAsync(sale.Id);
        Assert.Equal(HttpStatusCode.Created, purchased.StatusCode);

        AssertMatches(document.Paths["/api/sales/{id}/purchase"].Operations![HttpMethod.Post].Responses!["201"],
            await purchased.Content.ReadFromJsonAsync<JsonElement>(), "orderId");
        AssertMatches(document.Paths["/api/sales/{id}"].Operations![HttpMethod.Get].Responses!["200"],
            await buyer.GetFromJsonAsync<JsonElement>($"/api/sales/{sale.Id}"), "id");

        var request = Schema(document.Components!.Schemas!["PurchaseRequest"]);
        Assert.Empty(request.Required ?? new HashSet<string>());
        var create = Schema(document.Components.Schemas["CreateSaleRequest"]);
        Assert.Equal(["endsAt", "name", "price", "sku", "startsAt", "stock"], create.Required!.Order());
        // Unknown members of a new sale are refused.
        Assert.False(create.AdditionalPropertiesAllowed);
    }

    /// <summary>
    /// README's API table names every documented route; every answer it names for a route, and the body
    /// it shows, are in the document.
    /// </summary>
    [Fact]
    public async Task TheReadmeApiTableAgreesWithTheDocument()
    {
        using var factory = new SeckillFactory();
        var (document, _) = await ReadAsync(factory);
        var operations = Operations(document).ToDictionary(operation => operation.Route, operation => operation.Operation);
        var rows = ReadmeApiRows();
        Assert.True(rows.Count >= 10, $"README's API table was not found ({rows.Count} rows)");

        var named = new HashSet<string>();
        foreach (var (routes, body, answers) in rows)
        {
            var documented = routes.Where(route => !NotDocumented.Any(prefix => route.Split(' ')[1].StartsWith(prefix, StringComparison.Ordinal))).ToList();
            named.UnionWith(documented);
            Assert.All(documented, route => Assert.True(operations.ContainsKey(route), $"README names {route}, which the document lacks"));
            if (documented.Count == 0)
            {
                continue;
            }
            // A body README shows ({quantity, token?}) is the documented request body, member for member.
            if (body is not null)
            {
                var operation = operations[Assert.Single(documented)];
                Assert.True(operation.RequestBody is not null, $"README gives {documented[0]} a body; the document does not");
                var members = Schema(operation.RequestBody.Content!["application/json"].Schema!).Properties!.Keys.Order();
                Assert.Equal(body.Order(), members);
            }
            foreach (var (status, code) in answers)
            {
                var answered = documented.Where(route => operations[route].Responses!.ContainsKey(status.ToString()));
                Assert.True(answered.Any(), $"README says {string.Join(", ", documented)} answers {status}; the document does not");
                if (code is not null)
                {
                    Assert.True(answered.Any(route => Codes(operations[route], status).Contains(code)),
                        $"README says {string.Join(", ", documented)} answers {status} {code}; the document does not");
                }
            }
        }
        var unnamed = operations.Keys.Except(named).ToList();
        Assert.True(unnamed.Count == 0, "README's API table does not name " + string.Join(", ", unnamed));
    }

    [Fact]
    public async Task TheReferencePageIsServedWhenEnabled()
    {
        using var factory = new SeckillFactory(new Dictionary<string, string?> { ["Docs:Scalar"] = "true" });
        using var client = factory.CreateClient();
        var page = await client.GetAsync("/scalar/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("openapi/v1.json", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/scalar/scalar.js")).StatusCode);
    }

    [Fact]
    public async Task TheReferencePageIsOffOutsideDevelopmentUnlessEnabled()
    {
        using var factory = new SeckillFactory();
        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/scalar/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/scalar")).StatusCode);
        // The document itself is on by default.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/openapi/v1.json")).StatusCode);
    }

    [Fact]
    public async Task TheReferencePageIsOnInDevelopment()
    {
        using var factory = new SeckillFactory();
        using var development = factory.WithWebHostBuilder(host => host.UseEnvironment("Development"));
        using var client = development.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/scalar/")).StatusCode);
    }

    [Fact]
    public async Task TheDocumentCanBeTurnedOff()
    {
        using var factory = new SeckillFactory(new Dictionary<string, string?> { ["Docs:OpenApi"] = "false" });
        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/openapi/v1.json")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/scalar/")).StatusCode);
    }

    [Fact]
    public void TheReferencePageWithoutTheDocumentFailsStartupNamingTheKeys()
    {
        using var factory = new SeckillFactory(new Dictionary<string, string?> { ["Docs:OpenApi"] = "false", ["Docs:Scalar"] = "true" });
        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());
        Assert.Contains("Docs:Scalar", error.Message);
        Assert.Contains("Docs:OpenApi", error.Message);
    }

    [Fact]
    public void ASettingThatIsNotABooleanFailsStartupNamingTheKey()
    {
        using var factory = new SeckillFactory(new Dictionary<string, string?> { ["Docs:Scalar"] = "sometimes" });
        var error = Assert.Throws<InvalidOperationException>(() => factory.CreateClient());
        Assert.Contains("Docs:Scalar", error.Message);
    }

    private static async Task<(OpenApiDocument Document, OpenApiDiagnostic Diagnostic)> ReadAsync(SeckillFactory factory)
    {
        using var client = factory.CreateClient();
        var response = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (document, diagnostic) = OpenApiDocument.Parse(await response.Content.ReadAsStringAsync(), OpenApiConstants.Json);
        Assert.NotNull(document);
        return (document, diagnostic!);
    }

    private static IEnumerable<(string Route, OpenApiOperation Operation)> Operations(OpenApiDocument document) =>
        document.Paths.SelectMany(path => (path.Value.Operations ?? []).Select(operation =>
            ($"{operation.Key.Method.ToUpperInvariant()} {path.Key}", operation.Value)));

    /// <summary>The roles the operation's bearer requirement names (none for any signed-in caller); fails if it has none.</summary>
    private static List<string> BearerRoles(OpenApiOperation operation)
    {
        var requirement = Assert.Single(operation.Security ?? []);
        var (scheme, roles) = Assert.Single(requirement);
        Assert.Equal("Bearer", scheme.Reference.Id);
        return roles;
    }

    /// <summary>The <c>code</c>s a problem response lists; fails if the response is not a problem.</summary>
    private static List<string> Codes(OpenApiOperation operation, int status)
    {
        Assert.True(operation.Responses!.TryGetValue(status.ToString(), out var response), $"no {status} response");
        var schema = response.Content![ProblemJson].Schema!;
        Assert.Equal("Problem", Assert.IsType<OpenApiSchemaReference>(schema.AllOf![0]).Reference.Id);
        return schema.AllOf[1].Properties!["code"].Enum!.Select(code => code.GetValue<string>()).ToList();
    }

    private static IOpenApiSchema Schema(IOpenApiSchema schema) => schema is OpenApiSchemaReference reference ? reference.Target! : schema;

    private static void AssertMatches(IOpenApiResponse response, JsonElement body, string idMember)
    {
        var schema = Schema(response.Content!["application/json"].Schema!);
        var members = body.EnumerateObject().Select(member => member.Name).ToList();
        Assert.All(members, member => Assert.Contains(member, schema.Properties!.Keys));
        Assert.All(schema.Required ?? new HashSet<string>(), member => Assert.Contains(member, members));
        Assert.Equal(JsonSchemaType.String, schema.Properties![idMember].Type);
        Assert.Equal(JsonValueKind.String, body.GetProperty(idMember).ValueKind);
    }

    /// <summary>
    /// README's API table: per row, the routes of its first cell (<c>`METHOD /path`</c>) and the members of
    /// the body it shows there (<c>`{quantity, token?}`</c>), and the answers of its second: each status, with
    /// each <c>`code`</c> that follows it (a status alone has none).
    /// </summary>
    private static List<(List<string> Routes, List<string>? Body, List<(int Status, string? Code)> Answers)> ReadmeApiRows()
    {
        var lines = File.ReadAllLines(Path.Combine(Shell.Repo, "README.md"));
        var start = Array.IndexOf(lines, "## API");
        Assert.True(start >= 0, "README has no '## API' section");
        var rows = new List<(List<string>, List<string>?, List<(int, string?)>)>();
        foreach (var line in lines.Skip(start + 1).TakeWhile(line => !line.StartsWith("## ", StringComparison.Ordinal)))
        {
            if (!line.StartsWith("| `", StringComparison.Ordinal))
            {
                continue;
            }
            var cells = line.Split('|');
            Assert.True(cells.Length == 4, $"README API row with other than two cells: {line}");
            var spans = Span().Matches(cells[1]).Select(match => match.Groups["text"].Value).ToList();
            // A route's query string (?status=&page=) is not part of its path.
            var routes = spans.Where(text => Route().IsMatch(text)).Select(text => text.Split('?')[0]).ToList();
            var body = spans.FirstOrDefault(text => text.StartsWith('{'))?.Trim('{', '}').Split(',')
                .Select(member => member.Trim().TrimEnd('?')).ToList();
            var answers = new List<(int, string?)>();
            int? status = null;
            foreach (Match token in Answer().Matches(cells[2]))
            {
                if (token.Groups["status"].Success)
                {
                    status = int.Parse(token.Groups["status"].Value);
                    answers.Add((status.Value, null));
                }
                // Words in code spans after a success (`status` `upcoming`) are values, not problem codes.
                else if (status >= 400 && ProblemCode().IsMatch(token.Groups["text"].Value))
                {
                    answers.Add((status.Value, token.Groups["text"].Value));
                }
            }
            rows.Add((routes, body, answers));
        }
        return rows;
    }

    [GeneratedRegex(@"""\$ref"":\s*""#/components/schemas/(?<name>[^""]+)""")]
    private static partial Regex Reference();

    [GeneratedRegex("`(?<text>[^`]*)`")]
    private static partial Regex Span();

    [GeneratedRegex(@"^(GET|POST|PUT|PATCH|DELETE|HEAD) /\S*$")]
    private static partial Regex Route();

    /// <summary>A code span (kept whole, so numbers inside it are not statuses) or a status (2xx to 5xx: "pageSize 1–100" is none).</summary>
    [GeneratedRegex(@"`(?<text>[^`]*)`|\b(?<status>[2-5]\d\d)\b")]
    private static partial Regex Answer();

    [GeneratedRegex("^[a-z]+(_[a-z]+)*$")]
    private static partial Regex ProblemCode();
}
