using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.Client.Tests;

/// <summary><see cref="SendOptions.CallbackUrl"/> and <see cref="CommandInfo.Callback"/> against <see cref="StubGateway"/>.</summary>
public sealed class CallbackOptionsTests
{
    private const string Id = "0199a3c0-0000-7000-8000-000000000001";
    private const string Accepted = $$"""{"id":"{{Id}}","type":"payments.charge","status":"Accepted","statusUrl":"/api/commands/{{Id}}"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Send_WithACallbackUrl_SendsTheCallbackUrlHeader_AndWithoutNone()
    {
        var (gateway, requests) = Recording(_ => StubGateway.Json(HttpStatusCode.Accepted, Accepted));
        var client = gateway.CreateClient();

        await client.SendAsync(new PaymentsCharge(1m, "EUR", "cus_1"), new SendOptions { CallbackUrl = new Uri("https://hooks.example.com/done?x=1") }, Ct);
        await client.SendAsync(new PaymentsCharge(1m, "EUR", "cus_1"), new SendOptions(), Ct);

        Assert.Equal(["https://hooks.example.com/done?x=1"], requests[0].Headers.GetValues("Callback-Url"));
        Assert.False(requests[1].Headers.Contains("Callback-Url"));
    }

    [Fact]
    public async Task SendBatch_WithACallbackUrl_SendsItAsTheItemsCallbackUrl()
    {
        var bodies = new List<JsonElement>();
        var (gateway, _) = Recording(request =>
        {
            bodies.Add(JsonDocument.Parse(request.Content!.ReadAsStringAsync().GetAwaiter().GetResult()).RootElement.Clone());
            return StubGateway.Json(HttpStatusCode.Accepted, $$"""{"items":[{{Accepted}},{{Accepted}}]}""");
        });

        await gateway.CreateClient().SendBatchAsync(
        [
            CommandBatchItem.For(new PaymentsCharge(1m, "EUR", "cus_1"), new SendOptions { CallbackUrl = new Uri("https://hooks.example.com/a") }),
            CommandBatchItem.For(new PaymentsCharge(2m, "EUR", "cus_1")),
        ], Ct);

        var items = Assert.Single(bodies).GetProperty("items");
        Assert.Equal("https://hooks.example.com/a", items[0].GetProperty("callbackUrl").GetString());
        Assert.False(items[1].TryGetProperty("callbackUrl", out _));
    }

    [Theory]
    [InlineData("/relative")]
    [InlineData("ftp://hooks.example.com/a")]
    public async Task Send_WithACallbackUrlThatCannotBeOne_ThrowsBeforeSending(string url)
    {
        var (gateway, requests) = Recording(_ => StubGateway.Json(HttpStatusCode.Accepted, Accepted));

        await Assert.ThrowsAsync<ArgumentException>(() => gateway.CreateClient().SendAsync(new PaymentsCharge(1m, "EUR", "cus_1"),
            new SendOptions { CallbackUrl = new Uri(url, UriKind.RelativeOrAbsolute) }, Ct));

        Assert.Empty(requests);
    }

    [Fact]
    public void CommandInfo_ReadsTheCallback_AndNoneWhenAbsent()
    {
        var with = JsonSerializer.Deserialize<CommandInfo>(
            $$$"""{"id":"{{{Id}}}","type":"payments.charge","status":"Succeeded","callback":{"state":"Delivering","attempts":3,"lastError":"HTTP 503"}}""",
            GatewayResponses.Json)!;
        var without = JsonSerializer.Deserialize<CommandInfo>($$"""{"id":"{{Id}}","type":"payments.charge","status":"Succeeded"}""", GatewayResponses.Json)!;

        Assert.Equal(new CallbackInfo { State = "Delivering", Attempts = 3, LastError = "HTTP 503" }, with.Callback);
        Assert.Null(without.Callback);
    }

    private static (StubGateway Gateway, List<HttpRequestMessage> Requests) Recording(Func<HttpRequestMessage, HttpResponseMessage> answer)
    {
        var requests = new List<HttpRequestMessage>();
        var gateway = new StubGateway(new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero)))
        {
            Api = (request, _) =>
            {
                requests.Add(request);
                return answer(request);
            },
        };
        return (gateway, requests);
    }
}
