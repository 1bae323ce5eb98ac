using Messaging.Gateway.Auth;
using Messaging.Gateway.Commands;
using Messaging.Resilience.Bus;
using Messaging.Resilience.Outbox;
using Messaging.Resilience.Persistence;

var builder = WebApplication.CreateBuilder(args);
builder.AddMessagingPostgres();
builder.AddMessagingBus();
builder.AddOutboxRelay();
builder.AddGatewayAuth();
builder.AddCommandsApi();

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapCommandsApi();
app.Run();

/// <summary>The gateway's entry point (public for WebApplicationFactory in tests).</summary>
public partial class Program;
