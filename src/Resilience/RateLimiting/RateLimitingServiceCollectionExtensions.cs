using System.ComponentModel.DataAnnotations;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.Registry;

namespace Messaging.Resilience.RateLimiting;

/// <summary>Registers the Redis rate limiter with its local fallback, and the provider quotas.</summary>
public static class RateLimitingServiceCollectionExtensions
{
    /// <summary>The readiness check's name.</summary>
    public const string HealthCheckName = "rate-limiting";

    // The values of ServiceDefaults' HealthCheckTags.Ready and .PublicDescription (that project depends on this one).
    private static readonly string[] HealthCheckTags = ["ready", "public-description"];

    /// <summary>
    /// Adds <see cref="DistributedRateLimits"/> (options from <c>RateLimiting</c>: <c>InstanceShare</c>,
    /// <c>ProbeInterval</c>), its metrics and the <c>rate-limiting</c> readiness check. Uses the shared Redis
    /// connection (<c>AddMessagingRedis()</c>, called here) and the <c>redis</c> dependency pipeline, which the
    /// host registers with <c>AddInfrastructurePipelines()</c>. Calling it more than once is harmless.
    /// </summary>
    public static IHostApplicationBuilder AddDistributedRateLimiting(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddMessagingRedis();
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(DistributedRateLimits)))
        {
            return builder;
        }

        services.AddResilienceCore();
        services.AddOptions<DistributedRateLimitingOptions>()
            .BindConfiguration(DistributedRateLimitingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<RateLimitingMetrics>();
        services.TryAddSingleton(sp => new LocalRateLimits(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IRateLimitStore, RedisRateLimitStore>();
        services.AddHostedService<RateLimitScriptsWarmUp>();
        services.AddSingleton(sp => new DistributedRateLimits(
            sp.GetRequiredService<IRateLimitStore>(),
            sp.GetRequiredService<ResiliencePipelineProvider<string>>().GetPipeline(DependencyNames.Redis),
            sp.GetRequiredService<LocalRateLimits>(),
            sp.GetRequiredService<IOptionsMonitor<DistributedRateLimitingOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<RateLimitingMetrics>(),
            sp.GetRequiredService<ILogger<DistributedRateLimits>>(),
            sp.GetRequiredService<BreakerRegistry>()));
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            HealthCheckName,
            sp => new RateLimitingHealthCheck(sp.GetRequiredService<DistributedRateLimits>()),
            HealthStatus.Degraded,
            HealthCheckTags,
            TimeSpan.FromSeconds(2)));
        return builder;
    }

    /// <summary>
    /// Adds <see cref="ProviderQuota"/> with the quotas under <c>RateLimiting:Providers:&lt;provider&gt;</c>
    /// (<c>Global</c>, <c>PerTenant</c>, <c>Tenants:&lt;tenant&gt;</c>, <c>MaxWait</c>, <c>MaxPause</c>), validated on
    /// start and reloaded without restart. Calls <see cref="AddDistributedRateLimiting"/>.
    /// </summary>
    public static IHostApplicationBuilder AddProviderQuotas(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddDistributedRateLimiting();
        builder.Services.AddOptions<ProviderQuotasOptions>()
            .BindConfiguration(DistributedRateLimitingOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ProviderQuotasOptions>, ProviderQuotasValidator>();
        builder.Services.TryAddSingleton<ProviderQuota>();
        return builder;
    }

    /// <summary>Validates one rule found at configuration path <paramref name="path"/>; adds messages naming the keys.</summary>
    public static void ValidateRule(RateLimitRule? rule, string path, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (rule is null)
        {
            return;
        }

        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(rule, new ValidationContext(rule), results, validateAllProperties: true))
        {
            foreach (var result in results)
            {
                errors.Add($"{path}:{string.Join(",", result.MemberNames)}: {result.ErrorMessage}");
            }
        }
    }

    private sealed class ProviderQuotasValidator : IValidateOptions<ProviderQuotasOptions>
    {
        public ValidateOptionsResult Validate(string? name, ProviderQuotasOptions options)
        {
            var errors = new List<string>();
            foreach (var (provider, quota) in options.Providers)
            {
                var path = $"{DistributedRateLimitingOptions.SectionName}:Providers:{provider}";
                ValidateRule(quota.Global, path + ":Global", errors);
                ValidateRule(quota.PerTenant, path + ":PerTenant", errors);
                foreach (var (tenant, rule) in quota.Tenants)
                {
                    ValidateRule(rule, $"{path}:Tenants:{tenant}", errors);
                }

                var results = new List<ValidationResult>();
                if (!Validator.TryValidateObject(quota, new ValidationContext(quota), results, validateAllProperties: true))
                {
                    errors.AddRange(results.Select(r => $"{path}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
                }
            }

            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
