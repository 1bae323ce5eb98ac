using Messaging.Resilience.Pipelines;
using Messaging.Resilience.RateLimiting;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Messaging.Resilience.Tests.RateLimiting;

/// <summary>
/// One "instance" (a gateway or a worker) of the rate limiter against the fixture's real Redis: its own Redis
/// connection, pipelines and local fallback, sharing the fixture's key prefix with the other instances.
/// </summary>
internal sealed class RedisLimitsHost : IDisposable
{
    private readonly IHost _host;

    public RedisLimitsHost(ServicesFixture fixture, IDictionary<string, string?>? settings = null, string? redis = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        var configuration = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redis ?? fixture.RedisConnectionString,
            ["Redis:KeyPrefix"] = fixture.RedisKeyPrefix,
            ["Messaging:SigningKeys:0"] = ServicesFixture.MessageSigningKey,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddInfrastructurePipelines();
        builder.AddProviderQuotas();
        _host = builder.Build();
    }

    public IServiceProvider Services => _host.Services;

    public DistributedRateLimits Limits => Services.GetRequiredService<DistributedRateLimits>();

    public ProviderQuota Quota => Services.GetRequiredService<ProviderQuota>();

    public void Dispose() => _host.Dispose();
}
