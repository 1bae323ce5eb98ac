using Messaging.Store.Bus;
using Messaging.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Monitoring;

/// <summary>
/// In Production, refuses a management API URL (configured, or derived from <c>ConnectionStrings:RabbitMq</c> and the first of <c>RabbitMq:Hosts</c>) that is
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
            || !RabbitMqBroker.TryFromConfiguration(configuration, out var broker, out _))
        {
            // Without a valid AMQP URI and hosts the bus refuses to start, naming the key.
            return ValidateOptionsResult.Skip;
        }

        var configured = !string.IsNullOrWhiteSpace(options.Url) && Uri.TryCreate(options.Url, UriKind.Absolute, out var url) ? url : null;
        var management = configured ?? RabbitMqEndpoints.DerivedManagementUrl(broker);
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
