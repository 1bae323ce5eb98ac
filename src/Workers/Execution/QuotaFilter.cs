using MassTransit;
using Messaging.CommandTypes;
using Messaging.Contracts.Commands;
using Messaging.Resilience.RateLimiting;
using Microsoft.Extensions.Options;

namespace Messaging.Workers.Execution;

/// <summary>
/// The quota step, before an attempt is recorded: a command the provider's quota holds back is not an attempt and
/// calls nothing. The quota (global and the tenant's share, one atomic decision in Redis for every worker, and
/// paused by the provider's own 429) is waited for inline up to the provider's <c>MaxWait</c>, never past the
/// deadline; when no permit comes in that time, the command goes back through the outbox as the same attempt,
/// due when the quota will have a permit for it. Unconfigured providers answer at once, without Redis.
/// </summary>
internal sealed partial class QuotaFilter<TMessage>(
    ProviderQuota quota, IOptionsMonitor<ProviderQuotasOptions> quotaOptions, TimeProvider timeProvider, ILogger<QuotaFilter<TMessage>> logger)
    : IFilter<ConsumeContext<TMessage>>
    where TMessage : class, ICommandMessage
{
    /// <summary>The error code of a command deferred because its provider's quota had no permit for it.</summary>
    internal const string RateLimitedCode = "rate_limited";

    public async Task Send(ConsumeContext<TMessage> context, IPipe<ConsumeContext<TMessage>> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var delivery = context.GetPayload<CommandDelivery>();
        var provider = delivery.Descriptor.Provider;
        var maxWait = quotaOptions.CurrentValue.Providers.TryGetValue(provider, out var providerQuota) ? providerQuota.MaxWait : TimeSpan.Zero;
        if (delivery.Profile.Deadline is { } due && due.Remaining(timeProvider) is var left && left < maxWait)
        {
            maxWait = left;
        }

        var decision = await quota.AcquireAsync(provider, delivery.Message.Tenant, maxWait, context.CancellationToken).ConfigureAwait(false);
        if (!decision.IsAllowed)
        {
            var retryAt = timeProvider.GetUtcNow() + decision.RetryAfter;
            Log.CommandRateLimited(logger, delivery.CommandId, delivery.Descriptor.TypeName, provider, decision.RetryAfter.TotalMilliseconds,
                decision.Source == RateLimitSource.Redis ? "redis" : "local");
            await delivery.DeferAsync(
                new CommandStatusError(RateLimitedCode, $"The {provider} provider's rate limit has no permit for the command now; it runs when one is free."),
                retryAt, context.CancellationToken).ConfigureAwait(false);
            await CommandSteps.EndAsync(context, "provider-quota").ConfigureAwait(false);
            return;
        }

        await next.Send(context).ConfigureAwait(false);
    }

    public void Probe(ProbeContext context) => context?.CreateFilterScope("providerQuota");

    private static partial class Log
    {
        [LoggerMessage(EventId = 4040, EventName = "CommandRateLimited", Level = LogLevel.Information,
            Message = "Command {CommandId} ({CommandType}) is held back by the {Provider} provider's quota (decided on {Source}); it is deferred by {RetryAfterMs} ms without a provider call or an attempt")]
        public static partial void CommandRateLimited(ILogger logger, Guid commandId, string commandType, string provider, double retryAfterMs, string source);
    }
}
