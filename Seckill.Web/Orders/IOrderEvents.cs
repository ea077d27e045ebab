namespace Seckill.Web.Orders;

/// <summary>
/// What happened to an order that its buyer hears about (the jobs' notifications implement it).
/// Called after the change is committed; must return at once and never fail the caller.
/// </summary>
public interface IOrderEvents
{
    /// <summary>The order is committed in the database (the buyer's 201, or later for a 202).</summary>
    void Confirmed(long orderId);

    void Paid(long orderId);

    /// <summary>The payment deadline passed; the order holds no stock any more.</summary>
    void Expired(long orderId);
}
