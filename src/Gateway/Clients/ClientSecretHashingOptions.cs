using System.ComponentModel.DataAnnotations;

namespace Messaging.Gateway.Clients;

/// <summary>How client secrets are hashed (section <c>Auth</c>, key <c>Auth:SecretHashIterations</c>).</summary>
internal sealed class ClientSecretHashingOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Auth";

    /// <summary>The lowest accepted iteration count.</summary>
    public const int MinimumIterations = 10_000;

    /// <summary>The highest accepted iteration count (also the bound for iterations read from stored hashes).</summary>
    public const int MaximumIterations = 10_000_000;

    /// <summary>
    /// PBKDF2-HMAC-SHA256 iterations for new secret hashes. Stored hashes carry their own count, so raising
    /// this value never breaks existing clients.
    /// </summary>
    /// <value>The default value is 100000.</value>
    [Range(MinimumIterations, MaximumIterations, ErrorMessage = "Auth:SecretHashIterations must be between {1} and {2}.")]
    public int SecretHashIterations { get; set; } = 100_000;
}
