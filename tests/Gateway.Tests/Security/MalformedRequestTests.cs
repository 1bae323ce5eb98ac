using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using CsCheck;
using Messaging.Gateway.Tests.Commands;

namespace Messaging.Gateway.Tests.Security;

/// <summary>
/// Generated malformed requests (bodies, sizes, content types, headers, idempotency keys, command types,
/// tokens), each with at least one defect: every answer is a 4xx problem+json, none is a 5xx, and
/// nothing is stored or enqueued.
/// </summary>
public sealed class MalformedRequestTests(CommandsApiFixture api) : IClassFixture<CommandsApiFixture>
{
    private const string Tenant = "tenant-fuzz";

    private static readonly string[] UnknownTypes = ["payments", "payments.refund", "PAYMENTS.CHARGE", "notifications.sendx", "..", "x", "payments.charge.extra"];

    private static readonly Gen<MalformedRequest> Requests =
        Gen.Int[0, 7].SelectMany(defect => Gen.Int[0, 1000].Select(seed => Build(defect, seed)));

    [Fact]
    public async Task FiveThousandMalformedRequests_AreAll4xxProblems_AndStoreNothing()
    {
        var failures = new ConcurrentBag<string>();
        var count = 0;
        var valid = api.ClientFor(Tenant);
        var adminOnly = api.ClientFor(Tenant, "admin");
        var anonymous = api.Factory.CreateClient();

        await Requests.SampleAsync(async request =>
        {
            Interlocked.Increment(ref count);
            var client = request.Token switch { TokenKind.Valid => valid, TokenKind.AdminOnly => adminOnly, _ => anonymous };
            using var message = request.ToHttpRequest();
            using var response = await client.SendAsync(message, TestContext.Current.CancellationToken);
            var status = (int)response.StatusCode;
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (status is < 400 or > 499 || mediaType != "application/problem+json")
            {
                failures.Add($"{request} → {status} {mediaType}");
            }
        }, iter: 5000, threads: 4);

        Assert.True(count >= 5000, $"only {count} requests were generated");
        Assert.True(failures.IsEmpty, string.Join('\n', failures.Take(20)));
        Assert.Equal(0, await api.CountAsync("commands", $"tenant = '{Tenant}'"));
        Assert.Equal(0, await api.CountAsync("idempotency_keys", $"tenant = '{Tenant}'"));
        Assert.Equal(0, await api.CountAsync("outbox", $"headers->>'Messaging-Tenant' = '{Tenant}'"));
    }

    private static MalformedRequest Build(int defect, int seed)
    {
        var random = new Random(seed);
        var type = random.Next(2) == 0 ? "payments.charge" : "notifications.send";
        var body = type == "payments.charge"
            ? """{"amount":12.5,"currency":"EUR","customerId":"cus_1"}"""
            : """{"channel":"email","to":"a@example.com","body":"hi"}""";
        var request = new MalformedRequest(type, body, "application/json", null, null, TokenKind.Valid, defect);
        return defect switch
        {
            0 => request with { Type = Pick(random, UnknownTypes) },
            1 => request with { ContentType = Pick(random, MalformedInputs.BadContentTypes) },
            2 => request with { Body = Pick(random, MalformedInputs.BadBodies) },
            3 => request with { IdempotencyKey = Pick(random, MalformedInputs.BadIdempotencyKeys) },
            4 => request with { Timeout = Pick(random, MalformedInputs.BadTimeouts) },
            5 => request with { Token = random.Next(2) == 0 ? TokenKind.None : TokenKind.Garbage },
            6 => request with { Token = TokenKind.AdminOnly },
            _ => request with { Body = "{\"amount\":1,\"currency\":\"EUR\",\"customerId\":\"" + new string('x', 65 * 1024) + "\"}" },
        };
    }

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];

    private enum TokenKind
    {
        Valid,
        None,
        Garbage,
        AdminOnly,
    }

    private sealed record MalformedRequest(string Type, string Body, string ContentType, string? IdempotencyKey, string? Timeout, TokenKind Token, int Defect)
    {
        public HttpRequestMessage ToHttpRequest()
        {
            var message = new HttpRequestMessage(HttpMethod.Post, $"/api/commands/{Type}") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Body)) };
            if (ContentType.Length > 0)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }

            if (IdempotencyKey is not null)
            {
                message.Headers.TryAddWithoutValidation("Idempotency-Key", IdempotencyKey);
            }

            if (Timeout is not null)
            {
                message.Headers.TryAddWithoutValidation("Command-Timeout", Timeout);
            }

            if (Token == TokenKind.Garbage)
            {
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "eyJhbGciOiJub25lIn0.eyJ0ZW5hbnQiOiJ4In0.");
            }

            return message;
        }

        public override string ToString() => $"defect {Defect}: POST {Type} [{ContentType}] key={IdempotencyKey} timeout={Timeout} token={Token} body={(Body.Length > 80 ? Body[..80] + "…" : Body)}";
    }
}
