using System.Text.Json;
using MassTransit;
using Messaging.Contracts.Notifications;
using Messaging.Load.Infrastructure;
using Messaging.Store.Bus;
using RabbitMQ.Client;

namespace Messaging.Load.Baselines;

/// <summary>
/// P1, the peer a team would build instead: an ASP.NET Core minimal API whose endpoint reads the request and sends
/// it with MassTransit to the command's exchange (durable, publisher confirms on), answering 202 once the broker
/// confirmed. No outbox, no auth, no rate limits: a request whose publish fails is simply lost to the caller.
/// Runs in the load tool's process on a loopback port.
/// </summary>
internal sealed class MassTransitApi : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MassTransitApi(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    private sealed record NotificationRequest(string Channel, string To, string? Subject, string Body);

    public static async Task<MassTransitApi> StartAsync(string rabbitMq)
    {
        await DeclareTopologyAsync(rabbitMq).ConfigureAwait(false);
        var port = ChildProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Services.AddMassTransit(x => x.UsingRabbitMq((context, cfg) =>
        {
            cfg.Host(new Uri(rabbitMq), host => host.PublisherConfirmation = true);
        }));
        var app = builder.Build();
        app.MapPost("/api/commands/notifications.send", async (NotificationRequest request, ISendEndpointProvider endpoints, CancellationToken cancellationToken) =>
        {
            var id = NewId.NextSequentialGuid();
            var endpoint = await endpoints.GetSendEndpoint(new Uri($"exchange:{SendNotification.TypeName}")).ConfigureAwait(false);
            await endpoint.Send(new SendNotification
            {
                CommandId = id, Tenant = "load", Channel = request.Channel, To = request.To, Subject = request.Subject, Body = request.Body,
            }, context =>
            {
                context.MessageId = id;
                context.Durable = true;
            }, cancellationToken).ConfigureAwait(false);
            return Results.Accepted($"/api/commands/{id}", new { id, type = SendNotification.TypeName, status = "Accepted" });
        });
        await app.StartAsync().ConfigureAwait(false);
        return new MassTransitApi(app, new Uri($"http://127.0.0.1:{port}/"));
    }

    /// <summary>The same quorum queue and exchange the product uses (<see cref="CommandTopology"/>).</summary>
    public static async Task DeclareTopologyAsync(string rabbitMq)
    {
        var factory = new ConnectionFactory { Uri = new Uri(rabbitMq) };
        await using var connection = await factory.CreateConnectionAsync().ConfigureAwait(false);
        await using var channel = await connection.CreateChannelAsync().ConfigureAwait(false);
        await CommandTopology.DeclareAsync(channel, Messaging.CommandTypes.BuiltIn.BuiltInCommandTypes.Registry, quorumInitialGroupSize: null).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    internal static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web);
}
