using System.Net;

namespace Messaging.ServiceDefaults.Security;

/// <summary>
/// The rule for URLs that carry credentials or payloads in Production: https, or plain http only to a loopback
/// address (a sidecar or a local benchmark), where nothing crosses a network.
/// </summary>
public static class SecureUrls
{
    /// <summary>Whether <paramref name="uri"/> names this machine: <c>localhost</c>, 127.0.0.0/8 or <c>::1</c>.</summary>
    public static bool IsLoopback(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return uri.IsLoopback
            || string.Equals(uri.IdnHost, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(uri.IdnHost, out var address) && IPAddress.IsLoopback(address));
    }

    /// <summary>Whether <paramref name="uri"/> is plain http to a host other than loopback: refused in Production.</summary>
    public static bool IsPlainHttpBeyondLoopback(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return uri.IsAbsoluteUri && string.Equals(uri.Scheme, Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase) && !IsLoopback(uri);
    }

    /// <summary>The URL without its user information, for messages (the password must not reach a log).</summary>
    public static string WithoutCredentials(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return string.IsNullOrEmpty(uri.UserInfo) ? uri.ToString() : new UriBuilder(uri) { UserName = "", Password = "" }.Uri.ToString();
    }
}
