namespace Messaging.Testing.Harness;

/// <summary>How a system of its own differs from the shared one: a name for its logs, and environment changes per process.</summary>
public sealed class SystemSettings
{
    /// <summary>Names the log folder (<c>artifacts/system-tests/&lt;name&gt;-&lt;vhost&gt;</c>).</summary>
    public string Name { get; init; } = "shared";

    /// <summary>Changes to the workers' environment (configuration keys with <c>__</c>).</summary>
    public Action<Dictionary<string, string>>? Workers { get; init; }

    /// <summary>Changes to the gateway's environment.</summary>
    public Action<Dictionary<string, string>>? Gateway { get; init; }

    /// <summary>Changes to FakeServices' environment.</summary>
    public Action<Dictionary<string, string>>? FakeServices { get; init; }
}
