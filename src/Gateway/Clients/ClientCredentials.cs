using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;

namespace Messaging.Gateway.Clients;

/// <summary>Generates client ids and secrets.</summary>
internal static class ClientCredentials
{
    /// <summary>The prefix of every client id.</summary>
    public const string ClientIdPrefix = "cli_";

    /// <summary>The length of every client id: the prefix and 32 hex digits.</summary>
    public const int ClientIdLength = 36;

    private static readonly SearchValues<char> LowercaseHex = SearchValues.Create("0123456789abcdef");

    /// <summary>A new client id: <c>cli_</c> and 128 random bits in lowercase hex.</summary>
    public static string NewClientId() => ClientIdPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// Whether <paramref name="clientId"/> has the shape of <see cref="NewClientId"/> (<c>cli_</c> and 32 lowercase hex
    /// digits). The token endpoint refuses anything else before it hashes, limits or looks anything up, so made-up
    /// text costs it nothing.
    /// </summary>
    public static bool IsWellFormedClientId(string? clientId) =>
        clientId is { Length: ClientIdLength }
        && clientId.StartsWith(ClientIdPrefix, StringComparison.Ordinal)
        && !clientId.AsSpan(ClientIdPrefix.Length).ContainsAnyExcept(LowercaseHex);

    /// <summary>A new secret: 32 random bytes, base64url without padding. Shown once, stored only hashed.</summary>
    public static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
