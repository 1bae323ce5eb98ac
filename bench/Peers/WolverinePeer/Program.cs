using JasperFx;
using JasperFx.Resources;
using Messaging.WolverinePeer;
using Wolverine;
using Wolverine.Http;
using Wolverine.Runtime.Handlers;

// The peer bench/Load measures ours against: one notification accepted over HTTP, stored durably in Wolverine's
// PostgreSQL outbox before the 202, sent to a RabbitMQ quorum queue, received through the durable inbox and handed
// to a handler that calls the notifications provider. Peer:Role says which half this process runs (api, handler
// or both), so the load tool can start it as two processes like the gateway and the workers.
var builder = WebApplication.CreateBuilder(args);
var settings = PeerSettings.Read(builder.Configuration);
builder.Host.UseWolverine(options => options.ConfigurePeer(settings));
builder.Services.AddResourceSetupOnStartup();
builder.Services.AddWolverineHttp();
builder.Services.AddNotificationsProvider(settings);

var app = builder.Build();
app.MapGet("/health/live", () => Results.Ok());

// Wolverine compiles a handler when its first message arrives (seconds of Roslyn on this machine): readiness
// compiles it first, so a measured window never includes the compiler.
app.MapGet("/health/ready", (HandlerGraph handlers) =>
    !settings.Handles || handlers.HandlerFor(typeof(SendNotification)) is not null ? Results.Ok() : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
if (settings.Accepts)
{
    app.MapWolverineEndpoints();
}

return await app.RunJasperFxCommands(args).ConfigureAwait(false);
