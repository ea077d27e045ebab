using System.Text.Json;
using System.Text.Json.Serialization;
using Seckill.Web.Gate;
using Seckill.Web.Orders;
using Seckill.Web.Purchasing;
using Seckill.Web.Sales;
using Seckill.Web.Stock;

namespace Seckill.Web;

/// <summary>Source-generated JSON for every request and response body (no reflection on the hot path).</summary>
/// <remarks>
/// One rule for ids: every id in a response (a property named <c>id</c> or ending in <c>Id</c>) is a
/// JSON string. Order ids are above 2^53, where a JavaScript number is no longer exact, and a
/// browser that read one as a number would ask for another order; the rest follow the same rule so
/// that a client never has to know which id is which. Each such property carries
/// <c>[JsonNumberHandling(WriteAsString | AllowReadingFromString)]</c> (so a client
/// deserialising into these records reads what we write); quantities, counts and amounts stay numbers.
/// </remarks>
// Strict numbers: "quantity": "2" is a wrong type, not a number. A property given twice is
// refused, not "last one wins": {"quantity":500,"quantity":1} must not mean whatever a proxy or
// validator in front of us read first.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict, AllowDuplicateProperties = false)]
[JsonSerializable(typeof(PurchaseRequest))]
[JsonSerializable(typeof(PurchaseResponse))]
[JsonSerializable(typeof(CreateSaleRequest))]
[JsonSerializable(typeof(SaleResponse))]
[JsonSerializable(typeof(OrderResponse))]
[JsonSerializable(typeof(OrderStatusResponse))]
[JsonSerializable(typeof(StockResponse))]
[JsonSerializable(typeof(BlacklistEntry))]
[JsonSerializable(typeof(BlacklistResponse))]
[JsonSerializable(typeof(PurchaseTokenResponse))]
[JsonSerializable(typeof(MetricsResponse))]
public sealed partial class SeckillJson : JsonSerializerContext;

public static class SeckillJsonSetup
{
    /// <summary>Responses use the same source-generated metadata and rules as request bodies.</summary>
    public static IServiceCollection AddSeckillJson(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, SeckillJson.Default);
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            options.SerializerOptions.AllowDuplicateProperties = false;
        });
}
