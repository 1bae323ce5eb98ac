using Messaging.CommandTypes.BuiltIn;
using Messaging.Store.Persistence;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.RateLimiting;
using Messaging.Resilience.Redis;
using Messaging.Workers.Callbacks;
using Messaging.Workers.DeadLetters;
using Messaging.Workers.Execution;
using Messaging.CommandTypes.Providers;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddBuiltInCommandTypes();
builder.AddShippingLabels(); // a sample type, added through its registration alone (docs/command-types.md)
builder.AddConfiguredCommandTypes(); // types declared in configuration alone (Commands:Types:<type>:Kind = http)

// Hosted services start in registration order: the schema is migrated before the bus consumes.
builder.AddMessagingPostgres();
builder.AddMessagingRedis();
builder.AddInfrastructurePipelines();
builder.AddProviderQuotas();
builder.AddCommandProviders(); // every declared provider: endpoints, failover, pipelines, credentials
builder.AddCallbackDelivery(); // completion callbacks: callbacks.deliver, signed, one breaker and limit per origin
builder.RequireSecureUrlsInProduction(builder.Services.CommandProviderRegistrations().Select(p => p.Section)); // wherever a provider is configured
builder.AddCommandConsumers();
builder.AddDeadLetterDrain();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();

/// <summary>The workers' entry point (public for WebApplicationFactory in tests).</summary>
public partial class Program;
