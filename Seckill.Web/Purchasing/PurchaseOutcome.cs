namespace Seckill.Web.Purchasing;

public enum PurchaseStatus : byte
{
    /// <summary>The order is committed in the database (201).</summary>
    Committed,
    /// <summary>The reservation is recorded and the order is queued for the writer (202).</summary>
    Queued,
    /// <summary>The database refused the order within the wait, for a reason other than stock.</summary>
    Refused,
    /// <summary>The database refused the order within the wait: by its count the units are sold.</summary>
    RefusedSoldOut,
    UnknownSale,
    InvalidQuantity,
    NotStarted,
    Ended,
    SoldOut,
    AlreadyPurchased,
    /// <summary>The sale needs a purchase token and none valid for this buyer came.</summary>
    BadToken,
    /// <summary>The instance is shutting down, or its stock store (Redis) did not answer.</summary>
    Unavailable,
    /// <summary>Admitted, but shed before reserving: the instance is overloaded (Gate/LoadShedder).</summary>
    Overloaded,
}

/// <summary>What became of one purchase request; a value, so that a refusal allocates nothing.</summary>
/// <param name="OrderId">The new order (Committed, Queued, Refused*) or the one the buyer holds (AlreadyPurchased).</param>
/// <param name="Position">With Queued: the order's place in the writer's queue.</param>
/// <param name="EtaMs">With Queued: about when the writer reaches it.</param>
public readonly record struct PurchaseOutcome(PurchaseStatus Status, long OrderId = 0, long Position = 0, long EtaMs = 0)
{
    public static implicit operator PurchaseOutcome(PurchaseStatus status) => new(status);
}
