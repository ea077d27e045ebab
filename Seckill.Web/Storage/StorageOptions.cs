using System.ComponentModel.DataAnnotations;

namespace Seckill.Web.Storage;

/// <summary>Section <c>Storage</c>: where the embedded mode keeps its orders.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>SQLite file, relative to the working directory; its folder is created if missing.</summary>
    [Required(ErrorMessage = "Storage:SqlitePath is required in embedded mode.")]
    public string SqlitePath { get; set; } = "data/seckill.db";
}
