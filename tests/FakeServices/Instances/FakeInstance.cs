using Messaging.FakeServices.Providers;

namespace Messaging.FakeServices.Instances;

/// <summary>One running provider instance: its name, the provider it serves and where it listens.</summary>
internal sealed record FakeInstance(string Name, ProviderKind Provider, string Url, InstanceAddress Address)
{
    public int Port => Address.Port;
}
