using System.Globalization;
using System.Text.RegularExpressions;

namespace Messaging.Cli;

/// <summary>
/// The times the tool takes (<c>--not-before</c>, a batch line's <c>notBefore</c>): RFC 3339 with <c>Z</c> or an offset,
/// as the gateway takes them. A time without an offset is refused rather than read in the machine's time zone.
/// </summary>
internal static partial class Rfc3339
{
    public const string Expected = "an RFC 3339 time with Z or an offset, for example 2026-12-08T09:00:00Z";

    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        return text is not null && Pattern().IsMatch(text)
            && DateTimeOffset.TryParseExact(text.ToUpperInvariant(), ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"],
                CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }

    // 'T' and 'Z' in either case, as RFC 3339 allows; at most the 7 fraction digits a DateTimeOffset keeps.
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
