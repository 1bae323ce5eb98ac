using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Clients;

/// <summary>
/// Checks <c>Auth:SecretPeppers</c> and <c>Auth:CurrentSecretPepper</c>: at least one pepper, valid ids, each base64 of
/// at least 32 bytes, a current pepper that exists, and never the development pepper outside Development.
/// Messages name the keys.
/// </summary>
internal sealed class ClientSecretHashingOptionsValidator(IHostEnvironment environment) : IValidateOptions<ClientSecretHashingOptions>
{
    /// <summary>The pepper shipped in <c>appsettings.Development.json</c> (id <c>dev</c>); public knowledge, so refused elsewhere.</summary>
    public const string DevelopmentPepper = "ZGV2ZWxvcG1lbnQtb25seS1zZWNyZXQtcGVwcGVyISE=";

    private const string Peppers = ClientSecretHashingOptions.SectionName + ":" + nameof(ClientSecretHashingOptions.SecretPeppers);
    private const string Current = ClientSecretHashingOptions.SectionName + ":" + nameof(ClientSecretHashingOptions.CurrentSecretPepper);

    public ValidateOptionsResult Validate(string? name, ClientSecretHashingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.SecretPeppers.Count == 0)
        {
            failures.Add($"{Peppers} is required: configure at least one pepper, base64 of at least {ClientSecretHashingOptions.MinimumPepperBytes} random bytes " +
                $"(e.g. environment variable Auth__SecretPeppers__p1 = the output of 'openssl rand -base64 32').");
        }

        var development = Convert.FromBase64String(DevelopmentPepper);
        foreach (var (id, value) in options.SecretPeppers)
        {
            if (!ClientSecretHashingOptions.IsValidPepperId(id))
            {
                failures.Add($"{Peppers}:{id}: a pepper id is 1-{ClientSecretHashingOptions.MaximumPepperIdLength} letters, digits, '-', '_' or '.'.");
            }

            if (!ClientSecretHasher.TryFromBase64(value ?? "", out var pepper))
            {
                failures.Add($"{Peppers}:{id} is not base64.");
            }
            else if (pepper.Length < ClientSecretHashingOptions.MinimumPepperBytes)
            {
                failures.Add($"{Peppers}:{id} is shorter than {ClientSecretHashingOptions.MinimumPepperBytes} bytes (decoded).");
            }
            else if (!environment.IsDevelopment() && CryptographicOperations.FixedTimeEquals(pepper, development))
            {
                failures.Add($"{Peppers}:{id} is the development-only pepper from appsettings.Development.json, which is refused in environment '{environment.EnvironmentName}': configure a secret pepper.");
            }
        }

        if (string.IsNullOrEmpty(options.CurrentSecretPepper))
        {
            if (options.SecretPeppers.Count > 1)
            {
                failures.Add($"{Current} is required when {Peppers} holds more than one pepper: name the one that hashes new secrets.");
            }
        }
        else if (!options.SecretPeppers.ContainsKey(options.CurrentSecretPepper))
        {
            failures.Add($"{Current} names '{options.CurrentSecretPepper}', which is not under {Peppers}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
