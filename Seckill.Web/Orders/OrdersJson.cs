using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seckill.Web.Orders;

/// <summary>The JSON bodies of this feature, source-generated with the API's rules (see <c>Http/ApiJson</c>).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict, AllowDuplicateProperties = false)]
[JsonSerializable(typeof(OrderResponse))]
[JsonSerializable(typeof(OrderStatusResponse))]
[JsonSerializable(typeof(Seckill.Web.Http.PageResponse<OrderResponse>))]
public sealed partial class OrdersJson : JsonSerializerContext;
