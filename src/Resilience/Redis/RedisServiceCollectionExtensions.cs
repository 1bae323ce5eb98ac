using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Messaging.Resilience.Redis;

/// <summary>Registers the shared Redis connection.</summary>
public static partial class RedisServiceCollectionExtensions
{
    /// <summary>The configuration section bound to <see cref="RedisOptions"/>.</summary>
    public const string SectionName = "Redis";

    /// <summary>
    /// Adds one <see cref="IConnectionMultiplexer"/> built from <c>ConnectionStrings:Redis</c> and
    /// <see cref="RedisOptions"/> bound from the <c>Redis</c> section. The multiplexer is created on first
    /// use with <c>AbortOnConnectFail=false</c>, so a Redis that is down at start does not stop the host: it
    /// keeps reconnecting in the background and callers see fast failures meanwhile. Calling this more than
    /// once is harmless.
    /// </summary>
    public static IHostApplicationBuilder AddMessagingRedis(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var connectionString = builder.Configuration.GetConnectionString("Redis");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException("ConnectionStrings:Redis is required.");
        }

        if (builder.Services.Any(d => d.ServiceType == typeof(MessagingRedisRegistered)))
        {
            return builder;
        }

        builder.Services.AddSingleton<MessagingRedisRegistered>();
        builder.Services.AddOptions<RedisOptions>()
            .BindConfiguration(SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // Added, not tried: it replaces the plain multiplexer ServiceDefaults' Redis health check registers for
        // hosts that only check Redis (resolution takes the last registration).
        builder.Services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RedisServiceCollectionExtensions).FullName!);
            var options = ConfigurationOptions.Parse(connectionString);
            options.AbortOnConnectFail = false;
            // With serviceName= the endpoints are Sentinels: Connect asks them for the service's primary, connects to it
            // (and its replicas), and follows +switch-master, so a promoted replica takes over without a restart. With
            // AbortOnConnectFail=false it returns even when no Sentinel answers, as a plain connection does, and finds
            // the primary once one does (checked with StackExchange.Redis 3.4 against Redis 7.0's Sentinel: a requested
            // failover, a SIGKILLed master, and Sentinels started only after the process).
            var multiplexer = ConnectionMultiplexer.Connect(options);

            // The client's own logging is a chatty connection trace at Information; we log the transitions
            // that matter instead (host:port only: the configuration string may carry a password).
            multiplexer.ConnectionFailed += (_, e) => Log.ConnectionFailed(logger, Describe(e.EndPoint), e.FailureType.ToString());
            multiplexer.ConnectionRestored += (_, e) => Log.ConnectionRestored(logger, Describe(e.EndPoint));
            if (!multiplexer.IsConnected)
            {
                Log.NotConnectedAtStart(logger);
            }

            return multiplexer;
        });
        return builder;
    }

    /// <summary>Marks the services as holding this registration, so a second call changes nothing.</summary>
    private sealed class MessagingRedisRegistered;

    /// <summary>An endpoint as <c>host:port</c>: never the configuration string, which may carry a password.</summary>
    internal static string Describe(EndPoint? endPoint) => endPoint switch
    {
        null => "(unknown)",
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endPoint.ToString() ?? "(unknown)",
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 1201, EventName = "RedisConnectionFailed", Level = LogLevel.Warning,
            Message = "Redis connection to {EndPoint} failed ({FailureType}); reconnecting in the background")]
        public static partial void ConnectionFailed(ILogger logger, string endPoint, string failureType);

        [LoggerMessage(EventId = 1202, EventName = "RedisConnectionRestored", Level = LogLevel.Information,
            Message = "Redis connection to {EndPoint} restored")]
        public static partial void ConnectionRestored(ILogger logger, string endPoint);

        [LoggerMessage(EventId = 1203, EventName = "RedisNotConnectedAtStart", Level = LogLevel.Warning,
            Message = "Redis is not reachable yet; the connection keeps retrying in the background")]
        public static partial void NotConnectedAtStart(ILogger logger);
    }
}
