using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.ServiceDefaults.Security;

/// <summary>A configuration section whose URLs must be https, or http to loopback, in Production.</summary>
/// <param name="Section">The section, for example <c>ExternalServices</c>.</param>
internal sealed record SecureUrlSection(string Section);

/// <summary>
/// Stops a host in Production, before anything connects, when it would use a shipped password (unless
/// <see cref="SecurityOptions.AllowDefaultCredentials"/>) or send credentials or payloads over plain http beyond
/// loopback. Every message names the key to change. Other environments (Development, Testing) are not checked.
/// </summary>
internal sealed class ProductionSafetyValidator(IConfiguration configuration, IHostEnvironment environment, IEnumerable<SecureUrlSection> sections)
    : IValidateOptions<SecurityOptions>
{
    public ValidateOptionsResult Validate(string? name, SecurityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!environment.IsProduction())
        {
            return ValidateOptionsResult.Skip;
        }

        var failures = new List<string>();
        if (!options.AllowDefaultCredentials)
        {
            failures.AddRange(ShippedCredentials.Find(configuration).Select(key =>
                $"{key} uses a password shipped with this repository, which is refused in environment '{environment.EnvironmentName}': "
                + $"configure a secret one (or set {SecurityOptions.SectionName}:{nameof(SecurityOptions.AllowDefaultCredentials)}=true for a local benchmark)."));
        }

        foreach (var section in sections.Select(s => s.Section).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            foreach (var (key, value) in configuration.GetSection(section).AsEnumerable())
            {
                if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && SecureUrls.IsPlainHttpBeyondLoopback(uri))
                {
                    failures.Add($"{key} is plain http to {uri.Authority}, which is refused in environment '{environment.EnvironmentName}' "
                        + "(credentials and payloads would cross the network readable): use https, or a loopback address.");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
