using Messaging.Gateway.Auth;
using Messaging.Gateway.Clients;
using Messaging.Resilience.Bus;
using Messaging.Resilience.Outbox;
using Messaging.Resilience.Persistence;

if (args is ["clients", ..])
{
    // Client management (clients add/list/revoke) shares the gateway's configuration, then exits.
    Environment.ExitCode = await ClientsCommandLine.RunAsync(args[1..], Console.Out, Console.Error);
    return;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddMessagingPostgres();
builder.AddMessagingBus();
builder.AddOutboxRelay();
builder.AddGatewayAuth();

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapAuthApi();
app.Run();

/// <summary>The gateway's entry point (public for WebApplicationFactory in tests).</summary>
public partial class Program;
