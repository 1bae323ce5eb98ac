using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace Messaging.FakeServices.Instances;

/// <summary>
/// The configured instances, found by name or by the port a request arrived on. One process serves
/// every instance; the local port of the connection says which one a request is for.
/// </summary>
internal sealed class InstanceDirectory
{
    private readonly Dictionary<int, FakeInstance> _byPort = [];
    private readonly Dictionary<string, FakeInstance> _byName = new(StringComparer.OrdinalIgnoreCase);

    public InstanceDirectory(IOptions<FakeServicesOptions> options)
    {
        foreach (var (name, instance) in options.Value.Instances)
        {
            // The validator ran at start (ValidateOnStart), so every address parses.
            InstanceAddress.TryParse(instance.Url, out var address, out _);
            var fake = new FakeInstance(name, instance.Provider, instance.Url!, address);
            _byPort[address.Port] = fake;
            _byName[name] = fake;
        }

        All = [.. _byName.Values.OrderBy(i => i.Port)];
    }

    /// <summary>Every instance, by port.</summary>
    public IReadOnlyList<FakeInstance> All { get; }

    public bool TryGet(string name, [NotNullWhen(true)] out FakeInstance? instance) => _byName.TryGetValue(name, out instance);

    /// <summary>
    /// The instance a request is for: the local port of its connection. An in-memory test server has
    /// no connection port, so then the port of the <c>Host</c> header (the client's base address) decides.
    /// </summary>
    public bool TryResolve(HttpContext context, [NotNullWhen(true)] out FakeInstance? instance)
    {
        var port = context.Connection.LocalPort;
        if (port == 0)
        {
            port = context.Request.Host.Port ?? (context.Request.IsHttps ? 443 : 80);
        }

        return _byPort.TryGetValue(port, out instance);
    }
}
