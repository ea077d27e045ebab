using System.ComponentModel.DataAnnotations;

namespace Seckill.Web.Orders;

/// <summary>Section <c>Orders</c>: the order writer and the payment window.</summary>
public sealed class OrderOptions
{
    public const string Section = "Orders";

    /// <summary>How long a purchase waits for its order to commit before answering 202 instead of 201.</summary>
    [Range(0, 10_000, ErrorMessage = "Orders:ConfirmWaitMs must be between 0 and 10000.")]
    public int ConfirmWaitMs { get; set; } = 100;

    /// <summary>How long a buyer has to pay before the order expires and its stock returns.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00", ErrorMessage = "Orders:PaymentTimeout must be between 1 second and 7 days.")]
    public TimeSpan PaymentTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Most reservations written in one database transaction.</summary>
    [Range(1, 10_000, ErrorMessage = "Orders:BatchSize must be between 1 and 10000.")]
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// Longest a batch waits to fill once its first reservation arrived. Under load batches fill
    /// by themselves while the previous one commits; this bounds the wait when traffic is thin.
    /// </summary>
    [Range(0, 1_000, ErrorMessage = "Orders:BatchWindowMs must be between 0 and 1000.")]
    public int BatchWindowMs { get; set; } = 2;

    /// <summary>
    /// A reservation still unconfirmed on the shard this long after it was made, and not queued in
    /// this process, is written by replay (its reply was lost, or a confirm never reached the
    /// shard). Checked this often too. At startup every unconfirmed reservation is replayed at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Orders:ReplayAfter must be between 100 ms and 1 hour.")]
    public TimeSpan ReplayAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most buyer reads (an order, a list of orders) in the database at once; more wait
    /// their turn without holding a thread (see <see cref="DatabaseSlots"/>).</summary>
    [Range(1, 1_000, ErrorMessage = "Orders:DatabaseConcurrency must be between 1 and 1000.")]
    public int DatabaseConcurrency { get; set; } = 8;
}
