using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Messaging.FakeServices.Instances;

/// <summary>Makes Kestrel listen on every instance's address (these replace <c>ASPNETCORE_URLS</c>/<c>--urls</c>).</summary>
internal sealed class KestrelInstanceEndpoints(InstanceDirectory instances) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions options)
    {
        foreach (var instance in instances.All)
        {
            var address = instance.Address;
            if (address.Address is null)
            {
                options.ListenLocalhost(address.Port);
            }
            else if (address.Address.Equals(System.Net.IPAddress.Any) || address.Address.Equals(System.Net.IPAddress.IPv6Any))
            {
                options.ListenAnyIP(address.Port);
            }
            else
            {
                options.Listen(address.Address, address.Port);
            }
        }
    }
}
