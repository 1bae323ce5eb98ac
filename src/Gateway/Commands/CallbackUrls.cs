using Messaging.Store.FaultInjection;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Commands;

/// <summary>
/// Checks a <c>Callback-Url</c> (or a batch item's <c>callbackUrl</c>) against the caller's tenant: an absolute URL of
/// printable ASCII, <c>https</c> (or <c>http</c> for loopback, and in Development and Testing), no user info, no
/// fragment, its origin on <c>Tenants:&lt;tenant&gt;:CallbackOrigins</c>. The allow-list is what keeps callbacks from
/// becoming a way to make the workers call arbitrary addresses (SSRF): there is no default origin.
/// </summary>
internal sealed class CallbackUrls(IOptionsMonitor<CallbackOriginsOptions> options, IHostEnvironment environment)
{
    /// <summary>The longest accepted callback URL.</summary>
    public const int MaxLength = 2048;

    /// <summary>
    /// The URL as it is stored and hashed (<see cref="Uri.AbsoluteUri"/>), or null with <paramref name="error"/> saying
    /// why it is refused.
    /// </summary>
    public string? Check(string value, string tenant, out string error)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length is 0 or > MaxLength || value.Any(c => c is < '!' or > '~')
            || !Uri.TryCreate(value, UriKind.Absolute, out var url))
        {
            error = $"The callback URL must be an absolute URL of at most {MaxLength} printable ASCII characters (no spaces).";
            return null;
        }

        if (ProblemWithUrl(url, AllowsPlainHttp(environment)) is { } problem)
        {
            error = $"The callback URL {problem}";
            return null;
        }

        if (value.Contains('#', StringComparison.Ordinal))
        {
            error = "The callback URL must have no fragment (#…).";
            return null;
        }

        var origin = url.GetLeftPart(UriPartial.Authority);
        if (!options.CurrentValue.Tenants.TryGetValue(tenant, out var allowed)
            || !allowed.Any(o => Uri.TryCreate(o, UriKind.Absolute, out var allowedOrigin)
                && string.Equals(allowedOrigin.GetLeftPart(UriPartial.Authority), origin, StringComparison.Ordinal)))
        {
            error = $"The callback URL's origin ({origin}) is not one this tenant may call back; an operator adds it to "
                + $"{CallbackOriginsOptions.SectionName}:<tenant>:{CallbackOriginsOptions.OriginsKey}.";
            return null;
        }

        error = "";
        return url.AbsoluteUri;
    }

    /// <summary>Whether plain <c>http</c> is accepted for any host: in Development and Testing only.</summary>
    internal static bool AllowsPlainHttp(IHostEnvironment environment) =>
        environment.IsDevelopment() || environment.IsEnvironment(FaultInjectionServiceCollectionExtensions.TestingEnvironment);

    /// <summary>What is wrong with a configured origin (a sentence after the key), or null when nothing is.</summary>
    internal static string? ProblemWithOrigin(string? origin, bool allowsPlainHttp)
    {
        if (string.IsNullOrWhiteSpace(origin) || !Uri.TryCreate(origin, UriKind.Absolute, out var url))
        {
            return "is not an absolute URL: write an origin such as https://hooks.example.com.";
        }

        if (ProblemWithUrl(url, allowsPlainHttp) is { } problem)
        {
            return problem;
        }

        return url.AbsolutePath != "/" || url.Query.Length > 0 || url.Fragment.Length > 0 || origin.Contains('#', StringComparison.Ordinal)
            ? "must be an origin only (scheme, host and port), without a path, query or fragment."
            : null;
    }

    // The rules a callback URL and an origin share: the scheme and no user info.
    private static string? ProblemWithUrl(Uri url, bool allowsPlainHttp)
    {
        if (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)
        {
            return "must use https.";
        }

        if (url.Scheme == Uri.UriSchemeHttp && !allowsPlainHttp && !url.IsLoopback)
        {
            return "must use https (plain http only for loopback hosts).";
        }

        return url.UserInfo.Length > 0 ? "must not carry user info (user:password@)." : null;
    }
}
