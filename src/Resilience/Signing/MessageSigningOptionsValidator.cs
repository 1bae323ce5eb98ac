using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Resilience.Signing;

/// <summary>
/// Checks <c>Messaging:SigningKeys</c>: at least one, each base64 of at least 32 bytes, and never the development key
/// outside Development. Messages name the keys.
/// </summary>
internal sealed class MessageSigningOptionsValidator(IHostEnvironment environment) : IValidateOptions<MessageSigningOptions>
{
    /// <summary>The key shipped in <c>appsettings.Development.json</c>; public knowledge, so refused elsewhere.</summary>
    public const string DevelopmentKey = "ZGV2ZWxvcG1lbnQtb25seS1tZXNzYWdlLWtleS1jaGFuZ2UtbWUh";

    /// <summary>The shortest accepted key, in bytes (HMAC-SHA256 wants at least its output size).</summary>
    public const int MinimumKeyBytes = 32;

    public ValidateOptionsResult Validate(string? name, MessageSigningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.SigningKeys.Count == 0)
        {
            failures.Add($"Messaging:SigningKeys is required: configure at least one key, base64 of at least {MinimumKeyBytes} random bytes "
                + "(environment variable Messaging__SigningKeys__0), the same on every gateway and worker.");
        }

        for (var i = 0; i < options.SigningKeys.Count; i++)
        {
            if (MessageSigner.Decode(options.SigningKeys[i]) is not { } key)
            {
                failures.Add($"Messaging:SigningKeys:{i} is not valid base64.");
            }
            else if (key.Length < MinimumKeyBytes)
            {
                failures.Add($"Messaging:SigningKeys:{i} is {key.Length} bytes; at least {MinimumKeyBytes} are needed.");
            }
        }

        if (!environment.IsDevelopment() && options.SigningKeys.Contains(DevelopmentKey, StringComparer.Ordinal))
        {
            failures.Add("Messaging:SigningKeys contains the development-only key from appsettings.Development.json, which is refused in environment "
                + $"'{environment.EnvironmentName}': configure a secret key.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
