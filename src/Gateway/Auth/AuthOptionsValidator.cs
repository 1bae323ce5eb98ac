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

    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = HmacKeyRules.Check(options.SigningKeys, "Auth:SigningKeys", "to sign access tokens", DevelopmentSigningKey, environment);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
