namespace Seckill.Web.Cluster;

/// <summary>Section <c>Seckill</c>: this instance's identity in a cluster.</summary>
public sealed class InstanceOptions
{
    public const string Section = "Seckill";

    /// <summary>10 bits of every id this instance makes; two live instances must never share it.</summary>
    [System.ComponentModel.DataAnnotations.Range(0, IdGenerator.MaxInstanceId, ErrorMessage = "Seckill:InstanceId must be between 0 and 1023.")]
    public int InstanceId { get; set; }
}
