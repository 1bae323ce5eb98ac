using Messaging.CommandTypes.BuiltIn;
using Messaging.Gateway.Auth;
using Messaging.Gateway.Clients;
using Messaging.Gateway.CommandTypes;
using Messaging.Gateway.DeadLetters;
using Messaging.Gateway.Commands;
using Messaging.Gateway.Monitoring;
using Messaging.Gateway.OpenApi;
using Messaging.Gateway.RateLimiting;
using Messaging.Store.Audit;
using Messaging.Store.Bus;
using Messaging.Store.DeadLetters;
using Messaging.Store.Outbox;
using Messaging.Store.Persistence;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.Redis;
using Messaging.Resilience.Routes;

if (args is ["clients", ..])
{
    // Client management (clients add/list/revoke) shares the gateway's configuration, then exits.
    Environment.ExitCode = await ClientsCommandLine.RunAsync(args[1..], Console.Out, Console.Error);
    return;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddBuiltInCommandTypes();
builder.AddShippingLabels(); // a sample type, added through its registration alone (docs/command-types.md)
builder.AddConfiguredCommandTypes(); // types declared in configuration alone (Commands:Types:<type>:Kind = http)
builder.AddMessagingPostgres();
builder.AddMessagingRedis();
builder.AddInfrastructurePipelines();
builder.AddRouteResilience("auth", "accept", "commands", "monitoring");
builder.AddCommandTopology();
builder.AddMessagingBus();
builder.AddOutboxRelay();
builder.AddGatewayAuth();
builder.AddCommandsApi();
builder.AddCommandTypesApi();
builder.AddDeadLetters();
builder.AddAuditTrail();
builder.AddMonitoring();
builder.AddGatewayRateLimiting();
builder.AddGatewayOpenApi();

var app = builder.Build();

// Order matters (docs/rate-limiting.md): forwarded headers only from known proxies, then the per-IP limit before
// any token is validated, and the per-tenant limit once the token's tenant is known.
app.UseDefaultExceptionHandler();
app.UseGatewayForwardedHeaders();
app.UseRequestTimeouts();
app.UseIpRateLimiting();
app.UseAuthentication();
app.UseTenantRateLimiting();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapAuthApi().WithResilience("auth").WithIpRateLimit("auth");
var commands = app.MapCommandsApi();
commands.All.WithIpRateLimit("commands").RequireTenantRateLimit();
commands.Accept.WithResilience("accept"); // the critical path: its own bulkhead and timeout (docs/security.md)
commands.Reads.WithResilience("commands");
app.MapCommandTypesApi().WithIpRateLimit("commands").RequireTenantRateLimit().WithResilience("commands"); // a command read too
app.MapMonitoringApi().WithResilience("monitoring");
app.MapDeadLettersApi();
app.MapMonitoringPage();
app.MapGatewayOpenApi(); // GET /openapi/v1.json, anonymous (docs/security.md)
app.Run();

/// <summary>The gateway's entry point (public for WebApplicationFactory in tests).</summary>
public partial class Program;
