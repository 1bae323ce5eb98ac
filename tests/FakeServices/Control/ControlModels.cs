using System.Text.Json.Serialization;
using Messaging.FakeServices.Faults;
using Messaging.FakeServices.Ledger;

namespace Messaging.FakeServices.Control;

/// <summary>An instance as the control API shows it.</summary>
internal sealed record InstanceView(string Name, string Provider, string Url, int Port, FaultsView Faults);

/// <summary>The faults of one instance: <c>active</c> false and <c>faults</c> null when none are in force.</summary>
internal sealed record FaultsView(string Instance, bool Active, FaultSettings? Faults, DateTimeOffset? SetAt, DateTimeOffset? Until)
{
    public static FaultsView Of(string instance, ActiveFaults? active) =>
        new(instance, active is not null, active?.Settings, active?.SetAt, active?.Until);
}

/// <summary>The body of <c>PUT /control/payments/token-lifetime</c> and its answer.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record TokenLifetime(int Seconds);

/// <summary>The answer of <c>DELETE /control/payments/tokens</c>.</summary>
internal sealed record TokensExpired(int Expired);

/// <summary>The answer of <c>GET /control/requests</c>.</summary>
internal sealed record RequestLogView(string Provider, IReadOnlyList<RequestLogEntry> Requests, bool Truncated);
