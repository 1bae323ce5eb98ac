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

    public ValidateOptionsResult Validate(string? name, MessageSigningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = HmacKeyRules.Check(options.SigningKeys, "Messaging:SigningKeys", "(the same on every gateway and worker)", DevelopmentKey, environment);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
