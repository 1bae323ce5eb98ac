using System.Diagnostics;
using Messaging.Contracts;
using Messaging.Store.Outbox;

namespace Messaging.Store.Tests.Outbox;

/// <summary>A caller's tracestate is stored bounded to 512 bytes, never cut inside a list member.</summary>
public sealed class TraceContextHeadersTests
{
    [Fact]
    public void Bounded_WithinTheLimit_IsKeptAsIs()
    {
        var traceState = string.Join(',', Enumerable.Range(0, 30).Select(i => $"v{i}=value{i:D4}"));

        Assert.Equal(traceState, TraceContextHeaders.Bounded(traceState));
    }

    [Fact]
    public void Bounded_OverTheLimit_KeepsWholeLeadingMembersOnly()
    {
        var members = Enumerable.Range(0, 60).Select(i => $"vendor{i:D2}=value-{i:D2}").ToList();
        var traceState = string.Join(',', members);

        var bounded = TraceContextHeaders.Bounded(traceState)!;

        Assert.True(bounded.Length <= TraceContextHeaders.MaxTraceStateBytes, $"{bounded.Length} bytes");
        var kept = bounded.Split(',');
        Assert.Equal(members.Take(kept.Length), kept); // whole members, in order, from the front
        Assert.True(kept.Length < members.Count);
    }

    [Fact]
    public void Bounded_OverTheLimit_DropsOverLongMembersFirst()
    {
        var traceState = "first=1," + "huge=" + new string('x', 600) + ",last=2";

        Assert.Equal("first=1,last=2", TraceContextHeaders.Bounded(traceState));
    }

    [Fact]
    public void Bounded_OneOverLongMember_StoresNoTraceState()
    {
        Assert.Null(TraceContextHeaders.Bounded("attacker=" + new string('a', 100_000)));
    }

    [Fact]
    public void AddCurrent_WithAnOverLongTraceState_DoesNotStoreItWhole()
    {
        using var activity = new Activity("accept").SetIdFormat(ActivityIdFormat.W3C).Start();
        activity.TraceStateString = "ok=1," + string.Join(',', Enumerable.Range(0, 500).Select(i => $"k{i}=v{i}"));
        var headers = new Dictionary<string, string>();

        TraceContextHeaders.AddCurrent(headers);

        Assert.Equal(activity.Id, headers[MessageHeaders.TraceParent]);
        Assert.True(headers[MessageHeaders.TraceState].Length <= TraceContextHeaders.MaxTraceStateBytes);
        Assert.StartsWith("ok=1,k0=v0,", headers[MessageHeaders.TraceState], StringComparison.Ordinal);
    }
}
