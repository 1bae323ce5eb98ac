using System.Text;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Auth;

/// <summary>
/// Checks <c>Auth:SigningKeys</c>: at least one key, each at least 32 bytes, and never the development key
/// outside the Development environment.
/// </summary>
internal sealed class AuthOptionsValidator(IHostEnvironment environment) : IValidateOptions<AuthOptions>
{
    /// <summary>The key shipped in <c>appsettings.Development.json</c>; public knowledge, so refused elsewhere.</summary>
    public const string DevelopmentSigningKey = "development-only-signing-key-change-me-0123456789";

    /// <summary>The shortest accepted key, in UTF-8 bytes (HS256 wants at least 256 bits).</summary>
    public const int MinimumKeyBytes = 32;

    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.SigningKeys.Count == 0)
        {
            failures.Add($"Auth:SigningKeys is required: configure at least one HMAC key of at least {MinimumKeyBytes} bytes (environment variable Auth__SigningKeys__0).");
        }

        for (var i = 0; i < options.SigningKeys.Count; i++)
        {
            if (Encoding.UTF8.GetByteCount(options.SigningKeys[i] ?? "") < MinimumKeyBytes)
            {
                failures.Add($"Auth:SigningKeys:{i} is shorter than {MinimumKeyBytes} bytes.");
            }
        }

        if (!environment.IsDevelopment() && options.SigningKeys.Contains(DevelopmentSigningKey, StringComparer.Ordinal))
        {
            failures.Add($"Auth:SigningKeys contains the development-only key from appsettings.Development.json, which is refused in environment '{environment.EnvironmentName}': configure a secret key.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
