using System.Net;
using System.Text;
using System.Text.Json;
using Messaging.Gateway.Commands;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Classification;
using Messaging.Resilience;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly.CircuitBreaker;
using Polly.Registry;

namespace Messaging.Gateway.Tests.Commands;

/// <summary>Concurrent submissions sharing one transaction (<see cref="GroupCommitWriter"/>, on by default).</summary>
public sealed class GroupCommitTests(CommandsApiFixture fixture) : IClassFixture<CommandsApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Submit_ManyAtOnce_CommitsEveryCommandWithItsOutboxRow()
    {
        const string tenant = "tenant-group-many";
        using var client = fixture.ClientFor(tenant);

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            client.SendAsync(CommandRequestsFor.Post("notifications.send", CommandRequestsFor.Email, i % 2 == 0 ? $"group-{i}" : null), Ct)));

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.Accepted, response.StatusCode));
        var ids = new HashSet<string>();
        foreach (var response in responses)
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            ids.Add(body.RootElement.GetProperty("id").GetString()!);
            response.Dispose();
        }

        Assert.Equal(40, ids.Count);
        Assert.Equal(40, await fixture.CountAsync("commands", $"tenant = '{tenant}' AND status = 'Accepted'"));
        Assert.Equal(40, await fixture.CountAsync("outbox", $"headers->>'Messaging-Tenant' = '{tenant}'"));
        Assert.Equal(20, await fixture.CountAsync("idempotency_keys", $"tenant = '{tenant}'"));
    }

    [Fact]
    public async Task WriteBatch_WithTheSameKeyTwice_CreatesOneAndAnswersInFlightToTheOther()
    {
        const string tenant = "tenant-group-same-key";
        var writer = fixture.Services.GetRequiredService<GroupCommitWriter>();
        var first = GroupCommitWriter.Pending.Create(NewEmail(tenant, "same-key"), Ct);
        var second = GroupCommitWriter.Pending.Create(NewEmail(tenant, "same-key"), Ct);

        await writer.WriteBatchAsync([first, second], Ct);

        Assert.IsType<SubmitOutcome.Created>(await first.Outcome.Task);
        Assert.IsType<SubmitOutcome.KeyInFlight>(await second.Outcome.Task);
        Assert.Equal(1, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
        Assert.Equal(1, await fixture.CountAsync("outbox", $"headers->>'Messaging-Tenant' = '{tenant}'"));
        Assert.Equal(1, await fixture.CountAsync("idempotency_keys", $"tenant = '{tenant}'"));
    }

    [Fact]
    public async Task WriteBatch_WithOneBrokenRow_CommitsTheOthersAndFailsOnlyThatOne()
    {
        const string tenant = "tenant-group-broken";
        var writer = fixture.Services.GetRequiredService<GroupCommitWriter>();
        var good = GroupCommitWriter.Pending.Create(NewEmail(tenant, null), Ct);
        // Not JSON: the payload's cast to jsonb fails the shared statement.
        var broken = GroupCommitWriter.Pending.Create(NewEmail(tenant, null) with { Payload = "{not json" }, Ct);
        var alsoGood = GroupCommitWriter.Pending.Create(NewEmail(tenant, "after-broken"), Ct);

        await writer.WriteBatchAsync([good, broken, alsoGood], Ct);

        Assert.IsType<SubmitOutcome.Created>(await good.Outcome.Task);
        Assert.IsType<SubmitOutcome.Created>(await alsoGood.Outcome.Task);
        await Assert.ThrowsAsync<PostgresException>(() => broken.Outcome.Task);
        Assert.Equal(2, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
        Assert.Equal(2, await fixture.CountAsync("outbox", $"headers->>'Messaging-Tenant' = '{tenant}'"));
    }

    [Fact]
    public async Task WriteBatch_WithACommandIdAlreadyCommitted_AnswersCreatedWithoutASecondOutboxRow()
    {
        const string tenant = "tenant-group-retried";
        var writer = fixture.Services.GetRequiredService<GroupCommitWriter>();
        var command = NewEmail(tenant, null);
        var first = GroupCommitWriter.Pending.Create(command, Ct);
        await writer.WriteBatchAsync([first], Ct);

        // The same submission again, as the postgres pipeline retries it when a commit's acknowledgement was lost.
        var retried = GroupCommitWriter.Pending.Create(command, Ct);
        await writer.WriteBatchAsync([retried], Ct);

        Assert.IsType<SubmitOutcome.Created>(await retried.Outcome.Task);
        Assert.Equal(1, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
        Assert.Equal(1, await fixture.CountAsync("outbox", $"headers->>'Messaging-Tenant' = '{tenant}'"));
    }

    [Fact]
    public async Task WriteBatch_WhileThePostgresBreakerIsOpen_FailsEveryCallerAsUnavailableAndWritesNothing()
    {
        const string tenant = "tenant-group-breaker";
        var writer = fixture.Services.GetRequiredService<GroupCommitWriter>();
        var breakers = fixture.Services.GetRequiredService<BreakerRegistry>();
        _ = fixture.Services.GetRequiredService<ResiliencePipelineProvider<string>>().GetPipeline(DependencyNames.Postgres);
        var first = GroupCommitWriter.Pending.Create(NewEmail(tenant, null), Ct);
        var second = GroupCommitWriter.Pending.Create(NewEmail(tenant, "breaker-key"), Ct);

        Assert.True(await breakers.IsolateAsync(DependencyNames.Postgres, Ct));
        try
        {
            // The shared transaction runs through the postgres pipeline: its open breaker answers for every submission.
            await writer.WriteBatchAsync([first, second], Ct);
        }
        finally
        {
            await breakers.ResetAsync(DependencyNames.Postgres, Ct);
        }

        var firstFailure = await Assert.ThrowsAnyAsync<BrokenCircuitException>(() => first.Outcome.Task);
        var secondFailure = await Assert.ThrowsAnyAsync<BrokenCircuitException>(() => second.Outcome.Task);
        Assert.True(DependencyUnavailable.IsPostgresUnavailable(firstFailure));
        Assert.True(DependencyUnavailable.IsPostgresUnavailable(secondFailure));
        Assert.Equal(0, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
        Assert.Equal(0, await fixture.CountAsync("outbox", $"headers->>'Messaging-Tenant' = '{tenant}'"));
    }

    [Fact]
    public async Task WriteBatch_WithACallerThatGaveUp_WritesOnlyTheOthers()
    {
        const string tenant = "tenant-group-gave-up";
        var writer = fixture.Services.GetRequiredService<GroupCommitWriter>();
        using var gaveUp = new CancellationTokenSource();
        var waiting = GroupCommitWriter.Pending.Create(NewEmail(tenant, null), Ct);
        var gone = GroupCommitWriter.Pending.Create(NewEmail(tenant, null), gaveUp.Token);
        await gaveUp.CancelAsync();

        await writer.WriteBatchAsync([waiting, gone], Ct);

        Assert.IsType<SubmitOutcome.Created>(await waiting.Outcome.Task);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gone.Outcome.Task);
        Assert.Equal(1, await fixture.CountAsync("commands", $"tenant = '{tenant}'"));
        Assert.Equal(1, await fixture.CountAsync("outbox", $"headers->>'Messaging-Tenant' = '{tenant}'"));
    }

    [Theory]
    [InlineData("Commands:GroupCommit:MaxBatchSize", "0", "MaxBatchSize")]
    [InlineData("Commands:GroupCommit:Writers", "33", "Writers")]
    public void Options_Invalid_FailWithTheKeyNamed(string key, string value, string named)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value });
        builder.AddCommandsApi();
        using var services = builder.Services.BuildServiceProvider();

        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<GroupCommitOptions>>().Value);

        Assert.Contains(named, exception.Message, StringComparison.Ordinal);
    }

    private NewCommand NewEmail(string tenant, string? key)
    {
        Assert.True(Messaging.CommandTypes.BuiltIn.BuiltInCommandTypes.Registry.TryGet("notifications.send", out var descriptor));
        var request = CommandRequests.Read(descriptor, Encoding.UTF8.GetBytes(CommandRequestsFor.Email)).Request!;
        var payload = JsonSerializer.Serialize(request, request.GetType(), CommandStore.StoredJson);
        var now = fixture.Time.GetUtcNow();
        return new NewCommand(Guid.CreateVersion7(now), tenant, "client-of-" + tenant, descriptor, request, payload, now.AddHours(1), now,
            key is null ? null : new IdempotencyRequest(key, IdempotencyRequest.HashOf(descriptor.TypeName, null, payload), now.AddDays(1)));
    }
}
