namespace Seckill.Load.Scenarios;

/// <summary><c>flash-sale</c>: every arrival is a new user who tries once, from their own address.</summary>
public sealed class FlashSale(SaleRun run) : Scenario(run)
{
    public override Task ArrivalAsync(long index, long due) => BuyOnceAsync(index, due);
}
