using System.Net;
using Messaging.Resilience.Classification;

namespace Messaging.Resilience.RateLimiting;

/// <summary>
/// Reports every 429 answered by a provider to <see cref="ProviderQuota.ReportThrottledAsync"/>, so its
/// <c>Retry-After</c> (seconds or a date; <see cref="DefaultRetryAfter"/> when absent) pauses that provider's
/// quota for every worker. The response itself goes on unchanged to the pipeline that handles it.
/// </summary>
public sealed class ProviderThrottlingHandler : DelegatingHandler
{
    /// <summary>The pause when a 429 carries no usable <c>Retry-After</c>.</summary>
    public static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(1);

    private readonly ProviderQuota _quota;
    private readonly string _provider;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the handler for <paramref name="provider"/>.</summary>
    public ProviderThrottlingHandler(ProviderQuota quota, string provider, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(quota);
        ArgumentException.ThrowIfNullOrEmpty(provider);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _quota = quota;
        _provider = provider;
        _timeProvider = timeProvider;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            var retryAfter = TransientFailures.RetryAfter(response, _timeProvider) is { } wait && wait > TimeSpan.Zero ? wait : DefaultRetryAfter;

            // Not the request's token: the pause must be recorded even if this call is being abandoned.
            await _quota.ReportThrottledAsync(_provider, retryAfter, CancellationToken.None).ConfigureAwait(false);
        }

        return response;
    }
}
