using System.Net;
using Microsoft.Extensions.Options;

namespace Messaging.FakeServices.Instances;

/// <summary>Validates <see cref="FakeServicesOptions"/> at start; every message names the configuration key.</summary>
internal sealed class FakeServicesOptionsValidator : IValidateOptions<FakeServicesOptions>
{
    public ValidateOptionsResult Validate(string? name, FakeServicesOptions options)
    {
        var errors = new List<string>();
        const string section = FakeServicesOptions.SectionName;

        if (options.Instances.Count == 0)
        {
            errors.Add($"{section}:Instances: at least one instance is required.");
        }

        var ports = new Dictionary<int, string>();
        foreach (var (instanceName, instance) in options.Instances)
        {
            var key = $"{section}:Instances:{instanceName}";
            if (!InstanceAddress.TryParse(instance.Url, out var address, out var problem))
            {
                errors.Add($"{key}:Url: {problem}");
                continue;
            }

            if (!Enum.IsDefined(instance.Provider))
            {
                errors.Add($"{key}:Provider: must be Payments, Notifications, Shipping or Crm.");
            }

            if (!ports.TryAdd(address.Port, instanceName))
            {
                errors.Add($"{key}:Url: port {address.Port} is already used by instance '{ports[address.Port]}'; instances are told apart by port.");
            }
        }

        if (string.IsNullOrEmpty(options.Payments.ClientId))
        {
            errors.Add($"{section}:Payments:ClientId: required.");
        }

        if (string.IsNullOrEmpty(options.Payments.ClientSecret))
        {
            errors.Add($"{section}:Payments:ClientSecret: required.");
        }

        if (options.Payments.TokenLifetimeSeconds is < 1 or > 86_400)
        {
            errors.Add($"{section}:Payments:TokenLifetimeSeconds: must be between 1 and 86400.");
        }

        if (string.IsNullOrEmpty(options.Notifications.ApiKey))
        {
            errors.Add($"{section}:Notifications:ApiKey: required.");
        }

        if (string.IsNullOrEmpty(options.Shipping.ApiKey))
        {
            errors.Add($"{section}:Shipping:ApiKey: required.");
        }

        if (!Enum.IsDefined(options.Crm.Auth))
        {
            errors.Add($"{section}:Crm:Auth: must be Basic, ApiKey, Bearer or None.");
        }

        if (string.IsNullOrEmpty(options.Crm.Username) || options.Crm.Username.Contains(':', StringComparison.Ordinal))
        {
            errors.Add($"{section}:Crm:Username: required, without ':' (HTTP Basic authentication).");
        }

        if (string.IsNullOrEmpty(options.Crm.Password))
        {
            errors.Add($"{section}:Crm:Password: required.");
        }

        if (string.IsNullOrEmpty(options.Crm.ApiKey))
        {
            errors.Add($"{section}:Crm:ApiKey: required.");
        }

        if (options.Crm.MaxRecordedRequests is < 0 or > 1_000_000)
        {
            errors.Add($"{section}:Crm:MaxRecordedRequests: must be between 0 and 1000000.");
        }

        if (options.Ledger.MaxRequestLogEntries is < 0 or > 10_000_000)
        {
            errors.Add($"{section}:Ledger:MaxRequestLogEntries: must be between 0 and 10000000.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>A parsed instance address: where Kestrel listens for one instance.</summary>
internal readonly record struct InstanceAddress(string Host, IPAddress? Address, int Port)
{
    public static bool TryParse(string? url, out InstanceAddress address, out string problem)
    {
        address = default;
        if (string.IsNullOrWhiteSpace(url))
        {
            problem = "required.";
            return false;
        }

        // Uri cannot parse the wildcard hosts Kestrel accepts; read them as "any address".
        var normalized = url.Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal).Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal);
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            problem = $"'{url}' is not an absolute http:// address.";
            return false;
        }

        if (uri.Port is < 1 or > 65_535)
        {
            problem = $"'{url}': the port must be between 1 and 65535 (instances are told apart by port, so 0 cannot be used).";
            return false;
        }

        if (uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query))
        {
            problem = $"'{url}' must not have a path or query.";
            return false;
        }

        IPAddress? ip = null;
        if (!string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase) && !IPAddress.TryParse(uri.Host, out ip))
        {
            problem = $"'{url}': the host must be an IP address, localhost or *.";
            return false;
        }

        address = new InstanceAddress(uri.Host, ip, uri.Port);
        problem = string.Empty;
        return true;
    }
}
