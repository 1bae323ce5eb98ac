using System.Text.RegularExpressions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Resilience.Signing;

/// <summary>
/// Checks <c>Callbacks:SecretKeys</c> and <c>Callbacks:CurrentSecretKey</c>: ids of 1 to 32 letters, digits, <c>-</c> or
/// <c>_</c>; each key base64 of at least 32 bytes (as <see cref="HmacKeyRules"/> asks of the signing keys); the current key
/// among them; never the development key outside Development. No keys at all is valid: callbacks cannot be signed then.
/// </summary>
internal sealed partial class CallbackSecretKeysOptionsValidator(IHostEnvironment environment) : IValidateOptions<CallbackSecretKeysOptions>
{
    /// <summary>The key shipped in <c>appsettings.Development.json</c>; public knowledge, so refused elsewhere.</summary>
    public const string DevelopmentKey = "ZGV2ZWxvcG1lbnQtb25seS1jYWxsYmFjay1zZWNyZXQta2V5LWNoYW5nZS1tZSE=";

    private const string Section = CallbackSecretKeysOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, CallbackSecretKeysOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (id, key) in options.SecretKeys)
        {
            var keyName = $"{Section}:{nameof(options.SecretKeys)}:{id}";
            if (!KeyId().IsMatch(id))
            {
                failures.Add($"{keyName}: a key id is 1 to 32 letters, digits, '-' or '_'.");
            }

            if (MessageSigner.Decode(key) is not { } bytes)
            {
                failures.Add($"{keyName} is not valid base64: configure base64 of at least {HmacKeyRules.MinimumKeyBytes} random bytes (e.g. openssl rand -base64 32).");
            }
            else if (bytes.Length < HmacKeyRules.MinimumKeyBytes)
            {
                failures.Add($"{keyName} is {bytes.Length} bytes; at least {HmacKeyRules.MinimumKeyBytes} are needed.");
            }

            if (!environment.IsDevelopment() && string.Equals(key, DevelopmentKey, StringComparison.Ordinal))
            {
                failures.Add($"{keyName} is the development-only key from appsettings.Development.json, which is refused in environment "
                    + $"'{environment.EnvironmentName}': configure a secret key.");
            }
        }

        if (options.CurrentSecretKey is { } current && !options.SecretKeys.ContainsKey(current))
        {
            failures.Add($"{Section}:{nameof(options.CurrentSecretKey)} names '{current}', which is not under {Section}:{nameof(options.SecretKeys)}.");
        }
        else if (options.CurrentSecretKey is null && options.SecretKeys.Count > 0)
        {
            failures.Add($"{Section}:{nameof(options.CurrentSecretKey)} is required with {Section}:{nameof(options.SecretKeys)}: name the key that encrypts new secrets.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex KeyId();
}
