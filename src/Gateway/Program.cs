using Messaging.Gateway.Auth;
using Messaging.Gateway.Clients;
using Messaging.Resilience.Persistence;

if (args is ["clients", ..]) { Environment.ExitCode = await ClientsCommandLine.RunAsync(args[1..], Console.Out, Console.Error); return; }

var builder = WebApplication.CreateBuilder(args);
builder.AddMessagingPostgres();
builder.AddGatewayAuth();

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapAuthApi();
app.Run();

/// <summary>The gateway's entry point (public for WebApplicationFactory in tests).</summary>
public partial class Program;
