using System.Globalization;

namespace Seckill.Web.Http;

/// <summary>
/// One page of a listing, as the admin and buyer listings take it from the query string:
/// <c>page</c> from 1, <c>pageSize</c> 1 to <see cref="MaxSize"/> (default <see cref="DefaultSize"/>).
/// </summary>
public readonly record struct Paging(int Page, int Size)
{
    public const int DefaultSize = 20;
    public const int MaxSize = 100;

    /// <summary>Rows to skip before this page.</summary>
    public long Offset => (long)(Page - 1) * Size;

    /// <summary>Reads <c>page</c> and <c>pageSize</c>; adds an error per bad one to <paramref name="errors"/>.</summary>
    public static Paging Read(string? page, string? pageSize, Dictionary<string, string[]> errors)
    {
        var number = 1;
        var size = DefaultSize;
        if (page is not null && !(int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out number) && number >= 1))
        {
            errors["page"] = ["page must be a whole number from 1."];
        }
        if (pageSize is not null && !(int.TryParse(pageSize, NumberStyles.None, CultureInfo.InvariantCulture, out size) && size is >= 1 and <= MaxSize))
        {
            errors["pageSize"] = [$"pageSize must be a whole number from 1 to {MaxSize}."];
        }
        return new Paging(Math.Max(number, 1), size is >= 1 and <= MaxSize ? size : DefaultSize);
    }
}

/// <summary>A page of a listing: its items, where it is, and how many there are in all.</summary>
public sealed record PageResponse<T>(IReadOnlyList<T> Items, int Page, int PageSize, long Total);
