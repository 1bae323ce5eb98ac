using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.Configuration;

namespace Messaging.ServiceDefaults.Management;

/// <summary>Marks an endpoint as served only on connections accepted on one of <paramref name="Ports"/>.</summary>
/// <param name="Ports">The local ports of the management listener.</param>
internal sealed record ManagementEndpointMetadata(IReadOnlySet<int> Ports);

/// <summary>
/// Routing's view of <see cref="ManagementEndpointMetadata"/>: on any other local port such an endpoint is not a
/// candidate, so the request ends as a 404 like any unknown path. It matches on the port the connection was accepted
/// on, not on the Host header (<c>RequireHost("*:5089")</c> would), which the caller chooses freely.
/// </summary>
internal sealed class ManagementPortMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    // Before the host and method policies: nothing else about these endpoints matters on the wrong port.
    public override int Order => -1000;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(e => e.Metadata.GetMetadata<ManagementEndpointMetadata>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var port = httpContext.Connection.LocalPort;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i)
                && candidates[i].Endpoint.Metadata.GetMetadata<ManagementEndpointMetadata>() is { } management
                && !management.Ports.Contains(port))
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}

/// <summary>Reads <c>Management:Urls</c> and the public <c>Urls</c> they are added to.</summary>
internal static class ManagementUrls
{
    /// <summary>Kestrel's default when neither <c>Urls</c> nor <c>HTTP_PORTS</c> is set.</summary>
    private const string KestrelDefault = "http://localhost:5000";

    /// <summary>The management addresses, or none when the endpoints stay on the public port.</summary>
    public static IReadOnlyList<string> Read(IConfiguration configuration) => Split(configuration[$"{ManagementOptions.SectionName}:Urls"]);

    /// <summary>
    /// The ports of <paramref name="urls"/>, none 0 (routing compares it with the connection's
    /// local port); a message naming <c>Management:Urls</c> otherwise.
    /// </summary>
    public static IReadOnlySet<int> Ports(IReadOnlyList<string> urls)
    {
        var ports = new HashSet<int>();
        foreach (var url in urls)
        {
            BindingAddress address;
            try
            {
                address = BindingAddress.Parse(url);
            }
            catch (FormatException ex)
            {
                throw new InvalidOperationException($"Management:Urls: '{url}' is not an address Kestrel can listen on.", ex);
            }

            if (address.IsUnixPipe || address.IsNamedPipe || address.Port <= 0)
            {
                throw new InvalidOperationException($"Management:Urls: '{url}' needs a TCP port other than 0 (for example http://127.0.0.1:5089).");
            }

            ports.Add(address.Port);
        }

        return ports;
    }

    /// <summary>The public addresses Kestrel would listen on without a management listener (<c>Urls</c>, else <c>HTTP_PORTS</c>/<c>HTTPS_PORTS</c>, else its default).</summary>
    public static IReadOnlyList<string> Public(IConfiguration configuration)
    {
        var urls = Split(configuration["urls"]);
        if (urls.Count > 0)
        {
            return urls;
        }

        var fromPorts = PortsOf(configuration["http_ports"], "http").Concat(PortsOf(configuration["https_ports"], "https")).ToList();
        return fromPorts.Count > 0 ? fromPorts : [KestrelDefault];
    }

    private static IEnumerable<string> PortsOf(string? ports, string scheme) =>
        Split(ports).Select(port => $"{scheme}://*:{port}");

    private static List<string> Split(string? value) =>
        string.IsNullOrWhiteSpace(value) ? [] : [.. value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
