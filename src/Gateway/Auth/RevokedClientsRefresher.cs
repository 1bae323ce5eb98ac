using Messaging.Gateway.Clients;
using Messaging.Resilience.Classification;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Auth;

/// <summary>
/// Reads the clients revoked or cut off within the longest token lifetime (<see cref="AuthOptions.MaxTokenLifetime"/>
/// plus <c>Auth:ClockSkew</c>: older revocations only concern tokens that have expired) into
/// <see cref="RevokedClients"/>: once while the gateway starts, then every <see cref="RefreshInterval"/> on the
/// injected clock. The first read is part of the start (after the schema migration, which already waits for
/// PostgreSQL): a gateway that could not read the list does not start, so it never accepts a revoked client's token
/// for lack of a list. A later read that fails (PostgreSQL down) is logged and leaves the last list in force, so
/// tokens keep validating locally and revoked ones stay refused.
/// </summary>
internal sealed partial class RevokedClientsRefresher(
    ClientStore store,
    RevokedClients revoked,
    IOptionsMonitor<AuthOptions> auth,
    TimeProvider timeProvider,
    ILogger<RevokedClientsRefresher> logger) : BackgroundService
{
    /// <summary>How often the list is read.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(30);

    private TaskCompletionSource _attempted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the next read has been attempted, successful or not (tests wait on it instead of sleeping).</summary>
    internal Task NextAttempt => Volatile.Read(ref _attempted).Task;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyUnavailable.IsPostgresFailure(ex))
        {
            throw new InvalidOperationException(
                "The revoked clients could not be read from PostgreSQL (ConnectionStrings:Postgres) at start; the gateway does not accept tokens without that list.", ex);
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval, timeProvider);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await RefreshAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>One read; a PostgreSQL failure is logged and keeps the last list.</summary>
    internal async Task RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyUnavailable.IsPostgresFailure(ex) && !cancellationToken.IsCancellationRequested)
        {
            Log.RefreshFailed(logger, revoked.Count, revoked.ReadAt, ex.GetType().Name);
        }
        finally
        {
            Interlocked.Exchange(ref _attempted, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var since = now - AuthOptions.MaxTokenLifetime - auth.CurrentValue.ClockSkew;
        var revocations = await store.ListRevocationsAsync(since, cancellationToken).ConfigureAwait(false);
        revoked.Replace(revocations, now);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2005, EventName = "RevokedClientsRefreshFailed", Level = LogLevel.Warning,
            Message = "The revoked clients could not be read ({FailureType}); the last list ({Count} clients, read at {ReadAt}) stays in force.")]
        public static partial void RefreshFailed(ILogger logger, int count, DateTimeOffset? readAt, string failureType);
    }
}
