namespace Messaging.CommandTypes.Providers;

/// <summary>One base address of a provider, with the name of its pipeline and circuit breaker.</summary>
/// <param name="BaseAddress">The base address (ends with a slash, so relative paths append to it).</param>
/// <param name="PipelineName">The pipeline and breaker name: <c>provider@host:port</c>.</param>
internal sealed record ProviderEndpoint(Uri BaseAddress, string PipelineName);

/// <summary>
/// A provider's endpoints in failover order (<c>ExternalServices:&lt;Provider&gt;:Endpoints</c>), read once
/// at start: each has its own pipeline and breaker, named after the provider and the endpoint's authority
/// (<c>payments@127.0.0.1:5091</c>). Changing the list of endpoints needs a restart; their resilience
/// settings (<c>Resilience:Dependencies:&lt;provider&gt;</c>) reload without one.
/// </summary>
internal sealed class ProviderEndpoints
{
    /// <summary>The most endpoints one provider may list: Polly's hedging makes at most ten extra attempts.</summary>
    public const int MaxCount = 11;

    public ProviderEndpoints(string provider, IEnumerable<string> endpoints)
    {
        ArgumentException.ThrowIfNullOrEmpty(provider);
        ArgumentNullException.ThrowIfNull(endpoints);
        Provider = provider;
        All = [.. endpoints.Select(e => ProviderHttp.BaseAddress(e)).Select(uri => new ProviderEndpoint(uri, PipelineName(provider, uri)))];
        if (All.Count is 0 or > MaxCount)
        {
            throw new ArgumentException($"A provider needs between 1 and {MaxCount} endpoints.", nameof(endpoints));
        }
    }

    /// <summary>The provider's name, which is also its dependency name (settings and retry budget).</summary>
    public string Provider { get; }

    /// <summary>The endpoints in failover order.</summary>
    public IReadOnlyList<ProviderEndpoint> All { get; }

    /// <summary>The name of the pipeline that fails over across the endpoints.</summary>
    public string FailoverPipelineName => Provider + ".failover";

    /// <summary>The pipeline and breaker name of one endpoint.</summary>
    public static string PipelineName(string provider, Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return $"{provider}@{endpoint.Authority}";
    }

    /// <summary>
    /// The part of <paramref name="requestUri"/> after the endpoint base address it was built on (the
    /// typed client's base address is the first endpoint), or null when it is under none of them.
    /// </summary>
    public string? RelativeUri(Uri requestUri)
    {
        ArgumentNullException.ThrowIfNull(requestUri);
        var absolute = requestUri.AbsoluteUri;
        foreach (var endpoint in All)
        {
            var prefix = endpoint.BaseAddress.AbsoluteUri;
            if (absolute.StartsWith(prefix, StringComparison.Ordinal))
            {
                return absolute[prefix.Length..];
            }
        }

        return null;
    }
}
