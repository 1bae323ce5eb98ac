using Messaging.Gateway.Auth;
using Messaging.Resilience.Bus;
using Messaging.Resilience.Outbox;
using Messaging.Resilience.Persistence;

var builder = WebApplication.CreateBuilder(args);
builder.AddMessagingPostgres();
builder.AddMessagingBus();
builder.AddOutboxRelay();
builder.AddGatewayAuth();

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.Run();

/// <summary>The gateway's entry point (public for WebApplicationFactory in tests).</summary>
public partial class Program;
