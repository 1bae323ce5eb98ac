using System.Net;
using System.Net.Sockets;

namespace Messaging.Gateway.RateLimiting;

/// <summary>The rate limiting partition of a client address.</summary>
internal static class ClientAddress
{
    /// <summary>The partition used when the connection has no IP address (in-memory or Unix socket transports).</summary>
    public const string Unknown = "unknown";

    /// <summary>
    /// IPv4 addresses as they are; IPv6 addresses by their /64 prefix, since one subscriber usually holds a
    /// whole /64 and could otherwise rotate through it; IPv4-mapped IPv6 as IPv4.
    /// </summary>
    public static string Partition(IPAddress? address)
    {
        if (address is null)
        {
            return Unknown;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        _ = address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}
