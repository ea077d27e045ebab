using Seckill.Web.Orders;

namespace Seckill.Web.Tests.Infrastructure;

/// <summary>No notifications: for an order writer built by hand, whose events no test reads.</summary>
public sealed class NoOrderEvents : IOrderEvents
{
    public void Confirmed(long orderId)
    {
    }

    public void Paid(long orderId)
    {
    }

    public void Expired(long orderId)
    {
    }
}
