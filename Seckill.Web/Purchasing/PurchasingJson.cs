using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seckill.Web.Purchasing;

/// <summary>The JSON bodies of this feature, source-generated with the API's rules (see <c>Http/ApiJson</c>).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict, AllowDuplicateProperties = false)]
[JsonSerializable(typeof(PurchaseRequest))]
[JsonSerializable(typeof(PurchaseResponse))]
public sealed partial class PurchasingJson : JsonSerializerContext;
