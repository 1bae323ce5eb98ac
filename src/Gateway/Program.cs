using Messaging.Gateway.Auth;
using Messaging.Gateway.Clients;
using Messaging.Gateway.DeadLetters;
using Messaging.Gateway.Commands;
using Messaging.Gateway.Monitoring;
using Messaging.Resilience.Bus;
using Messaging.Resilience.DeadLetters;
using Messaging.Resilience.Outbox;
using Messaging.Resilience.Persistence;
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
builder.AddMessagingPostgres();
builder.AddMessagingRedis();
builder.AddInfrastructurePipelines();
builder.AddRouteResilience("auth", "commands", "monitoring");
builder.AddCommandTopology();
builder.AddMessagingBus();
builder.AddOutboxRelay();
builder.AddGatewayAuth();
builder.AddCommandsApi();
builder.AddDeadLetters();
builder.AddMonitoring();

var app = builder.Build();
app.UseDefaultExceptionHandler();
app.UseRequestTimeouts();
app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapAuthApi().WithResilience("auth");
app.MapCommandsApi().WithResilience("commands");
app.MapMonitoringApi().WithResilience("monitoring");
app.MapDeadLettersApi();
app.MapMonitoringPage();
app.Run();

/// <summary>The gateway's entry point (public for WebApplicationFactory in tests).</summary>
public partial class Program;
