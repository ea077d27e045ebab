using System.Text.Json.Serialization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Seckill.Web.Docs;

/// <summary>
/// Makes the schemas say what the API's JSON rules (<c>Http/ApiJson</c>) do, where the generated
/// schema follows the serializer's options too literally.
/// </summary>
public sealed class SchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        // Ids carry WriteAsString | AllowReadingFromString: they are always written as strings
        // (order ids are above 2^53), so a client must read them as strings, not "integer or string".
        if (context.JsonPropertyInfo?.NumberHandling is { } handling && handling.HasFlag(JsonNumberHandling.WriteAsString) &&
            schema.Type is { } type && type.HasFlag(JsonSchemaType.String))
        {
            schema.Type = JsonSchemaType.String;
            schema.Format = null;
            schema.Description ??= "An integer, written as a JSON string.";
        }
        // A nullable member may be left out: requests default it (quantity 1, no token), and
        // responses omit it when it has no value (DefaultIgnoreCondition = WhenWritingNull). The
        // generator marks every constructor parameter required.
        if (context.JsonPropertyInfo is null && schema.Properties is { } properties && schema.Required is { } required)
        {
            foreach (var (name, property) in properties)
            {
                if (property.Type is { } propertyType && propertyType.HasFlag(JsonSchemaType.Null))
                {
                    required.Remove(name);
                }
            }
        }
        return Task.CompletedTask;
    }
}
