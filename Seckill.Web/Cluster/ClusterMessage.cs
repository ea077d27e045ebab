using System.Globalization;

namespace Seckill.Web.Cluster;

/// <summary>
/// The shape of a message on the <see cref="IClusterChannel"/> that names one thing:
/// <c>{kind}{id}</c>, e.g. <c>sale:42</c>. Anything else is another listener's message, or junk,
/// and is not this kind's: parsing never throws.
/// </summary>
public static class ClusterMessage
{
    /// <param name="kind">The prefix, colon included (<c>"sale:"</c>).</param>
    public static string Format(string kind, long id) => kind + id.ToString(CultureInfo.InvariantCulture);

    /// <summary>True when <paramref name="message"/> is <paramref name="kind"/> followed by a positive id in digits only.</summary>
    public static bool TryParse(string? message, string kind, out long id)
    {
        id = 0;
        return message is not null &&
            message.StartsWith(kind, StringComparison.Ordinal) &&
            long.TryParse(message.AsSpan(kind.Length), NumberStyles.None, CultureInfo.InvariantCulture, out id) &&
            id > 0;
    }
}
