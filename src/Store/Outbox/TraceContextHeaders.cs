using System.Diagnostics;
using System.Text;
using Messaging.Contracts;

namespace Messaging.Store.Outbox;

/// <summary>The W3C trace context of the current activity as message headers, bounded before it is stored.</summary>
public static class TraceContextHeaders
{
    /// <summary>
    /// The most <c>tracestate</c> bytes stored with a message: W3C Trace Context's limit for propagation ("at least
    /// 512 characters"). A caller controls the header, and it is copied into every row and message of the command.
    /// </summary>
    public const int MaxTraceStateBytes = 512;

    /// <summary>Longer list members are dropped first, as W3C Trace Context recommends when a tracestate must shrink.</summary>
    public const int MaxLongMemberBytes = 128;

    /// <summary>Adds <c>traceparent</c> and, bounded by <see cref="Bounded"/>, <c>tracestate</c> of the current W3C activity, if any.</summary>
    public static void AddCurrent(IDictionary<string, string> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } traceParent } activity)
        {
            headers[MessageHeaders.TraceParent] = traceParent;
            if (Bounded(activity.TraceStateString) is { } traceState)
            {
                headers[MessageHeaders.TraceState] = traceState;
            }
        }
    }

    /// <summary>
    /// <paramref name="traceState"/> if it fits in <see cref="MaxTraceStateBytes"/>; otherwise whole list members only
    /// (never one cut in the middle, which would hand a vendor a value it did not write): members longer than
    /// <see cref="MaxLongMemberBytes"/> are dropped, then members from the end of the list until the rest fits. Null when
    /// nothing is left.
    /// </summary>
    public static string? Bounded(string? traceState)
    {
        if (string.IsNullOrWhiteSpace(traceState))
        {
            return null;
        }

        if (Encoding.UTF8.GetByteCount(traceState) <= MaxTraceStateBytes)
        {
            return traceState;
        }

        var kept = new StringBuilder();
        foreach (var member in traceState.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var length = Encoding.UTF8.GetByteCount(member);
            if (length > MaxLongMemberBytes)
            {
                continue;
            }

            var separator = kept.Length == 0 ? 0 : 1;
            if (Encoding.UTF8.GetByteCount(kept.ToString()) + separator + length > MaxTraceStateBytes)
            {
                // The list is ordered most recent first: what no longer fits is the oldest.
                break;
            }

            kept.Append(separator == 1 ? "," : "").Append(member);
        }

        return kept.Length == 0 ? null : kept.ToString();
    }
}
