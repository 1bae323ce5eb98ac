using Messaging.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Monitoring;

/// <summary>
/// In Production, refuses a management API URL (configured, or derived from <c>ConnectionStrings:RabbitMq</c>) that is
/// plain http to a host other than loopback: the sampler sends the broker's user and password by HTTP Basic with
/// every request.
/// </summary>
internal sealed class RabbitMqManagementOptionsValidator(IConfiguration configuration, IHostEnvironment environment)
    : IValidateOptions<RabbitMqManagementOptions>
{
    public ValidateOptionsResult Validate(string? name, RabbitMqManagementOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!environment.IsProduction()
            || !Uri.TryCreate(configuration.GetConnectionString("RabbitMq"), UriKind.Absolute, out var amqp))
        {
            // Without an AMQP URI the bus refuses to start, naming ConnectionStrings:RabbitMq.
            return ValidateOptionsResult.Skip;
        }

        var configured = !string.IsNullOrWhiteSpace(options.Url) && Uri.TryCreate(options.Url, UriKind.Absolute, out var url) ? url : null;
        var management = configured ?? RabbitMqEndpoints.DerivedManagementUrl(amqp);
        if (!SecureUrls.IsPlainHttpBeyondLoopback(management))
        {
            return ValidateOptionsResult.Success;
        }

        var source = configured is null ? "derived from ConnectionStrings:RabbitMq; set RabbitMq:Management:Url" : "use";
        return ValidateOptionsResult.Fail(
            $"{RabbitMqManagementOptions.SectionName}:Url is {SecureUrls.WithoutCredentials(management)}: the monitoring sampler would send the "
            + $"broker's credentials over plain http, which is refused in environment '{environment.EnvironmentName}' ({source} an https URL, "
            + "or a loopback address).");
    }
}
