using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Messaging.Gateway.Tests.DeadLetters;

public sealed class DeadLettersApiTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    private Task<Guid> DeadLetteredCommandAsync(string tenant) => host.SeedDeadLetterAsync(tenant);

    private Task<long> OutboxRowsAsync(Guid id) => host.OutboxRowsAsync(id);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RedrivingADeadLetteredCommand_Is202_AndHappensOnce()
    {
        using var client = await host.CreateClientAsync("tenant-redrive", "commands");
        var id = await DeadLetteredCommandAsync("tenant-redrive");

        using var first = await client.PostAsync($"/api/commands/{id}/redrive", null, TestContext.Current.CancellationToken);
        using var second = await client.PostAsync($"/api/commands/{id}/redrive", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal(1, await OutboxRowsAsync(id));
        var status = await client.GetFromJsonAsync<JsonElement>($"/api/commands/{id}", TestContext.Current.CancellationToken);
        Assert.NotEqual("DeadLettered", status.GetProperty("status").GetString());
    }

    [Fact]
    public async Task RedrivingAnOldDeadLetter_WithoutABody_GivesItTheTypesDefaultDeadline_StoredAndInItsMessage()
    {
        using var client = await host.CreateClientAsync("tenant-redrive-fresh", "commands");
        var id = await DeadLetteredCommandAsync("tenant-redrive-fresh");
        var (passed, _) = await host.DeadlinesAsync(id);

        var before = DateTimeOffset.UtcNow;
        using var response = await client.PostAsync($"/api/commands/{id}/redrive", null, Ct);
        var after = DateTimeOffset.UtcNow;

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(passed < before, "the seeded dead letter's deadline has passed");
        var (stored, sent) = await host.DeadlinesAsync(id);
        // payments.charge's default timeout is 1 hour, counted from the redrive.
        Assert.InRange(stored!.Value, before.AddHours(1).AddMilliseconds(-1), after.AddHours(1));
        Assert.Equal(stored, sent);
    }

    [Fact]
    public async Task RedrivingWithADeadline_GivesTheCommandThatDeadline_StoredAndInItsMessage_AndAuditsIt()
    {
        using var client = await host.CreateClientAsync("tenant-redrive-deadline", "commands");
        var id = await DeadLetteredCommandAsync("tenant-redrive-deadline");
        var deadline = new DateTimeOffset(DateTimeOffset.UtcNow.AddDays(3).Date, TimeSpan.Zero).AddHours(9);

        using var response = await client.PostAsJsonAsync($"/api/commands/{id}/redrive", new { deadline = deadline.ToOffset(TimeSpan.FromHours(2)) }, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(((DateTimeOffset?)deadline, (DateTimeOffset?)deadline), await host.DeadlinesAsync(id));
        using var admin = await host.CreateClientAsync("tenant-redrive-deadline", "admin");
        var audit = await admin.GetFromJsonAsync<JsonElement>("/api/monitoring/audit", Ct);
        var record = audit.EnumerateArray().First(r => r.GetProperty("action").GetString() == "command.redrive");
        Assert.Equal(deadline, record.GetProperty("detail").GetProperty("deadline").GetDateTimeOffset());
    }

    [Theory]
    [InlineData("""{"deadline":"2020-01-01T00:00:00Z"}""")]
    [InlineData("""{"deadline":"PAST"}""")]
    [InlineData("""{"deadline":"FAR"}""")]
    [InlineData("""{"deadline":"tomorrow"}""")]
    [InlineData("""{"deadline":42}""")]
    [InlineData("""[1]""")]
    public async Task RedrivingWithADeadlineThatPassed_LiesMoreThan30DaysAhead_OrIsNoInstant_Is400_AndChangesNothing(string body)
    {
        using var client = await host.CreateClientAsync("tenant-redrive-invalid", "commands");
        var id = await DeadLetteredCommandAsync("tenant-redrive-invalid");
        var before = await host.DeadlinesAsync(id);
        body = body.Replace("PAST", DateTimeOffset.UtcNow.AddSeconds(-1).ToString("O", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("FAR", DateTimeOffset.UtcNow.AddDays(30).AddMinutes(1).ToString("O", CultureInfo.InvariantCulture), StringComparison.Ordinal);

        using var response = await client.PostAsync($"/api/commands/{id}/redrive", new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await host.DeadlinesAsync(id));
        Assert.Equal(0, await OutboxRowsAsync(id));
        var status = await client.GetFromJsonAsync<JsonElement>($"/api/commands/{id}", Ct);
        Assert.Equal("DeadLettered", status.GetProperty("status").GetString());
    }

    [Fact]
    public async Task BulkRedrive_WithADeadline_GivesItToEveryCommand_AndWithAnInvalidOne_Is400_RedrivingNothing()
    {
        using var admin = await host.CreateClientAsync("tenant-bulk-deadline", "admin");
        var ids = new[] { await DeadLetteredCommandAsync("tenant-bulk-deadline"), await DeadLetteredCommandAsync("tenant-bulk-deadline") };
        var deadline = new DateTimeOffset(DateTimeOffset.UtcNow.AddDays(1).Date, TimeSpan.Zero).AddHours(18);

        using var invalid = await admin.PostAsJsonAsync("/api/monitoring/dead-letters/redrive", new { deadline = DateTimeOffset.UtcNow.AddDays(-1) }, Ct);
        var untouched = await Task.WhenAll(ids.Select(OutboxRowsAsync));
        using var response = await admin.PostAsJsonAsync("/api/monitoring/dead-letters/redrive", new { deadline }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal("application/problem+json", invalid.Content.Headers.ContentType?.MediaType);
        Assert.Equal([0L, 0L], untouched);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(2, (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("redriven").GetInt32());
        foreach (var id in ids)
        {
            Assert.Equal(((DateTimeOffset?)deadline, (DateTimeOffset?)deadline), await host.DeadlinesAsync(id));
        }
    }

    [Fact]
    public async Task RedrivingACommandThatIsNotDeadLettered_Is409_WithItsStatusApartFromTheProblemsStatus()
    {
        using var client = await host.CreateClientAsync("tenant-redrive-twice", "commands");
        var id = await DeadLetteredCommandAsync("tenant-redrive-twice");
        using var first = await client.PostAsync($"/api/commands/{id}/redrive", null, TestContext.Current.CancellationToken);

        using var second = await client.PostAsync($"/api/commands/{id}/redrive", null, TestContext.Current.CancellationToken);

        // Found by RouteFuzzerTests: the command's status was a second "status" member, beside the problem's 409.
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        using var problem = JsonDocument.Parse(await second.Content.ReadAsStringAsync(TestContext.Current.CancellationToken),
            new JsonDocumentOptions { AllowDuplicateProperties = false });
        Assert.Equal(409, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("Accepted", problem.RootElement.GetProperty("commandStatus").GetString());
    }

    [Fact]
    public async Task AnotherTenantsCommand_Is404_AndNothingIsEnqueued()
    {
        using var other = await host.CreateClientAsync("tenant-intruder", "commands");
        var id = await DeadLetteredCommandAsync("tenant-victim");

        using var response = await other.PostAsync($"/api/commands/{id}/redrive", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, await OutboxRowsAsync(id));
    }

    [Fact]
    public async Task BulkRedrive_RequiresAdminOrOperator_FiltersByTenant_AndReportsTheCount()
    {
        using var commandsOnly = await host.CreateClientAsync("tenant-bulk", "commands");
        using var admin = await host.CreateOperatorClientAsync();
        var ids = new[] { await DeadLetteredCommandAsync("tenant-bulk"), await DeadLetteredCommandAsync("tenant-bulk") };
        var untouched = await DeadLetteredCommandAsync("tenant-elsewhere");

        using var forbidden = await commandsOnly.PostAsJsonAsync("/api/monitoring/dead-letters/redrive", new { tenant = "tenant-bulk" }, TestContext.Current.CancellationToken);
        var listed = await admin.GetFromJsonAsync<JsonElement>("/api/monitoring/dead-letters?tenant=tenant-bulk", TestContext.Current.CancellationToken);
        using var response = await admin.PostAsJsonAsync("/api/monitoring/dead-letters/redrive", new { type = "payments.charge", tenant = "tenant-bulk" }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(2, listed.GetArrayLength());
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(2, (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("redriven").GetInt32());
        Assert.All(ids, id => Assert.Equal(1, OutboxRowsAsync(id).GetAwaiter().GetResult()));
        Assert.Equal(0, await OutboxRowsAsync(untouched));

        // Audited, with the filter and the count, for the operators and for the tenant it touched.
        using var tenantAdmin = await host.CreateClientAsync("tenant-bulk", "admin");
        var audit = await tenantAdmin.GetFromJsonAsync<JsonElement>("/api/monitoring/audit", TestContext.Current.CancellationToken);
        var record = audit.EnumerateArray().First(r => r.GetProperty("action").GetString() == "dead-letters.redrive");
        Assert.Equal("operators", record.GetProperty("actorTenant").GetString());
        Assert.Equal("succeeded", record.GetProperty("outcome").GetString());
        Assert.Equal(2, record.GetProperty("detail").GetProperty("redriven").GetInt32());
        Assert.Equal("payments.charge", record.GetProperty("detail").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Overview_CountsWaitingDeadLettersByType()
    {
        using var admin = await host.CreateClientAsync("tenant-count", "admin");
        await DeadLetteredCommandAsync("tenant-count");
        await DeadLetteredCommandAsync("tenant-count-other");

        var overview = await admin.GetFromJsonAsync<JsonElement>("/api/monitoring/overview", TestContext.Current.CancellationToken);

        // A tenant admin's overview counts its own tenant's dead letters only.
        Assert.Equal("tenant-count", overview.GetProperty("tenant").GetString());
        Assert.Equal(1, overview.GetProperty("deadLetters").GetProperty("total").GetInt64());
        Assert.Equal(1, overview.GetProperty("deadLetters").GetProperty("byType").GetProperty("payments.charge").GetInt64());
    }
}
