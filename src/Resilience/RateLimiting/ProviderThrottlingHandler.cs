using System.Net;
using Messaging.Resilience.Classification;
using Microsoft.Extensions.DependencyInjection;

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

/// <summary>Wires <see cref="ProviderThrottlingHandler"/> into typed HTTP clients.</summary>
public static class ProviderThrottlingHttpClientBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="ProviderThrottlingHandler"/> for <paramref name="provider"/> to the client's handlers. Put it
    /// inside the resilience handler (add it after <c>AddResilienceHandler</c>), so each attempt's 429 is reported.
    /// Needs <c>AddProviderQuotas()</c>.
    /// </summary>
    public static IHttpClientBuilder AddProviderThrottleReporting(this IHttpClientBuilder builder, string provider)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(provider);
        return builder.AddHttpMessageHandler(sp => new ProviderThrottlingHandler(
            sp.GetRequiredService<ProviderQuota>(), provider, sp.GetRequiredService<TimeProvider>()));
    }
}
