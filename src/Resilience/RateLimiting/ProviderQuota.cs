using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Messaging.Resilience.RateLimiting;

/// <summary>
/// The quota of each external provider, global and per tenant (<see cref="ProviderQuotasOptions"/>), enforced
/// across all worker instances through <see cref="DistributedRateLimits"/>: both limits are taken in one atomic
/// decision, so a refused call consumes nothing. A provider's 429 <c>Retry-After</c>, reported through
/// <see cref="ReportThrottledAsync"/>, pauses the provider's quota for every worker.
/// </summary>
public sealed class ProviderQuota
{
    /// <summary>The policy name of every provider decision (metric tag <c>messaging.rate_limiting.policy</c> = <c>provider:&lt;name&gt;</c>).</summary>
    public const string PolicyPrefix = "provider:";

    private readonly DistributedRateLimits _limits;
    private readonly IOptionsMonitor<ProviderQuotasOptions> _options;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the quota service.</summary>
    public ProviderQuota(DistributedRateLimits limits, IOptionsMonitor<ProviderQuotasOptions> options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _limits = limits;
        _options = options;
        _timeProvider = timeProvider;
    }

    /// <summary>Takes one permit for a call by <paramref name="tenant"/> to <paramref name="provider"/> now, without waiting.</summary>
    public async ValueTask<ProviderQuotaDecision> TryAcquireAsync(string provider, string tenant, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(provider);
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        if (!_options.CurrentValue.Providers.TryGetValue(provider, out var quota) || Buckets(quota, tenant) is not { } buckets)
        {
            return ProviderQuotaDecision.Unlimited;
        }

        var decision = await _limits.AcquireAsync(PolicyPrefix + provider, Scope(provider), buckets, 1, cancellationToken).ConfigureAwait(false);
        return new ProviderQuotaDecision(decision.IsAllowed, decision.RetryAfter, decision.Source);
    }

    /// <summary>
    /// Takes one permit, waiting inline while the wait stays within <paramref name="maxWait"/> (default: the
    /// provider's <see cref="ProviderQuotaOptions.MaxWait"/>). Pass the smaller of that and the command's time
    /// left. When the answer is still "not allowed", defer the command by <see cref="ProviderQuotaDecision.RetryAfter"/>.
    /// </summary>
    public async ValueTask<ProviderQuotaDecision> AcquireAsync(string provider, string tenant, TimeSpan? maxWait = null, CancellationToken cancellationToken = default)
    {
        var limit = maxWait ?? (_options.CurrentValue.Providers.TryGetValue(provider, out var quota) ? quota.MaxWait : TimeSpan.Zero);
        var waited = TimeSpan.Zero;
        while (true)
        {
            var decision = await TryAcquireAsync(provider, tenant, cancellationToken).ConfigureAwait(false);
            if (decision.IsAllowed || waited + decision.RetryAfter > limit)
            {
                return decision;
            }

            // Other workers may take the permit first: then the loop asks again, within the same total wait.
            var wait = decision.RetryAfter > TimeSpan.Zero ? decision.RetryAfter : TimeSpan.FromMilliseconds(1);
            await Task.Delay(wait, _timeProvider, cancellationToken).ConfigureAwait(false);
            waited += wait;
        }
    }

    /// <summary>
    /// Records that <paramref name="provider"/> answered 429 with <paramref name="retryAfter"/>: every worker's calls
    /// to it are refused (deferred) until then, capped at <see cref="ProviderQuotaOptions.MaxPause"/>. Never fails.
    /// </summary>
    public ValueTask ReportThrottledAsync(string provider, TimeSpan retryAfter, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(provider);
        var cap = _options.CurrentValue.Providers.TryGetValue(provider, out var quota) ? quota.MaxPause : new ProviderQuotaOptions().MaxPause;
        var pause = retryAfter > cap ? cap : retryAfter;
        return _limits.PauseAsync(Scope(provider), pause, cancellationToken);
    }

    /// <summary>
    /// The quota of one provider and tenant as a <see cref="RateLimiter"/>, for Polly's rate limiter strategy
    /// (<c>AddRateLimiter(limiter)</c>): a refusal becomes <c>RateLimiterRejectedException</c> with <c>RetryAfter</c>.
    /// Unconfigured providers get a limiter that always grants. Dispose it when done.
    /// </summary>
    public RateLimiter CreateLimiter(string provider, string tenant)
    {
        ArgumentException.ThrowIfNullOrEmpty(provider);
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        return new ProviderLimiter(this, provider, tenant);
    }

    private static string Scope(string provider) => PolicyPrefix + provider.ToLowerInvariant();

    private static RateLimitBucket[]? Buckets(ProviderQuotaOptions quota, string tenant)
    {
        var tenantRule = quota.RuleFor(tenant);
        return (quota.Global, tenantRule) switch
        {
            (null, null) => null,
            ({ } global, null) => [new RateLimitBucket("global", global)],
            (null, { } perTenant) => [new RateLimitBucket("tenant:" + tenant, perTenant)],
            ({ } global, { } perTenant) => [new RateLimitBucket("global", global), new RateLimitBucket("tenant:" + tenant, perTenant)],
        };
    }

    // A RateLimiter over TryAcquireAsync, so Polly sees both buckets and the pause, with RetryAfter metadata.
    private sealed class ProviderLimiter(ProviderQuota quota, string provider, string tenant) : RateLimiter
    {
        private long _lastUsed = quota._timeProvider.GetTimestamp();

        public override TimeSpan? IdleDuration => quota._timeProvider.GetElapsedTime(Volatile.Read(ref _lastUsed));

        public override RateLimiterStatistics? GetStatistics() => null;

        protected override RateLimitLease AttemptAcquireCore(int permitCount) => FixedLease.AskAsync;

        protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
        {
            Volatile.Write(ref _lastUsed, quota._timeProvider.GetTimestamp());
            var decision = await quota.TryAcquireAsync(provider, tenant, cancellationToken).ConfigureAwait(false);
            return decision.IsAllowed ? FixedLease.Unlimited : new RetryAfterLease(decision.RetryAfter);
        }
    }

    private sealed class RetryAfterLease(TimeSpan retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = metadataName == MetadataName.RetryAfter.Name ? retryAfter : null;
            return metadata is not null;
        }
    }
}
