using Messaging.Resilience.Signing;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Auth;

/// <summary>
/// Checks <c>Auth:SigningKeys</c>: at least one key, each base64 of at least 32 bytes, and never the development key
/// outside the Development environment. Messages name the keys.
/// </summary>
internal sealed class AuthOptionsValidator(IHostEnvironment environment) : IValidateOptions<AuthOptions>
{
    /// <summary>The key shipped in <c>appsettings.Development.json</c>; public knowledge, so refused elsewhere.</summary>
    public const string DevelopmentSigningKey = "ZGV2ZWxvcG1lbnQtb25seS10b2tlbi1zaWduaW5nLWtleS1jaGFuZ2UtbWUh";

    /// <summary>The shortest accepted key, in bytes (HS256 wants at least 256 bits, its output size).</summary>
    public const int MinimumKeyBytes = 32;

    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.SigningKeys.Count == 0)
        {
            failures.Add($"Auth:SigningKeys is required: configure at least one HMAC key, base64 of at least {MinimumKeyBytes} random bytes (environment variable Auth__SigningKeys__0).");
        }

        for (var i = 0; i < options.SigningKeys.Count; i++)
        {
            if (MessageSigner.Decode(options.SigningKeys[i]) is not { } key)
            {
                failures.Add($"Auth:SigningKeys:{i} is not valid base64: configure base64 of at least {MinimumKeyBytes} random bytes (e.g. openssl rand -base64 32).");
            }
            else if (key.Length < MinimumKeyBytes)
            {
                failures.Add($"Auth:SigningKeys:{i} is {key.Length} bytes; at least {MinimumKeyBytes} are needed.");
            }
        }

        if (!environment.IsDevelopment() && options.SigningKeys.Contains(DevelopmentSigningKey, StringComparer.Ordinal))
        {
            failures.Add($"Auth:SigningKeys contains the development-only key from appsettings.Development.json, which is refused in environment '{environment.EnvironmentName}': configure a secret key.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
