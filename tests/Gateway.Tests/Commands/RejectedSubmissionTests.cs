using System.Net;
using System.Text;
using System.Text.Json;
using Messaging.Gateway.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Gateway.Tests.Commands;

/// <summary>Every 4xx of <c>POST /api/commands/{type}</c> leaves nothing behind. This class never submits a valid command.</summary>
public sealed class RejectedSubmissionTests(CommandsApiFixture fixture) : IClassFixture<CommandsApiFixture>
{
    private const string Tenant = "tenant-rejected";

    public static TheoryData<string> Cases => new(RejectionCases.All.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Submit_Rejected_AnswersProblemAndStoresNothing(string name)
    {
        var rejection = RejectionCases.All[name];
        using var client = rejection.Scopes is null ? fixture.Factory.CreateClient() : fixture.ClientFor(Tenant, rejection.Scopes);

        using var response = await client.SendAsync(rejection.Request(), TestContext.Current.CancellationToken);

        Assert.Equal(rejection.Status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal((int)rejection.Status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.True(problem.RootElement.TryGetProperty("title", out _));
        Assert.True(problem.RootElement.TryGetProperty("traceId", out _));
        if (rejection.ErrorField is { } field)
        {
            var errors = problem.RootElement.GetProperty("errors");
            Assert.True(errors.TryGetProperty(field, out _), $"expected an error for '{field}' in {errors}");
        }

        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Submit_WithEmptyIdempotencyKey_Returns400AndStoresNothing()
    {
        // HttpClient drops empty header values, so this request is built on the server side.
        var (token, _) = fixture.Factory.Services.GetRequiredService<AccessTokenIssuer>().Issue("client", Tenant, ["commands"]);
        var context = await fixture.Factory.Server.SendAsync(http =>
        {
            http.Request.Method = HttpMethods.Post;
            http.Request.Path = "/api/commands/payments.charge";
            http.Request.Headers.Authorization = "Bearer " + token;
            http.Request.Headers.ContentType = "application/json";
            http.Request.Headers["Idempotency-Key"] = "";
            http.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(CommandRequestsFor.Charge));
        }, TestContext.Current.CancellationToken);

        Assert.Equal(StatusCodes.Status400BadRequest, context.Response.StatusCode);
        using var problem = await JsonDocument.ParseAsync(context.Response.Body, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("Idempotency-Key", out _));
        await AssertNothingStoredAsync();
    }

    private async Task AssertNothingStoredAsync()
    {
        Assert.Equal(0, await fixture.CountAsync("commands"));
        Assert.Equal(0, await fixture.CountAsync("outbox"));
        Assert.Equal(0, await fixture.CountAsync("idempotency_keys"));
    }
}

internal sealed record Rejection(Func<HttpRequestMessage> Request, HttpStatusCode Status, string? ErrorField = null, string? Scopes = "commands");

internal static class RejectionCases
{
    private const string Charge = "payments.charge";
    private const string Notify = "notifications.send";

    public static readonly Dictionary<string, Rejection> All = new()
    {
        ["no token"] = new(() => Post(Charge, CommandRequestsFor.Charge), HttpStatusCode.Unauthorized, Scopes: null),
        ["admin scope only"] = new(() => Post(Charge, CommandRequestsFor.Charge), HttpStatusCode.Forbidden, Scopes: "admin"),
        ["unknown type"] = new(() => Post("payments.refund", CommandRequestsFor.Charge), HttpStatusCode.NotFound),
        ["type in other case"] = new(() => Post("Payments.Charge", CommandRequestsFor.Charge), HttpStatusCode.NotFound),
        ["text/plain"] = new(() => Post(Charge, CommandRequestsFor.Charge, contentType: "text/plain"), HttpStatusCode.UnsupportedMediaType),
        ["problem+json"] = new(() => Post(Charge, CommandRequestsFor.Charge, contentType: "application/problem+json"), HttpStatusCode.UnsupportedMediaType),
        ["latin1 charset"] = new(() => Post(Charge, CommandRequestsFor.Charge, contentType: "application/json; charset=iso-8859-1"), HttpStatusCode.UnsupportedMediaType),
        ["no content type"] = new(NoContentType, HttpStatusCode.UnsupportedMediaType),
        ["64 KiB + 1 with length"] = new(() => Post(Charge, Padded(64 * 1024 + 1)), HttpStatusCode.RequestEntityTooLarge),
        ["64 KiB + 1 chunked"] = new(Chunked, HttpStatusCode.RequestEntityTooLarge),
        ["malformed json"] = new(() => Post(Charge, """{"amount":10,"""), HttpStatusCode.BadRequest),
        ["empty body"] = new(() => Post(Charge, ""), HttpStatusCode.BadRequest),
        ["json null"] = new(() => Post(Charge, "null"), HttpStatusCode.BadRequest),
        ["json array"] = new(() => Post(Charge, "[]"), HttpStatusCode.BadRequest),
        ["json comment"] = new(() => Post(Charge, """{"amount":1,"currency":"EUR","customerId":"c" /* hi */}"""), HttpStatusCode.BadRequest),
        ["unknown property"] = new(() => Post(Charge, """{"amount":1,"currency":"EUR","customerId":"c","coupon":"X"}"""), HttpStatusCode.BadRequest),
        ["tenant in body"] = new(() => Post(Charge, """{"amount":1,"currency":"EUR","customerId":"c","tenant":"other"}"""), HttpStatusCode.BadRequest),
        ["duplicate property"] = new(() => Post(Charge, """{"amount":1,"amount":2,"currency":"EUR","customerId":"c"}"""), HttpStatusCode.BadRequest),
        ["amount as string"] = new(() => Post(Charge, """{"amount":"10","currency":"EUR","customerId":"c"}"""), HttpStatusCode.BadRequest),
        ["notification body for charge"] = new(() => Post(Charge, CommandRequestsFor.Email), HttpStatusCode.BadRequest),
        ["amount missing"] = new(() => Post(Charge, """{"currency":"EUR","customerId":"c"}"""), HttpStatusCode.BadRequest, "amount"),
        ["amount zero"] = new(() => Post(Charge, """{"amount":0,"currency":"EUR","customerId":"c"}"""), HttpStatusCode.BadRequest, "amount"),
        ["amount negative"] = new(() => Post(Charge, """{"amount":-5,"currency":"EUR","customerId":"c"}"""), HttpStatusCode.BadRequest, "amount"),
        ["amount with 5 decimals"] = new(() => Post(Charge, """{"amount":1.00001,"currency":"EUR","customerId":"c"}"""), HttpStatusCode.BadRequest, "amount"),
        ["currency missing"] = new(() => Post(Charge, """{"amount":1,"customerId":"c"}"""), HttpStatusCode.BadRequest, "currency"),
        ["currency lower case"] = new(() => Post(Charge, """{"amount":1,"currency":"eur","customerId":"c"}"""), HttpStatusCode.BadRequest, "currency"),
        ["currency unknown"] = new(() => Post(Charge, """{"amount":1,"currency":"ABC","customerId":"c"}"""), HttpStatusCode.BadRequest, "currency"),
        ["currency withdrawn"] = new(() => Post(Charge, """{"amount":1,"currency":"HRK","customerId":"c"}"""), HttpStatusCode.BadRequest, "currency"),
        ["customerId missing"] = new(() => Post(Charge, """{"amount":1,"currency":"EUR"}"""), HttpStatusCode.BadRequest, "customerId"),
        ["customerId blank"] = new(() => Post(Charge, """{"amount":1,"currency":"EUR","customerId":"  "}"""), HttpStatusCode.BadRequest, "customerId"),
        ["customerId 101 chars"] = new(() => Post(Charge, $$"""{"amount":1,"currency":"EUR","customerId":"{{new string('c', 101)}}"}"""), HttpStatusCode.BadRequest, "customerId"),
        ["description 501 chars"] = new(() => Post(Charge, $$"""{"amount":1,"currency":"EUR","customerId":"c","description":"{{new string('d', 501)}}"}"""), HttpStatusCode.BadRequest, "description"),
        ["channel missing"] = new(() => Post(Notify, """{"to":"a@example.com","body":"b"}"""), HttpStatusCode.BadRequest, "channel"),
        ["channel fax"] = new(() => Post(Notify, """{"channel":"fax","to":"a@example.com","body":"b"}"""), HttpStatusCode.BadRequest, "channel"),
        ["to missing"] = new(() => Post(Notify, """{"channel":"email","body":"b"}"""), HttpStatusCode.BadRequest, "to"),
        ["email without domain dot"] = new(() => Post(Notify, """{"channel":"email","to":"ada@localhost","body":"b"}"""), HttpStatusCode.BadRequest, "to"),
        ["email with space"] = new(() => Post(Notify, """{"channel":"email","to":"ada lovelace@example.com","body":"b"}"""), HttpStatusCode.BadRequest, "to"),
        ["email with two at signs"] = new(() => Post(Notify, """{"channel":"email","to":"a@b@example.com","body":"b"}"""), HttpStatusCode.BadRequest, "to"),
        ["sms without plus"] = new(() => Post(Notify, """{"channel":"sms","to":"015112345678","body":"b"}"""), HttpStatusCode.BadRequest, "to"),
        ["sms too long"] = new(() => Post(Notify, """{"channel":"sms","to":"+1234567890123456","body":"b"}"""), HttpStatusCode.BadRequest, "to"),
        ["sms to email address"] = new(() => Post(Notify, """{"channel":"sms","to":"a@example.com","body":"b"}"""), HttpStatusCode.BadRequest, "to"),
        ["subject on sms"] = new(() => Post(Notify, """{"channel":"sms","to":"+4915112345678","subject":"s","body":"b"}"""), HttpStatusCode.BadRequest, "subject"),
        ["subject 201 chars"] = new(() => Post(Notify, $$"""{"channel":"email","to":"a@example.com","subject":"{{new string('s', 201)}}","body":"b"}"""), HttpStatusCode.BadRequest, "subject"),
        ["body missing"] = new(() => Post(Notify, """{"channel":"email","to":"a@example.com"}"""), HttpStatusCode.BadRequest, "body"),
        ["body empty"] = new(() => Post(Notify, """{"channel":"email","to":"a@example.com","body":""}"""), HttpStatusCode.BadRequest, "body"),
        ["body 10001 chars"] = new(() => Post(Notify, $$"""{"channel":"email","to":"a@example.com","body":"{{new string('b', 10_001)}}"}"""), HttpStatusCode.BadRequest, "body"),
        ["idempotency key 256 chars"] = new(() => Post(Charge, CommandRequestsFor.Charge, key: new string('k', 256)), HttpStatusCode.BadRequest, "Idempotency-Key"),
        ["idempotency key with space"] = new(() => Post(Charge, CommandRequestsFor.Charge, key: "my key"), HttpStatusCode.BadRequest, "Idempotency-Key"),
        ["idempotency key with tab"] = new(() => Post(Charge, CommandRequestsFor.Charge, key: "my\tkey"), HttpStatusCode.BadRequest, "Idempotency-Key"),
        ["idempotency key twice"] = new(() => TwoHeaders("Idempotency-Key"), HttpStatusCode.BadRequest, "Idempotency-Key"),
        ["timeout zero"] = new(() => Post(Charge, CommandRequestsFor.Charge, timeout: "0"), HttpStatusCode.BadRequest, "Command-Timeout"),
        ["timeout above one day"] = new(() => Post(Charge, CommandRequestsFor.Charge, timeout: "86401"), HttpStatusCode.BadRequest, "Command-Timeout"),
        ["timeout negative"] = new(() => Post(Charge, CommandRequestsFor.Charge, timeout: "-5"), HttpStatusCode.BadRequest, "Command-Timeout"),
        ["timeout fractional"] = new(() => Post(Charge, CommandRequestsFor.Charge, timeout: "1.5"), HttpStatusCode.BadRequest, "Command-Timeout"),
        ["timeout text"] = new(() => Post(Charge, CommandRequestsFor.Charge, timeout: "PT5M"), HttpStatusCode.BadRequest, "Command-Timeout"),
        ["timeout twice"] = new(() => TwoHeaders("Command-Timeout"), HttpStatusCode.BadRequest, "Command-Timeout"),
    };

    private static HttpRequestMessage Post(string type, string body, string? key = null, string? timeout = null, string contentType = "application/json") =>
        CommandRequestsFor.Post(type, body, key, timeout, contentType);

    // Valid JSON padded with whitespace to the given size: only its length is wrong.
    private static string Padded(int size) => CommandRequestsFor.Charge + new string(' ', size - CommandRequestsFor.Charge.Length);

    private static HttpRequestMessage NoContentType()
    {
        var request = Post(Charge, CommandRequestsFor.Charge);
        request.Content!.Headers.ContentType = null;
        return request;
    }

    private static HttpRequestMessage Chunked()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/commands/{Charge}")
        {
            Content = new StreamContent(new UnknownLengthStream(Encoding.UTF8.GetBytes(Padded(64 * 1024 + 1)))),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        request.Headers.TransferEncodingChunked = true;
        return request;
    }

    private static HttpRequestMessage TwoHeaders(string header)
    {
        var request = Post(Charge, CommandRequestsFor.Charge);
        request.Headers.TryAddWithoutValidation(header, ["10", "20"]);
        return request;
    }

    /// <summary>A body whose length is not known up front, so no Content-Length is sent.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
