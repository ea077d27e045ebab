namespace Seckill.Load.Scenarios;

/// <summary>
/// <c>bare</c>: the arrivals, addresses, tokens and request of <c>flash-sale</c>, sent to the
/// service's bare endpoint (<c>POST /bare/sales/{id}/purchase</c>, mapped when the service runs with
/// <c>Ops__BareEndpoint=true</c>), which answers the sold-out refusal's bytes and does nothing else:
/// the ceiling of this server and this client, to compare the purchase path with. Nothing is
/// bought, so there is nothing to verify.
/// </summary>
public sealed class Bare(SaleRun run) : Scenario(run)
{
    private readonly string _path = $"/bare/sales/{run.SaleId}/purchase";

    public override bool Verifiable => false;

    public override Task ArrivalAsync(long index, long due) =>
        Run.Sender.SendAsync(Run.Buyers.For(index), new Drive.Call(Purchase, HttpMethod.Post, _path, SaleRun.OneUnit, Token: Run.Tokens.For(FirstBuyer + index)),
            due, isArrival: true, static reply => reply.Status == 409 && reply.Code == "sold_out");
}
