using System.Net;
using System.Text.Json;
using Messaging.Gateway.Commands;
using Messaging.Store.Outbox;
using Npgsql;

namespace Messaging.Gateway.Tests.Commands;

/// <summary>The <c>Not-Before</c> header: stored <c>Scheduled</c>, due then, its deadline counted from then; refused when malformed.</summary>
public sealed class NotBeforeTests(CommandsApiFixture fixture) : IClassFixture<CommandsApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HttpRequestMessage Post(string notBefore, string? key = null, string? timeout = null, string body = CommandRequestsFor.Charge)
    {
        var request = CommandRequestsFor.Post("payments.charge", body, key, timeout);
        request.Headers.TryAddWithoutValidation(CommandsEndpoints.NotBeforeHeader, notBefore);
        return request;
    }

    private static string Rfc3339(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Submit_WithNotBeforeAhead_IsStoredScheduledDueThen_WithTheDeadlineCountedFromIt()
    {
        const string tenant = "tenant-not-before";
        using var client = fixture.ClientFor(tenant);
        var notBefore = fixture.Time.GetUtcNow() + TimeSpan.FromHours(15);

        // An offset other than Z is the same instant.
        using var response = await client.SendAsync(Post(notBefore.ToOffset(TimeSpan.FromHours(2)).ToString("yyyy-MM-dd'T'HH:mm:sszzz",
            System.Globalization.CultureInfo.InvariantCulture), timeout: "600"), Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("Scheduled", body.RootElement.GetProperty("status").GetString());
        var id = body.RootElement.GetProperty("id").GetGuid();

        await using var connection = await fixture.OpenDatabaseAsync();
        await using var select = new NpgsqlCommand(
            """
            SELECT c.status, c.not_before, c.deadline, o.not_before, o.headers->>'Messaging-Deadline'
            FROM commands c JOIN outbox o ON o.command_id = c.id WHERE c.id = @id
            """, connection);
        select.Parameters.AddWithValue("id", id);
        await using var reader = await select.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        Assert.Equal("Scheduled", reader.GetString(0));
        Assert.Equal(notBefore, reader.GetFieldValue<DateTimeOffset>(1));
        Assert.Equal(notBefore + TimeSpan.FromSeconds(600), reader.GetFieldValue<DateTimeOffset>(2));
        Assert.Equal(notBefore, reader.GetFieldValue<DateTimeOffset>(3));
        Assert.Equal(notBefore + TimeSpan.FromSeconds(600), DateTimeOffset.Parse(reader.GetString(4), System.Globalization.CultureInfo.InvariantCulture));

        using var status = await client.GetAsync($"/api/commands/{id}", Ct);
        using var view = JsonDocument.Parse(await status.Content.ReadAsStringAsync(Ct));
        Assert.Equal("Scheduled", view.RootElement.GetProperty("status").GetString());
        Assert.Equal(notBefore, view.RootElement.GetProperty("notBefore").GetDateTimeOffset());
    }

    [Fact]
    public async Task Submit_WithNotBeforeAndNoTimeout_TakesTheTypesDefaultAfterIt()
    {
        using var client = fixture.ClientFor("tenant-not-before-default");
        var notBefore = fixture.Time.GetUtcNow() + TimeSpan.FromDays(2);

        using var response = await client.SendAsync(Post(Rfc3339(notBefore)), Ct);

        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        using var status = await client.GetAsync($"/api/commands/{body.RootElement.GetProperty("id").GetGuid()}", Ct);
        using var view = JsonDocument.Parse(await status.Content.ReadAsStringAsync(Ct));
        var defaultTimeout = TimeSpan.FromHours(1); // payments.charge's DefaultTimeout
        Assert.Equal(notBefore + defaultTimeout, view.RootElement.GetProperty("deadline").GetDateTimeOffset());
    }

    [Fact]
    public async Task Submit_WithNotBeforeWithinTheClockSkew_RunsAtOnce()
    {
        const string tenant = "tenant-not-before-skew";
        using var client = fixture.ClientFor(tenant);

        using var response = await client.SendAsync(Post(Rfc3339(fixture.Time.GetUtcNow() - TimeSpan.FromMinutes(4))), Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, await fixture.CountAsync("commands", $"tenant = '{tenant}' AND status = 'Accepted' AND not_before IS NULL"));
        Assert.Equal(1, await fixture.CountAsync("outbox", $"headers->>'Messaging-Tenant' = '{tenant}' AND not_before = created_at"));
    }

    [Theory]
    [InlineData("tomorrow")]
    [InlineData("2031-05-04T12:00:00")] // no offset: RFC 3339 needs one
    [InlineData("2031-05-04 12:00:00Z")]
    [InlineData("Sun, 04 May 2031 12:00:00 GMT")] // an HTTP date, not RFC 3339
    [InlineData("2031-05-04T12:00:00+0200")]
    [InlineData("2031-13-04T12:00:00Z")]
    [InlineData("+30.00:00:01")] // more than 30 days ahead
    [InlineData("-00:05:01")] // more than 5 minutes in the past
    public async Task Submit_WithAnInvalidNotBefore_Returns400NamingTheHeader_AndStoresNothing(string notBefore)
    {
        // Offsets from the fixture's clock, which other tests may move.
        if (notBefore[0] is '+' or '-')
        {
            var offset = TimeSpan.Parse(notBefore.TrimStart('+'), System.Globalization.CultureInfo.InvariantCulture);
            notBefore = Rfc3339(fixture.Time.GetUtcNow() + offset);
        }

        var tenant = "tenant-bad-nb-" + Guid.NewGuid().ToString("N")[..8];
        using var client = fixture.ClientFor(tenant);

        using var response = await client.SendAsync(Post(notBefore), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("Not-Before", out _));
        Assert.Equal(0, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
    }

    [Fact]
    public async Task Submit_WithNotBeforeGivenTwice_Returns400()
    {
        using var client = fixture.ClientFor("tenant-nb-twice");
        using var request = Post(Rfc3339(fixture.Time.GetUtcNow().AddHours(1)));
        request.Headers.TryAddWithoutValidation(CommandsEndpoints.NotBeforeHeader, Rfc3339(fixture.Time.GetUtcNow().AddHours(2)));

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task NotBefore_IsPartOfTheIdempotentRequest_OnlyWhenGiven()
    {
        const string tenant = "tenant-nb-key";
        using var client = fixture.ClientFor(tenant);
        var at = fixture.Time.GetUtcNow() + TimeSpan.FromHours(1);

        using var first = await client.SendAsync(Post(Rfc3339(at), key: "nb-1"), Ct);
        using var same = await client.SendAsync(Post(Rfc3339(at), key: "nb-1"), Ct);
        using var otherTime = await client.SendAsync(Post(Rfc3339(at.AddMinutes(1)), key: "nb-1"), Ct);
        using var without = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, "nb-1"), Ct);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, same.StatusCode);
        Assert.Equal(["true"], same.Headers.GetValues("Idempotent-Replayed"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherTime.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, without.StatusCode);
        Assert.Equal(1, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
    }

    [Fact]
    public void RequestHash_WithoutNotBefore_IsTheHashKeysWereStoredWith()
    {
        // Keys stored before Not-Before existed hashed exactly type, timeout and payload: they must still replay.
        var payload = """{"amount":10.5}""";
        var before = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"payments.charge\060\0{payload}"));

        Assert.Equal(before, CommandRows.RequestHash("payments.charge", 60, payload));
        Assert.NotEqual(before, CommandRows.RequestHash("payments.charge", 60, payload, DateTimeOffset.UnixEpoch));
    }
}
