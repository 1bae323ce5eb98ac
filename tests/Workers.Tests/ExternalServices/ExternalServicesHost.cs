using Messaging.CommandTypes.BuiltIn;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Deadlines;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.RateLimiting;
using Messaging.CommandTypes.Providers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Polly;

namespace Messaging.Workers.Tests.ExternalServices;

/// <summary>The provider clients wired exactly as the Workers host wires them, logging everything to a collector.</summary>
internal sealed class ExternalServicesHost : IDisposable
{
    private readonly IHost _host;

    public ExternalServicesHost(IDictionary<string, string?> configuration)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        // The provider quotas the clients report 429s to live in Redis: the real one, under a key prefix of this host.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = Environment.GetEnvironmentVariable("MESSAGING_TEST_REDIS") ?? "127.0.0.1:6379",
            ["Redis:KeyPrefix"] = $"external-services-{Guid.NewGuid():N}:",
            ["Messaging:SigningKeys:0"] = Messaging.Testing.ServicesFixture.MessageSigningKey,
        });
        builder.Configuration.AddInMemoryCollection(configuration);
        Configuration = builder.Configuration;
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddFakeLogging();
        builder.AddInfrastructurePipelines();
        builder.AddProviderQuotas();
        builder.AddBuiltInCommandTypes();
        builder.AddConfiguredCommandTypes();
        builder.AddCommandProviders();
        builder.Services.AddSingleton<ChargeHandlerCall>();
        builder.Services.AddSingleton<SendNotificationHandlerCall>();
        _host = builder.Build();
    }

    public IServiceProvider Services => _host.Services;

    /// <summary>The host's configuration: set values, then <see cref="IConfigurationRoot.Reload"/> to apply them.</summary>
    public IConfigurationRoot Configuration { get; }

    public BreakerRegistry Breakers => Get<BreakerRegistry>();

    public FakeLogCollector Logs => _host.Services.GetFakeLogCollector();

    public T Get<T>() where T : notnull => _host.Services.GetRequiredService<T>();

    /// <summary>A resilience context for one provider call, with a deadline when given.</summary>
    public static ResilienceContext CallContext(DateTimeOffset? deadline = null)
    {
        var context = ResilienceContextPool.Shared.Get(TestContext.Current.CancellationToken);
        if (deadline is { } due)
        {
            context.Properties.Set(Deadline.PropertyKey, new Deadline(due));
        }

        return context;
    }

    /// <summary>Everything logged, as text, including structured values.</summary>
    public string AllLogText() => string.Join('\n', Logs.GetSnapshot().Select(r =>
        r.Message + " " + string.Join(' ', r.StructuredState?.Select(kv => kv.Value) ?? []) + " " + r.Exception));

    public void Dispose() => _host.Dispose();
}
