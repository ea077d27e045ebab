using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Seckill.Web.Http;

/// <summary>
/// The API's JSON rules. Every feature declares its own bodies in a source-generated context
/// (<c>PurchasingJson</c>, <c>SalesJson</c>, …, with these same rules in its attribute) and adds it
/// here from its <c>AddX</c>: no reflection on the hot path, and no folder that knows every other.
/// </summary>
/// <remarks>
/// <para>Strict numbers: <c>"quantity": "2"</c> is a wrong type, not a number. A property given twice
/// is refused, not "last one wins": <c>{"quantity":500,"quantity":1}</c> must not mean whatever a
/// proxy or validator in front of us read first.</para>
/// <para>One rule for ids: every id in a response (a property named <c>id</c> or ending in <c>Id</c>)
/// is a JSON string. Order ids are above 2^53, where a JavaScript number is no longer exact, and a
/// browser that read one as a number would ask for another order; the rest follow the same rule so
/// that a client never has to know which id is which. Each such property carries
/// <c>[JsonNumberHandling(WriteAsString | AllowReadingFromString)]</c> (so a client deserialising
/// into these records reads what we write); quantities, counts and amounts stay numbers.</para>
/// </remarks>
public static class ApiJson
{
    /// <summary>Responses are written with <paramref name="context"/>'s metadata and the API's rules.</summary>
    public static IServiceCollection AddApiJson(this IServiceCollection services, IJsonTypeInfoResolver context) =>
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, context);
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            options.SerializerOptions.AllowDuplicateProperties = false;
        });
}
