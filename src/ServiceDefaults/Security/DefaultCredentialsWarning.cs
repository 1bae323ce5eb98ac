using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.ServiceDefaults.Security;

/// <summary>
/// Logs, once at start, that a host in Production runs with shipped passwords because
/// <see cref="SecurityOptions.AllowDefaultCredentials"/> says it may: an operator reading the log sees it.
/// </summary>
internal sealed partial class DefaultCredentialsWarning(
    IConfiguration configuration, IHostEnvironment environment, IOptions<SecurityOptions> options, ILogger<DefaultCredentialsWarning> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (environment.IsProduction() && options.Value.AllowDefaultCredentials && ShippedCredentials.Find(configuration) is { Count: > 0 } keys)
        {
            Log.DefaultCredentialsAllowed(logger, string.Join(", ", keys));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = 9001, EventName = "DefaultCredentialsAllowed", Level = LogLevel.Warning,
            Message = "Running in Production with passwords shipped with this repository ({Keys}) because Security:AllowDefaultCredentials is true: only for local benchmarks")]
        public static partial void DefaultCredentialsAllowed(ILogger logger, string keys);
    }
}
