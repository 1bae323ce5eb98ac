using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Messaging.Resilience.Redis;

/// <summary>Registers the shared Redis connection.</summary>
public static class RedisServiceCollectionExtensions
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

        builder.Services.AddOptions<RedisOptions>()
            .BindConfiguration(SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.TryAddSingleton<IConnectionMultiplexer>(sp =>
        {
            var options = ConfigurationOptions.Parse(connectionString);
            options.AbortOnConnectFail = false;
            options.LoggerFactory ??= sp.GetService<ILoggerFactory>();
            return ConnectionMultiplexer.Connect(options);
        });
        return builder;
    }
}

/// <summary>Settings shared by everything that keeps data in Redis (section <c>Redis</c>).</summary>
public sealed class RedisOptions
{
    /// <summary>Gets or sets the prefix of every key we write, so several deployments (or test runs) can share one Redis.</summary>
    /// <value>The default value is <c>messaging:</c>.</value>
    [Required(AllowEmptyStrings = true)]
    [MaxLength(128)]
    public string KeyPrefix { get; set; } = "messaging:";
}
