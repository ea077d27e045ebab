using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seckill.Web.Sales;

/// <summary>The JSON bodies of this feature, source-generated with the API's rules (see <c>Http/ApiJson</c>).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict, AllowDuplicateProperties = false)]
[JsonSerializable(typeof(CreateSaleRequest))]
[JsonSerializable(typeof(SaleResponse))]
[JsonSerializable(typeof(StockResponse))]
[JsonSerializable(typeof(ChangeSaleRequest))]
[JsonSerializable(typeof(AddStockRequest))]
[JsonSerializable(typeof(Seckill.Web.Http.PageResponse<SaleResponse>))]
public sealed partial class SalesJson : JsonSerializerContext;
