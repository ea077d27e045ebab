using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seckill.Web.Gate;

/// <summary>The JSON bodies of this feature, source-generated with the API's rules (see <c>Http/ApiJson</c>).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict, AllowDuplicateProperties = false)]
[JsonSerializable(typeof(BlacklistEntry))]
[JsonSerializable(typeof(BlacklistResponse))]
[JsonSerializable(typeof(PurchaseTokenResponse))]
public sealed partial class GateJson : JsonSerializerContext;
