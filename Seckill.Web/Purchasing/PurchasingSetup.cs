using Seckill.Web.Http;

namespace Seckill.Web.Purchasing;

/// <summary>The purchase endpoint and the checkout behind it.</summary>
public static class PurchasingSetup
{
    public static WebApplicationBuilder AddPurchasing(this WebApplicationBuilder builder)
    {
        builder.Services.AddApiJson(PurchasingJson.Default);
        builder.Services.AddSingleton<Admission>();
        builder.Services.AddSingleton<StockReserver>();
        builder.Services.AddSingleton<OrderConfirmation>();
        builder.Services.AddSingleton<PurchaseLog>();
        builder.Services.AddSingleton<Checkout>();
        return builder;
    }
}
