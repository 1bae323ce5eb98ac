using Messaging.Contracts.Commands;
using Messaging.Resilience.Classification;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Commands;

/// <summary>
/// What a submission does when PostgreSQL cannot store it: with an <c>Idempotency-Key</c>, claim the key in
/// Redis for the tenant (a retry gets the same command, a reuse 422, a concurrent one 409; no Redis, no
/// keyed fallback); publish the command directly with publisher confirms; on success answer 202
/// <c>acceptedVia: direct</c> and cache its status for stale reads; on failure release the key and answer
/// 503, with nothing accepted.
/// </summary>
internal sealed partial class CommandFallback(
    DirectCommandPublisher publisher,
    FallbackIdempotencyKeys keys,
    CommandStatusCache cache,
    IOptionsMonitor<OutageFallbackOptions> options,
    ILogger<CommandFallback> logger)
{
    // What a client should wait before retrying when no durable path is available.
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    public OutageFallbackOptions Options => options.CurrentValue;

    public async Task<SubmitOutcome> SubmitAsync(NewCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!options.CurrentValue.DirectPublish)
        {
            return new SubmitOutcome.Unavailable(RetryAfter);
        }

        var entry = new FallbackKeyEntry(command.Tenant, command.Id, command.Descriptor.TypeName,
            command.Idempotency is { } request ? Convert.ToBase64String(request.RequestHash) : "", command.ClientId, command.Deadline, command.Now);
        if (command.Idempotency is { } idempotency)
        {
            FallbackKeyEntry? held;
            try
            {
                held = await keys.TryClaimAsync(command.Tenant, idempotency.Key, entry, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (DependencyUnavailable.IsRedisFailure(ex))
            {
                // Without a place to remember the key a retry could create a second command: fail closed.
                Log.KeyStoreUnavailable(logger, ex.GetType().Name);
                return new SubmitOutcome.Unavailable(RetryAfter);
            }

            if (held is not null)
            {
                return held switch
                {
                    { Pending: true } => new SubmitOutcome.KeyInFlight(),
                    _ when !string.Equals(held.Tenant, command.Tenant, StringComparison.Ordinal) => new SubmitOutcome.Unavailable(RetryAfter),
                    _ when held.RequestHash != entry.RequestHash => new SubmitOutcome.KeyReused(),
                    _ => new SubmitOutcome.Replayed(Accepted(held.CommandId, held.Type)),
                };
            }
        }

        if (!await publisher.PublishAsync(command, cancellationToken).ConfigureAwait(false))
        {
            if (command.Idempotency is { } claimed)
            {
                await ForgetAsync(command.Tenant, claimed.Key, entry).ConfigureAwait(false);
            }

            return new SubmitOutcome.Unavailable(RetryAfter);
        }

        // Confirmed by the broker: from here on the answer is 202, whatever else fails.
        if (command.Idempotency is { } accepted)
        {
            try
            {
                await keys.MarkAcceptedAsync(command.Tenant, accepted.Key, entry).ConfigureAwait(false);
            }
            catch (Exception ex) when (DependencyUnavailable.IsRedisFailure(ex))
            {
                // The key stays "pending" until its TTL: a retry meanwhile gets 409, never a second command.
                Log.KeyStoreUnavailable(logger, ex.GetType().Name);
            }
        }

        cache.Put(command.Tenant, new CommandView(command.Id, command.Descriptor.TypeName, CommandStatus.Accepted, 0, command.Now, command.Now,
            command.Deadline, null, null));
        return new SubmitOutcome.Created(Accepted(command.Id, command.Descriptor.TypeName));
    }

    private static CommandAccepted Accepted(Guid id, string type) =>
        new(id, type, CommandStatus.Accepted, CommandAccepted.StatusUrlFor(id), CommandAccepted.ViaDirect);

    private async Task ForgetAsync(string tenant, string key, FallbackKeyEntry entry)
    {
        try
        {
            await keys.ReleaseAsync(tenant, key, entry).ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyUnavailable.IsRedisFailure(ex))
        {
            // The claim expires with its TTL; until then a retry gets 409 (nothing was accepted).
            Log.KeyStoreUnavailable(logger, ex.GetType().Name);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2112, EventName = "FallbackKeyStoreUnavailable", Level = LogLevel.Warning,
            Message = "Redis is unavailable for fallback idempotency keys ({FailureKind})")]
        public static partial void KeyStoreUnavailable(ILogger logger, string failureKind);
    }
}
