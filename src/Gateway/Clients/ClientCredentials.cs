using System.Buffers.Text;
using System.Security.Cryptography;

namespace Messaging.Gateway.Clients;

/// <summary>Generates client ids and secrets.</summary>
internal static class ClientCredentials
{
    /// <summary>The prefix of every client id.</summary>
    public const string ClientIdPrefix = "cli_";

    /// <summary>A new client id: <c>cli_</c> and 128 random bits in lowercase hex.</summary>
    public static string NewClientId() => ClientIdPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>A new secret: 32 random bytes, base64url without padding. Shown once, stored only hashed.</summary>
    public static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
