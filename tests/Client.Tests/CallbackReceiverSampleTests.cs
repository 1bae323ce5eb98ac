using System.Net;
using System.Security.Cryptography;
using System.Text;
using Messaging.Samples.CallbackReceiver;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using StandardWebhooks;

namespace Messaging.Client.Tests;

/// <summary>samples/CallbackReceiver in memory: what it takes, what it refuses, and that a redelivery is handled once.</summary>
public sealed class CallbackReceiverSampleTests : IAsyncDisposable
{
    private static readonly string Secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly WebApplicationFactory<Program> _receiver = new WebApplicationFactory<Program>()
        .WithWebHostBuilder(builder => builder.UseSetting("Callbacks:Secrets:0", Secret));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _receiver.DisposeAsync();

    private static HttpRequestMessage Callback(string id, DateTimeOffset at, string body, string? signature = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/callbacks") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", signature ?? new StandardWebhook(Secret).Sign(id, at, body));
        return request;
    }

    private static string Event(Guid commandId) =>
        $$$"""{"type":"command.succeeded","data":{"id":"{{{commandId}}}","type":"payments.charge","status":"Succeeded","attempts":1}}""";

    [Fact]
    public async Task ASignedEvent_IsTakenOnce_EvenWhenDeliveredTwice()
    {
        using var http = _receiver.CreateClient();
        var commandId = Guid.NewGuid();

        using var first = await http.SendAsync(Callback("msg_a", DateTimeOffset.UtcNow, Event(commandId)), Ct);
        using var again = await http.SendAsync(Callback("msg_a", DateTimeOffset.UtcNow, Event(commandId)), Ct);

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        var handled = Assert.Single(_receiver.Services.GetRequiredService<ReceivedEvents>().All);
        Assert.Equal(("msg_a", "command.succeeded", commandId), (handled.Key, handled.Value.Type, handled.Value.CommandId));
    }

    [Fact]
    public async Task AForgedOrReplayedEvent_Is401_AndNotHandled()
    {
        using var http = _receiver.CreateClient();
        var body = Event(Guid.NewGuid());
        var otherSecret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var old = DateTimeOffset.UtcNow.AddMinutes(-10);

        using var forged = await http.SendAsync(Callback("msg_b", DateTimeOffset.UtcNow, body, new StandardWebhook(otherSecret).Sign("msg_b", DateTimeOffset.UtcNow, body)), Ct);
        using var replayed = await http.SendAsync(Callback("msg_c", old, body), Ct);
        using var unsigned = await http.PostAsync("/callbacks", new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Empty(_receiver.Services.GetRequiredService<ReceivedEvents>().All);
    }
}
