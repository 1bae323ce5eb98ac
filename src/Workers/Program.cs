using Messaging.Resilience.Persistence;
using Messaging.Workers.Execution;
using Messaging.Workers.ExternalServices;

var builder = WebApplication.CreateBuilder(args);

// Shared host wiring (OpenTelemetry, health checks, /health and /metrics on 127.0.0.1:5081) comes
// from src/ServiceDefaults: builder.AddServiceDefaults() goes here, first.

// Hosted services start in registration order: the schema is migrated before the bus consumes.
builder.AddMessagingPostgres();
builder.AddExternalServices();
builder.AddCommandConsumers();

var app = builder.Build();

// ServiceDefaults' endpoints (app.MapDefaultEndpoints()) are mapped here.

app.Run();

/// <summary>The workers' entry point (public for WebApplicationFactory in tests).</summary>
public partial class Program;
