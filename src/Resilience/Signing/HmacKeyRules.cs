using Microsoft.Extensions.Hosting;

namespace Messaging.Resilience.Signing;

/// <summary>
/// The rules every HMAC key list in configuration follows (<c>Auth:SigningKeys</c>, <c>Messaging:SigningKeys</c>): at
/// least one key, each base64 of at least 32 random bytes (HMAC-SHA256's output size), and never the key shipped in
/// <c>appsettings.Development.json</c> outside Development. Messages name the configuration key.
/// </summary>
public static class HmacKeyRules
{
    /// <summary>The shortest accepted key, in bytes.</summary>
    public const int MinimumKeyBytes = 32;

    /// <summary>What is wrong with <paramref name="keys"/>, configured at <paramref name="section"/> (empty when nothing is).</summary>
    /// <param name="keys">The configured keys, in order.</param>
    /// <param name="section">The configuration key of the list, e.g. <c>Messaging:SigningKeys</c>.</param>
    /// <param name="what">What the keys are for, for the message about a missing key.</param>
    /// <param name="developmentKey">The key shipped for Development, public knowledge.</param>
    /// <param name="environment">The host's environment.</param>
    public static IReadOnlyList<string> Check(IReadOnlyList<string> keys, string section, string what, string developmentKey, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(environment);
        var failures = new List<string>();
        if (keys.Count == 0)
        {
            failures.Add($"{section} is required: configure at least one key {what}, base64 of at least {MinimumKeyBytes} random bytes "
                + $"(environment variable {section.Replace(":", "__", StringComparison.Ordinal)}__0; e.g. openssl rand -base64 32).");
        }

        for (var i = 0; i < keys.Count; i++)
        {
            if (MessageSigner.Decode(keys[i]) is not { } key)
            {
                failures.Add($"{section}:{i} is not valid base64: configure base64 of at least {MinimumKeyBytes} random bytes (e.g. openssl rand -base64 32).");
            }
            else if (key.Length < MinimumKeyBytes)
            {
                failures.Add($"{section}:{i} is {key.Length} bytes; at least {MinimumKeyBytes} are needed.");
            }
        }

        if (!environment.IsDevelopment() && keys.Contains(developmentKey, StringComparer.Ordinal))
        {
            failures.Add($"{section} contains the development-only key from appsettings.Development.json, which is refused in environment "
                + $"'{environment.EnvironmentName}': configure a secret key.");
        }

        return failures;
    }
}
