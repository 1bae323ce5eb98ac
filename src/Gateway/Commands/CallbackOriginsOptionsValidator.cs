using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Commands;

/// <summary>
/// Refuses a callback origin that is not one: not an absolute <c>http</c>/<c>https</c> URL, or one with user info, a
/// path, a query or a fragment; and plain <c>http</c> for a host other than loopback outside Development and Testing.
/// Each message names the key.
/// </summary>
internal sealed class CallbackOriginsOptionsValidator(IHostEnvironment environment) : IValidateOptions<CallbackOriginsOptions>
{
    public ValidateOptionsResult Validate(string? name, CallbackOriginsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (tenant, origins) in options.Tenants)
        {
            for (var i = 0; i < origins.Count; i++)
            {
                if (CallbackUrls.ProblemWithOrigin(origins[i], CallbackUrls.AllowsPlainHttp(environment)) is { } problem)
                {
                    failures.Add($"{CallbackOriginsOptions.KeyOf(tenant, i)} ('{origins[i]}') {problem}");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
